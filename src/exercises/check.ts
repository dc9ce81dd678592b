// The tools a case uses to check a candidate: record the inputs (shown when the case fails), call
// the candidate (a throw becomes "your function threw …"), and compare what came back — type,
// shape, dtype, values, gradients — with messages that say what was expected and what came instead.
import { gradcheck, nn, Tensor, versionOf, type DType } from "../index.js";

/** A failed check: the message, and optionally what was expected and what came back. */
export class CaseFailure extends Error {
  constructor(
    message: string,
    readonly expected?: string,
    readonly got?: string,
  ) {
    super(message);
  }
}

export interface CloseOptions {
  /** |got − want| ≤ atol + rtol·|want| elementwise (defaults 1e-6 and 1e-5). */
  atol?: number;
  rtol?: number;
}

export class CaseContext {
  private readonly shown = new Map<string, string>();
  /** The input tensors and their version counters when recorded (in-place writes bump them). */
  private readonly versions = new Map<Tensor, { name: string; version: number }>();

  /** The inputs recorded so far, one per line. */
  get inputs(): string {
    return [...this.shown].map(([name, text]) => `${name} = ${text}`).join("\n");
  }

  /** Records an input of the case (shown if the case fails; a later one of the same name replaces it) and returns it. */
  input<T>(name: string, value: T): T {
    this.shown.set(name, show(value));
    for (const [path, tensor] of tensorsIn(value, name)) this.versions.set(tensor, { name: path, version: versionOf(tensor) });
    return value;
  }

  /** Runs the candidate's code: a throw becomes a failure that says so. */
  call<T>(f: () => T, who = "your function"): T {
    let out: T;
    try {
      out = f();
    } catch (err) {
      if (err instanceof CaseFailure) throw err; // a check inside the call (a wrapper of the candidate's result)
      throw new CaseFailure(`${who} threw ${errorText(err)}`);
    }
    if (out instanceof Promise) throw new CaseFailure(`${who} returned a Promise: it must compute its result synchronously (no async)`);
    for (const [tensor, { name, version }] of this.versions) {
      if (!tensor.isDisposed && versionOf(tensor) !== version) throw new CaseFailure(`${who} changed its input ${name} in place (an op ending in _ such as sub_): compute new tensors instead`);
    }
    return out;
  }

  fail(message: string, expected?: string, got?: string): never {
    throw new CaseFailure(message, expected, got);
  }

  /** `value` must be a live Tensor, with this shape and dtype if given. */
  tensor(value: unknown, what: string, want: { shape?: readonly number[]; dtype?: DType } = {}): Tensor {
    if (!(value instanceof Tensor)) this.fail(`${what} should be a Tensor, but it is ${kindOf(value)}`, "a Tensor", show(value));
    if (value.isDisposed) this.fail(`${what} is a disposed Tensor (was it created inside a tidy() that ended?)`);
    if (want.shape && !sameShape(value.shape, want.shape)) this.fail(`${what} has the wrong shape`, `shape [${want.shape.join(", ")}]`, `shape [${value.shape.join(", ")}]`);
    if (want.dtype && value.dtype !== want.dtype) this.fail(`${what} has dtype ${value.dtype}, expected ${want.dtype}`, want.dtype, value.dtype);
    return value;
  }

  /** `value` must be an object with these fields; returns it as a record. */
  fields(value: unknown, keys: readonly string[], what: string): Record<string, unknown> {
    const ok = typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Tensor) && keys.every((k) => k in value);
    if (!ok) this.fail(`${what} should be an object { ${keys.join(", ")} }, but it is ${kindOf(value)}`, `{ ${keys.join(", ")} }`, show(value));
    return value as Record<string, unknown>;
  }

  /** A vector of n numbers, given as a 1-D Tensor or an array of numbers. */
  vector(value: unknown, n: number, what: string): number[] {
    const v = value instanceof Tensor ? (value.ndim === 1 ? Array.from(value.dataSync(), Number) : null) : Array.isArray(value) || ArrayBuffer.isView(value) ? Array.from(value as ArrayLike<unknown>) : null;
    if (v === null) this.fail(`${what} should be ${n} numbers (an array or a 1-D Tensor), but it is ${kindOf(value)}`);
    if (v.length !== n) this.fail(`${what} should have ${n} entries, it has ${v.length}`, `${n} entries`, show(value));
    const bad = v.findIndex((x) => typeof x !== "number");
    if (bad >= 0) this.fail(`${what}[${bad}] should be a number, but it is ${kindOf(v[bad])}`);
    return v as number[];
  }

  /** A rows × cols matrix of numbers, given as a 2-D Tensor or an array of arrays. */
  matrix(value: unknown, rows: number, cols: number, what: string): number[][] {
    if (value instanceof Tensor) {
      if (value.ndim !== 2 || value.shape[0] !== rows || value.shape[1] !== cols) this.fail(`${what} has the wrong shape`, `shape [${rows}, ${cols}]`, `shape [${value.shape.join(", ")}]`);
      const flat = Array.from(value.dataSync(), Number);
      return Array.from({ length: rows }, (_, i) => flat.slice(i * cols, (i + 1) * cols));
    }
    if (!Array.isArray(value)) this.fail(`${what} should be a ${rows} × ${cols} matrix (an array of arrays or a 2-D Tensor), but it is ${kindOf(value)}`);
    if (value.length !== rows) this.fail(`${what} should have ${rows} rows, it has ${value.length}`);
    return value.map((row, i) => this.vector(row, cols, `${what}[${i}]`));
  }

  /** `value` must be a finite number. */
  number(value: unknown, what: string): number {
    if (typeof value !== "number") this.fail(`${what} should be a number, but it is ${kindOf(value)}`, "a number", show(value));
    if (!Number.isFinite(value)) this.fail(`${what} is ${value}`, "a finite number", String(value));
    return value;
  }

  /** Every entry finite (no NaN, no ±∞). */
  finite(value: Tensor, what: string): void {
    const data = value.dataSync();
    const i = data.findIndex((v) => !Number.isFinite(Number(v)));
    if (i >= 0) this.fail(`${what} has ${data[i]} at ${indexText(i, value.shape)}`, "finite numbers", show(value));
  }

  /** Elementwise |got − want| ≤ atol + rtol·|want| (shapes must match; NaN matches nothing). */
  close(got: Tensor | number, want: Tensor | number, what: string, opts: CloseOptions = {}): void {
    const { atol = 1e-6, rtol = 1e-5 } = opts;
    const g = typeof got === "number" ? [got] : Array.from(got.dataSync(), Number);
    const w = typeof want === "number" ? [want] : Array.from(want.dataSync(), Number);
    const shape = typeof want === "number" ? [] : want.shape;
    if (typeof got !== "number" && typeof want !== "number" && !sameShape(got.shape, want.shape)) {
      this.fail(`${what} has the wrong shape`, `shape [${want.shape.join(", ")}]`, `shape [${got.shape.join(", ")}]`);
    }
    let worst = -1;
    let worstExcess = 0;
    for (let i = 0; i < w.length; i++) {
      const diff = Math.abs(g[i] - w[i]);
      const excess = Number.isNaN(diff) ? Infinity : diff - (atol + rtol * Math.abs(w[i]));
      if (g[i] === w[i]) continue; // equal infinities
      if (excess > 0 && excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
    if (worst >= 0) {
      const at = w.length > 1 ? ` at ${indexText(worst, shape)}` : "";
      this.fail(
        `${what} differs from the expected value${at}: expected ${fmt(w[worst])}, got ${fmt(g[worst])}`,
        typeof want === "number" ? fmt(want) : show(want),
        typeof got === "number" ? fmt(got) : show(got),
      );
    }
  }

  /**
   * Float64 gradient check of f at `inputs`: autodiff through the candidate's own ops against
   * central finite differences. The output must first be connected to the inputs' graph.
   */
  gradcheck(what: string, f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
    const leaves = inputs.map((x) => x.detach().requiresGrad_(true));
    const out = this.call(() => f(...leaves));
    this.tensor(out, what);
    if (!out.requiresGrad) {
      this.fail(`${what} is not connected to its inputs in the autograd graph: no gradient can flow back. Compute it with tensor ops (no .toArray(), .item(), .detach() or new tensors built from numbers)`);
    }
    const r = this.call(() => gradcheck(f, inputs.map((x) => x.detach()), { atol: 1e-6, rtol: 1e-4 }));
    if (!r.ok) this.fail(`the gradient of ${what} (autodiff in float64) disagrees with finite differences: ${r.worst}`);
  }
}

/** The tensors inside an input (itself, or in its arrays and plain objects), with their paths. */
function tensorsIn(value: unknown, path: string, depth = 0): [string, Tensor][] {
  if (value instanceof Tensor) return [[path, value]];
  if (depth > 3 || value === null || typeof value !== "object" || value instanceof nn.Module) return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [`${path}[${i}]`, v] as const) : Object.entries(value).map(([k, v]) => [`${path}.${k}`, v] as const);
  return entries.flatMap(([p, v]) => tensorsIn(v, p, depth + 1));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** "[1, 2]": the multi-index of flat position i in a tensor of this shape. */
function indexText(i: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(i % shape[d]);
    i = Math.floor(i / shape[d]);
  }
  return `index [${idx.join(", ")}]`;
}

function fmt(v: number): string {
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? String(Number(v.toPrecision(7))) : v.toExponential(5);
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return show(err);
}

/** "a number (3)", "undefined", "an object with keys a, b": what a value is, for messages. */
export function kindOf(value: unknown): string {
  if (value === undefined) return "undefined (did the function return anything?)";
  if (value === null) return "null";
  if (value instanceof Tensor) return `a Tensor ${value.dtype} [${value.shape.join(", ")}]`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === "object") return `an object with keys ${Object.keys(value).join(", ") || "(none)"}`;
  return `a ${typeof value} (${show(value)})`;
}

const MAX_NUMBERS = 24;

/** A short readable rendering of a value: tensors with dtype, shape and their first numbers. */
export function show(value: unknown, depth = 0): string {
  if (value instanceof Tensor) {
    if (value.isDisposed) return `Tensor (disposed)`;
    const head = `${value.dtype} [${value.shape.join(", ")}]`;
    if (value.numel() > 4 * MAX_NUMBERS) return `${head} (${value.numel()} values, first: ${numbers(value.dataSync(), MAX_NUMBERS)} …)`;
    return `${head} ${nested(value.toArray())}`;
  }
  if (typeof value === "number") return fmt(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "function") return value.name ? `function ${value.name}` : "a function";
  if (value === null || typeof value !== "object") return String(value);
  if (depth > 2) return "…";
  if (Array.isArray(value)) {
    const text = nested(value);
    if (text.length < 400 && value.every((v) => typeof v !== "object" || (Array.isArray(v) && v.every((u) => typeof u !== "object" || Array.isArray(u))))) return text;
    return `[${value.slice(0, 8).map((v) => show(v, depth + 1)).join(", ")}${value.length > 8 ? `, … (${value.length} in all)` : ""}]`;
  }
  if (value instanceof nn.Module) return moduleText(value);
  const ctor = (value as object).constructor?.name;
  const entries = Object.entries(value).map(([k, v]) => `${k}: ${show(v, depth + 1)}`);
  const body = `{ ${entries.join(", ")} }`;
  return ctor && ctor !== "Object" ? `${ctor} ${body}` : body;
}

/** "HookedTransformer(n_layers 2, d_model 16, …)": a module by its class and main sizes. */
function moduleText(m: object): string {
  const cfg = (m as { cfg?: Record<string, unknown> }).cfg ?? {};
  const sizes = ["n_layers", "d_model", "n_heads", "d_head", "d_mlp", "d_vocab", "n_ctx", "d_in", "d_sae"].filter((k) => typeof cfg[k] === "number").map((k) => `${k} ${cfg[k]}`);
  return `${m.constructor.name}(${sizes.join(", ")})`;
}

function numbers(data: ArrayLike<number | bigint>, n: number): string {
  return Array.from({ length: Math.min(n, data.length) }, (_, i) => fmt(Number(data[i]))).join(", ");
}

/** Nested numbers (6 significant digits), booleans and strings as one line of text. */
function nested(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(nested).join(", ")}]`;
  if (typeof x === "number") return Number.isFinite(x) && !Number.isInteger(x) ? String(Number(x.toPrecision(6))) : String(x);
  return typeof x === "string" ? JSON.stringify(x) : String(x);
}
