// Ops along one dim that keep it: running sums and products (cumsum, cumprod) and ordering
// (sort, argsort, topk). Arguments follow ../args.ts.
import { backend } from "../../backend/index.js";
import type { DType } from "../../backend/types.js";
import { boolOption, isOptions, parseArgs } from "../args.js";
import { attach } from "../autograd.js";
import { holdsTensors } from "../scope.js";
import { checkDType, isFloat, makeTypedArray } from "../dtype.js";
import { axisSpec, normalizeDim } from "../shape.js";
import { Tensor } from "../tensor.js";
import { cast } from "./elementwise.js";
import { gather } from "./indexing.js";
import { cat, flip, select, slice, stack } from "./shape.js";

/**
 * What max(dim), min(dim), sort and topk return, like PyTorch's named tuples: read
 * `.values` and `.indices`, or destructure `const [values, indices] = x.sort()`.
 */
export class ValuesIndices {
  /** tidy() keeps both tensors when this is returned */
  readonly [holdsTensors] = true;

  constructor(
    readonly values: Tensor,
    /** int32 positions along the dim */
    readonly indices: Tensor,
  ) {}

  *[Symbol.iterator](): IterableIterator<Tensor> {
    yield this.values;
    yield this.indices;
  }
}

export interface ScanOptions {
  dim?: number;
  /** Cast the input to this dtype first (PyTorch's dtype=). */
  dtype?: DType;
}

/** (dim, dtype-cast input) of cumsum/cumprod, dim required as in PyTorch. */
function scanArgs(op: string, x: Tensor, dim: unknown, opts: unknown): [number, Tensor] {
  const o = isOptions(dim) || opts !== undefined ? parseArgs(op, ["dim", "dtype"], 1, [dim, opts]) : { dim };
  if (typeof o.dim !== "number") throw new Error(`${op}: dim is required and must be an integer, got ${JSON.stringify(o.dim)}`);
  let input = o.dtype === undefined ? x : cast(x, checkDType(o.dtype, op));
  if (input.dtype === "bool") input = cast(input, "int32");
  return [input.ndim === 0 ? 0 : normalizeDim(o.dim, input.ndim, op), input];
}

/** Running sum along dim: y_i = Σ_{j≤i} x_j. */
export function cumsum(x: Tensor, dim: number | ScanOptions, opts?: ScanOptions): Tensor {
  const [d, input] = scanArgs("cumsum", x, dim, opts);
  return cumsumAlong(input, d);
}

function cumsumAlong(x: Tensor, d: number): Tensor {
  const out = Tensor.empty(x.shape, x.dtype);
  backend().cumsum(x.storage, out.storage, axisSpec(x.shape, d));
  if (!isFloat(out.dtype)) return out;
  // the adjoint of a prefix sum is a suffix sum
  return attach(out, "cumsum", [x], (g) => [reverseCumsum(g, d)], []);
}

/** z_i = Σ_{k≥i} g_k */
function reverseCumsum(g: Tensor, d: number): Tensor {
  return flip(cumsumAlong(flip(g, d), d), d);
}

/**
 * Running product along dim: y_i = Π_{j≤i} x_j. Its gradient is
 *   dL/dx_i = Σ_{k≥i} g_k Π_{j≤k, j≠i} x_j = Σ_{k≥i} g_k y_k / x_i   (when no x_j is 0).
 * With zeros the division is 0/0, so the gradient is then built without it:
 *   dL/dx_i = (Π_{j<i} x_j) · h_i,  h_i = g_i + x_{i+1} h_{i+1},  h_last = g_last,
 * a reverse scan of tensor ops, exact at zeros and differentiable again (as is the first form).
 */
export function cumprod(x: Tensor, dim: number | ScanOptions, opts?: ScanOptions): Tensor {
  const [d, input] = scanArgs("cumprod", x, dim, opts);
  return cumprodAlong(input, d);
}

function cumprodAlong(x: Tensor, d: number): Tensor {
  // no backend kernel: a running product over (outer, dim, inner) here, rounded to float32 at
  // each step for float32 as PyTorch's kernel does
  const { outer, dim: n, inner } = axisSpec(x.shape, d);
  const step = x.dtype === "int32" ? Math.imul : x.dtype === "float32" ? (a: number, b: number) => Math.fround(a * b) : (a: number, b: number) => a * b;
  const out = Tensor.output(x.shape, x.dtype);
  const src = backend().read(x.storage);
  const y = makeTypedArray(x.dtype, src.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let p = 1;
      for (let j = 0; j < n; j++) {
        const at = (o * n + j) * inner + i;
        p = step(p, src[at]);
        y[at] = p;
      }
    }
  }
  backend().write(out.storage, y);
  if (!isFloat(out.dtype)) return out;
  return attach(out, "cumprod", [x], (g) => {
    if (!backend().read(x.storage).includes(0)) return [reverseCumsum(g.mul(out), d).div(x)];
    const n = x.shape[d];
    const h = new Array<Tensor>(n);
    h[n - 1] = select(g, d, n - 1);
    for (let i = n - 2; i >= 0; i--) h[i] = select(g, d, i).add(select(x, d, i + 1).mul(h[i + 1]));
    const ones = Tensor.empty(x.shape.map((s, i) => (i === d ? 1 : s)), x.dtype).fill_(1);
    const before = cat([ones, slice(cumprodAlong(x, d), d, 0, n - 1)], d); // Π_{j<i} x_j
    return [before.mul(stack(h, d))];
  }, [x, out]);
}

export interface SortOptions {
  dim?: number;
  descending?: boolean;
  /** Accepted for PyTorch's sake: sorting here is always stable. */
  stable?: boolean;
}

function sortArgs(op: string, dim: unknown, descending: unknown, opts: unknown): { dim: number; descending: boolean } {
  const o = isOptions(dim) || isOptions(descending) || opts !== undefined ? parseArgs(op, ["dim", "descending", "stable"], 2, [dim, descending, opts]) : { dim, descending };
  const d = o.dim === undefined ? -1 : o.dim;
  if (typeof d !== "number") throw new Error(`${op}: dim must be an integer, got ${JSON.stringify(d)}`);
  boolOption(op, "stable", o.stable, true);
  return { dim: d, descending: boolOption(op, "descending", o.descending, false) };
}

/** Sorted values and their int32 indices along dim (default the last), ties in input order. */
export function sort(x: Tensor, dim?: number | SortOptions, descending?: boolean | SortOptions, opts?: SortOptions): ValuesIndices {
  const a = sortArgs("sort", dim, descending, opts);
  const d = x.ndim === 0 ? 0 : normalizeDim(a.dim, x.ndim, "sort");
  const indices = Tensor.empty(x.shape, "int32");
  const sorted = Tensor.empty(x.shape, x.dtype);
  backend().sort(x.storage, sorted.storage, indices.storage, axisSpec(x.shape, d), a.descending);
  // values = gather(x, d, indices), which also gives the gradient
  const values = x.requiresGrad ? gather(x, d, indices) : sorted;
  return new ValuesIndices(values, indices);
}

/** The int32 indices that sort x along dim: sort(x, …).indices. */
export function argsort(x: Tensor, dim?: number | SortOptions, descending?: boolean | SortOptions, opts?: SortOptions): Tensor {
  const a = sortArgs("argsort", dim, descending, opts);
  const d = x.ndim === 0 ? 0 : normalizeDim(a.dim, x.ndim, "argsort");
  const indices = Tensor.empty(x.shape, "int32");
  backend().sort(x.storage, Tensor.empty(x.shape, x.dtype).storage, indices.storage, axisSpec(x.shape, d), a.descending);
  return indices;
}

export interface TopkOptions {
  dim?: number;
  largest?: boolean;
  sorted?: boolean;
}

/** The k largest (or smallest) values along dim and their int32 indices, always sorted. */
export function topk(x: Tensor, k: number, dim?: number | TopkOptions, largest?: boolean | TopkOptions, sorted?: boolean | TopkOptions, opts?: TopkOptions): ValuesIndices {
  const o = parseArgs("topk", ["dim", "largest", "sorted"], 3, [dim, largest, sorted, opts]);
  const d = normalizeDim(o.dim === undefined ? -1 : (o.dim as number), x.ndim, "topk");
  if (!Number.isInteger(k) || k < 0 || k > x.shape[d]) throw new Error(`topk: k = ${k} out of range for dim ${d} of size ${x.shape[d]}`);
  const big = boolOption("topk", "largest", o.largest, true);
  boolOption("topk", "sorted", o.sorted, true); // always sorted
  const shape = x.shape.map((n, i) => (i === d ? k : n));
  const indices = Tensor.empty(shape, "int32");
  const top = Tensor.empty(shape, x.dtype);
  backend().topk(x.storage, top.storage, indices.storage, axisSpec(x.shape, d), k, big);
  // values = gather(x, d, indices), which also gives the gradient
  return new ValuesIndices(x.requiresGrad ? gather(x, d, indices) : top, indices);
}
