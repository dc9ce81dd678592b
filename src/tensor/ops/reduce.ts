// Reductions over any set of dims (keepdim as in PyTorch), and sort/topk/cumsum along one dim.
import { backend } from "../../backend/index.js";
import type { ReduceOp } from "../../backend/types.js";
import { attach } from "../autograd.js";
import { floatTypeOf, isFloat } from "../dtype.js";
import { axisSpec, fmt, normalizeDim, normalizeDims } from "../shape.js";
import { Tensor } from "../tensor.js";
import { cast, where } from "./elementwise.js";
import { flip, reshape } from "./shape.js";
import { gather } from "./indexing.js";

type Dims = number | readonly number[] | null | undefined;

function keptShape(shape: readonly number[], dims: readonly number[]): number[] {
  return shape.map((s, i) => (dims.includes(i) ? 1 : s));
}

function finalShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, dims) : shape.filter((_, i) => !dims.includes(i));
}

function reduceKernel(op: ReduceOp, x: Tensor, dims: readonly number[], outDtype = x.dtype): Tensor {
  const out = Tensor.empty(keptShape(x.shape, dims), outDtype);
  backend().reduce(op, x.storage, x.shape, x.shape.map((_, i) => dims.includes(i)), out.storage);
  return out;
}

/** Reshapes a gradient of the reduced output back to keepdim form, then broadcasts to x's shape. */
function expandBack(g: Tensor, x: Tensor, dims: readonly number[]): Tensor {
  return reshape(g, keptShape(x.shape, dims)).expand(x.shape);
}

export function sum(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const dims = normalizeDims(dim, x.ndim, "sum");
  const input = x.dtype === "bool" ? cast(x, "int32") : x;
  const out = reshape(reduceKernel("sum", input, dims).detach(), finalShape(x.shape, dims, keepdim));
  if (!isFloat(out.dtype)) return out;
  return attach(out, "sum", [x], (g) => [expandBack(g, x, dims)]);
}

export function mean(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  const dims = normalizeDims(dim, x.ndim, "mean");
  const n = dims.reduce((p, d) => p * x.shape[d], 1);
  return sum(cast(x, floatTypeOf(x.dtype)), dims, keepdim).div(n);
}

/** max/min over dims. The gradient is shared evenly among tied extremes, as torch.amax does. */
function extreme(op: "max" | "min", x: Tensor, dim: Dims, keepdim: boolean): Tensor {
  const dims = normalizeDims(dim, x.ndim, op);
  for (const d of dims) if (x.shape[d] === 0) throw new Error(`${op}: cannot reduce over dim ${d} of size 0 (shape ${fmt(x.shape)})`);
  const kept = reduceKernel(op, x, dims);
  const out = reshape(kept, finalShape(x.shape, dims, keepdim));
  if (!isFloat(out.dtype)) return out;
  return attach(out, op === "max" ? "amax" : "amin", [x], (g) => {
    const isExtreme = x.eq(kept).to(g.dtype);
    const count = sum(isExtreme, dims, true);
    return [expandBack(g, x, dims).mul(isExtreme).div(count)];
  });
}

export function amax(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme("max", x, dim, keepdim);
}

export function amin(x: Tensor, dim?: Dims, keepdim = false): Tensor {
  return extreme("min", x, dim, keepdim);
}

function argExtreme(op: "argmax" | "argmin", x: Tensor, dim: number | null | undefined, keepdim: boolean): Tensor {
  if (dim === undefined || dim === null) return argExtreme(op, reshape(x, [-1]), 0, false);
  const d = normalizeDim(dim, x.ndim, op);
  if (x.shape[d] === 0) throw new Error(`${op}: cannot reduce over dim ${d} of size 0`);
  return reshape(reduceKernel(op, x, [d], "int32"), finalShape(x.shape, [d], keepdim));
}

export function argmax(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtreme("argmax", x, dim, keepdim);
}

export function argmin(x: Tensor, dim?: number | null, keepdim = false): Tensor {
  return argExtreme("argmin", x, dim, keepdim);
}

/** Variance: Σ(x − mean)² / (N − correction). correction = 1 (default) is the unbiased estimate. */
export function variance(x: Tensor, dim?: Dims, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
  const dims = normalizeDims(dim, x.ndim, "var");
  const n = dims.reduce((p, d) => p * x.shape[d], 1);
  const correction = opts.correction ?? 1;
  const xf = cast(x, floatTypeOf(x.dtype));
  const centered = xf.sub(mean(xf, dims, true));
  return sum(centered.square(), dims, opts.keepdim ?? false).div(Math.max(0, n - correction));
}

export function std(x: Tensor, dim?: Dims, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
  return variance(x, dim, opts).sqrt();
}

/** log Σ exp(x), computed as m + log Σ exp(x − m) with m the (constant) max so nothing overflows. */
export function logsumexp(x: Tensor, dim: Dims, keepdim = false): Tensor {
  const dims = normalizeDims(dim, x.ndim, "logsumexp");
  const xf = cast(x, floatTypeOf(x.dtype));
  const m = amax(xf.detach(), dims, true);
  const safeM = where(m.isinf(), 0, m);
  const s = sum(xf.sub(safeM).exp(), dims, true).log().add(safeM);
  return keepdim ? s : reshape(s, finalShape(x.shape, dims, false));
}

/** p-norm over dims: (Σ|x|^p)^(1/p); p = Infinity gives max |x|. */
export function norm(x: Tensor, p = 2, dim?: Dims, keepdim = false): Tensor {
  const xf = cast(x, floatTypeOf(x.dtype));
  if (p === Infinity) return amax(xf.abs(), dim, keepdim);
  if (p === 1) return sum(xf.abs(), dim, keepdim);
  if (!(p > 0)) throw new Error(`norm: p must be positive, got ${p}`);
  const dims = normalizeDims(dim, x.ndim, "norm");
  const kept = keptShape(x.shape, dims);
  const xd = xf.detach();
  const y = reshape(p === 2 ? sum(xd.square(), dims, true).sqrt() : sum(xd.abs().pow(p), dims, true).pow(1 / p), finalShape(x.shape, dims, keepdim));
  // d‖x‖/dx = sign(x)|x|^(p−1) / ‖x‖^(p−1), taken as 0 where ‖x‖ = 0, as PyTorch does (the chain
  // rule through the root would give 0·∞ = NaN there, e.g. for a zeroed-out activation)
  return attach(y, "norm", [xf], (g) => {
    const n = reshape(y, kept);
    const scale = where(n.eq(0), 0, reshape(g, kept).div(p === 2 ? n : n.pow(p - 1)));
    const dir = p === 2 ? xf : where(xf.eq(0), 0, xf.sign().mul(xf.abs().pow(p - 1)));
    return [dir.mul(scale)];
  });
}

export function cumsum(x: Tensor, dim: number): Tensor {
  const d = normalizeDim(dim, x.ndim, "cumsum");
  const input = x.dtype === "bool" ? cast(x, "int32") : x;
  const out = Tensor.empty(x.shape, input.dtype);
  backend().cumsum(input.storage, out.storage, axisSpec(x.shape, d));
  if (!isFloat(out.dtype)) return out;
  // the adjoint of a prefix sum is a suffix sum
  return attach(out, "cumsum", [x], (g) => [flip(cumsum(flip(g, d), d), d)]);
}

export function sort(x: Tensor, dim = -1, descending = false): { values: Tensor; indices: Tensor } {
  const d = x.ndim === 0 ? 0 : normalizeDim(dim, x.ndim, "sort");
  const indices = Tensor.empty(x.shape, "int32");
  const sorted = Tensor.empty(x.shape, x.dtype);
  backend().sort(x.storage, sorted.storage, indices.storage, axisSpec(x.shape, d), descending);
  // values = gather(x, d, indices), which also gives the gradient
  const values = x.requiresGrad ? gather(x, d, indices) : sorted;
  return { values, indices };
}

export function topk(x: Tensor, k: number, dim = -1, largest = true, sorted = true): { values: Tensor; indices: Tensor } {
  const d = normalizeDim(dim, x.ndim, "topk");
  if (!Number.isInteger(k) || k < 0 || k > x.shape[d]) throw new Error(`topk: k = ${k} out of range for dim ${dim} of size ${x.shape[d]}`);
  void sorted; // always sorted
  const shape = x.shape.map((n, i) => (i === d ? k : n));
  const indices = Tensor.empty(shape, "int32");
  const top = Tensor.empty(shape, x.dtype);
  backend().topk(x.storage, top.storage, indices.storage, axisSpec(x.shape, d), k, largest);
  // values = gather(x, d, indices), which also gives the gradient
  return { values: x.requiresGrad ? gather(x, d, indices) : top, indices };
}

export function all(x: Tensor): boolean {
  return reduceKernel("min", cast(x, "bool"), x.shape.map((_, i) => i)).item() !== 0 || x.numel() === 0;
}

export function any(x: Tensor): boolean {
  return x.numel() > 0 && reduceKernel("max", cast(x, "bool"), x.shape.map((_, i) => i)).item() !== 0;
}
