// Parsing numeric CLI flags with errors that name the flag.
/** The flag as typed: commander's camelCase key maxIters is --max-iters. */
const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}`;

export function numberOption(o: Record<string, string>, name: string, fallback: number): number {
  const raw = o[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (String(raw).trim() === "" || !Number.isFinite(v)) throw new Error(`${flag(name)}: expected a number, got "${raw}"`);
  return v;
}

export function intOption(o: Record<string, string>, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const v = numberOption(o, name, fallback);
  if (!Number.isInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER && v <= max ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new Error(`${flag(name)}: expected an integer ${range}, got "${o[name]}"`);
  }
  return v;
}

/** A number in (0, 1] (a probability mass such as top-p). */
export function probabilityOption(o: Record<string, string>, name: string): number {
  const v = numberOption(o, name, 1);
  if (!(v > 0 && v <= 1)) throw new Error(`${flag(name)}: expected a number in (0, 1], got "${o[name]}"`);
  return v;
}

/** Comma-separated token ids ("1, 2,3"), each a non-negative integer; the error names the flag. */
export function parseTokenIds(text: string, flagName: string): number[] {
  const ids = String(text).split(",").map((x) => Number(x.trim()));
  if (String(text).trim() === "" || ids.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`${flagName}: expected comma-separated integers, got "${text}" (token ids, each ≥ 0)`);
  return ids;
}
