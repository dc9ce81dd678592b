// PyTorch's calling convention in JavaScript, one rule for every op:
//
//   - arguments PyTorch accepts positionally are positional here, in PyTorch's order;
//   - a plain object may stand for Python's keyword arguments, by PyTorch's names in camelCase
//     (keepdim, correction, descending, equalNan …), at any position from the first argument on;
//     it ends the argument list.
//
// So `x.sum(1, true)`, `x.sum(1, { keepdim: true })` and `x.sum({ dim: 1, keepdim: true })` are
// the same call, as `x.sum(1, True)`, `x.sum(1, keepdim=True)` and `x.sum(dim=1, keepdim=True)`
// are in Python. Keyword-only parameters (sum's dtype, sort's stable) exist only in the object.

export type Options = Record<string, unknown>;

/** A plain `{ … }` object (not an array, a tensor or null): Python's keyword arguments. */
export function isOptions(v: unknown): v is Options {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Resolves one call: `given` are the arguments as passed (positionally, an options object
 * possibly among them), `names` the parameters in PyTorch's order, of which the first
 * `positional` may be passed positionally and the rest only by keyword. Unknown keywords, a
 * parameter given twice and arguments after the options object are errors that say so.
 */
export function parseArgs(op: string, names: readonly string[], positional: number, given: readonly unknown[]): Options {
  const out: Options = {};
  for (let i = 0; i < given.length; i++) {
    const v = given[i];
    if (isOptions(v)) {
      for (let j = i + 1; j < given.length; j++) {
        if (given[j] !== undefined) throw new Error(`${op}: the options object must be the last argument`);
      }
      for (const key of Object.keys(v)) {
        if (!names.includes(key)) throw new Error(`${op}: unknown option "${key}" (${op} takes ${names.join(", ")})`);
        if (out[key] !== undefined && v[key] !== undefined) throw new Error(`${op}: got "${key}" both as an argument and as an option`);
        if (v[key] !== undefined) out[key] = v[key];
      }
      return out;
    }
    if (v === undefined) continue;
    if (i >= positional) throw new Error(`${op}: takes at most ${positional} positional argument(s) (${names.slice(0, positional).join(", ")}); pass ${names.slice(positional).join(", ")} in an options object`);
    out[names[i]] = v;
  }
  return out;
}

/**
 * A trailing argument PyTorch also accepts by keyword (dim, diagonal …): the value itself, or
 * `{ [name]: value }`.
 */
export function oneArg<T>(op: string, name: string, v: T | Options | undefined): T | undefined {
  if (!isOptions(v)) return v;
  return parseArgs(op, [name], 1, [v])[name] as T | undefined;
}

/** Checks an option's value is a boolean (keepdim, descending …) when given. */
export function boolOption(op: string, name: string, v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean") throw new Error(`${op}: ${name} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** Checks an option's value is a number when given. */
export function numberOption(op: string, name: string, v: unknown, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number") throw new Error(`${op}: ${name} must be a number, got ${JSON.stringify(v)}`);
  return v;
}
