// Reductions over any set of dims (keepdim as in PyTorch): sum, mean, prod, max/min (with their
// indices along one dim, or the values over several), var/std, logsumexp and vector norms.
// Arguments follow ../args.ts: (dim, keepdim) positionally or in an options object.
import { backend } from "../../backend/index.js";
import type { DType, ReduceOp } from "../../backend/types.js";
import { boolOption, isOptions, type Options, parseArgs } from "../args.js";
import { attach } from "../autograd.js";
import { checkDType, floatTypeOf, isFloat } from "../dtype.js";
import { fmt, normalizeDim, normalizeDims } from "../shape.js";
import { Tensor } from "../tensor.js";
import { cast, maximum, minimum, where } from "./elementwise.js";
import { gather } from "./indexing.js";
import { ValuesIndices, cumprod } from "./scan.js";
import { cat, flip, reshape, slice, squeeze } from "./shape.js";

type Dims = number | readonly number[] | null | undefined;
export interface KeepdimOptions {
  keepdim?: boolean;
}
export interface ReduceOptions extends KeepdimOptions {
  dim?: number | readonly number[] | null;
}
export interface SumOptions extends ReduceOptions {
  /** Cast the input to this dtype first (PyTorch's dtype=). */
  dtype?: DType;
}
export interface VarOptions extends ReduceOptions {
  /** Divide by N − correction (default 1, Bessel's correction). */
  correction?: number;
  /** Legacy form of correction: true is correction 1, false is 0. */
  unbiased?: boolean;
}

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

const NO_OPTIONS: Options = {};

/** A reduction's (dim, keepdim, keyword-only extras), given positionally or as options. */
function reduceArgs(op: string, dim: unknown, keepdim: unknown, opts: unknown, extra: readonly string[] = []): { dim: Dims; keepdim: boolean; o: Options } {
  if (!isOptions(dim) && !isOptions(keepdim) && opts === undefined) {
    return { dim: dim as Dims, keepdim: boolOption(op, "keepdim", keepdim, false), o: NO_OPTIONS };
  }
  const o = parseArgs(op, ["dim", "keepdim", ...extra], 2, [dim, keepdim, opts]);
  return { dim: o.dim as Dims, keepdim: boolOption(op, "keepdim", o.keepdim, false), o };
}

/** The input cast to an options object's dtype, if it names one. */
function withDtype(x: Tensor, o: Options, op: string): Tensor {
  return o.dtype === undefined ? x : cast(x, checkDType(o.dtype, op));
}

// ------------------------------------------------------------------ sum, mean, prod
export function sum(x: Tensor, dim?: Dims | SumOptions, keepdim?: boolean | SumOptions, opts?: SumOptions): Tensor {
  const a = reduceArgs("sum", dim, keepdim, opts, ["dtype"]);
  const xt = withDtype(x, a.o, "sum");
  const dims = normalizeDims(a.dim, xt.ndim, "sum");
  const input = xt.dtype === "bool" ? cast(xt, "int32") : xt;
  const out = reshape(reduceKernel("sum", input, dims).detach(), finalShape(xt.shape, dims, a.keepdim));
  if (!isFloat(out.dtype)) return out;
  return attach(out, "sum", [xt], (g) => [expandBack(g, xt, dims)], []);
}

/** Mean over dims; integer inputs give float32 (PyTorch asks for a float input or a dtype). */
export function mean(x: Tensor, dim?: Dims | SumOptions, keepdim?: boolean | SumOptions, opts?: SumOptions): Tensor {
  const a = reduceArgs("mean", dim, keepdim, opts, ["dtype"]);
  const xt = withDtype(x, a.o, "mean");
  const dims = normalizeDims(a.dim, xt.ndim, "mean");
  const n = dims.reduce((p, d) => p * xt.shape[d], 1);
  return sum(cast(xt, floatTypeOf(xt.dtype)), dims, a.keepdim).div(n);
}

export interface ProdOptions extends KeepdimOptions {
  dim?: number | null;
  dtype?: DType;
}

/**
 * Product over one dim (all when omitted), as torch.prod. The gradient of x_i is the product of
 * the others, Π_{j<i} x_j · Π_{j>i} x_j: exclusive prefix and suffix products, exact when some
 * x_j are zero (dividing the product by x_i would give 0/0 there).
 */
export function prod(x: Tensor, dim?: number | null | ProdOptions, keepdim?: boolean | ProdOptions, opts?: ProdOptions): Tensor {
  const a = reduceArgs("prod", dim, keepdim, opts, ["dtype"]);
  let xt = withDtype(x, a.o, "prod");
  if (xt.dtype === "bool") xt = cast(xt, "int32");
  if (a.dim === undefined || a.dim === null) {
    const all = prod(reshape(xt, [-1]), 0);
    return a.keepdim ? reshape(all, xt.shape.map(() => 1)) : all;
  }
  if (typeof a.dim !== "number") throw new Error(`prod: dim must be one integer, as in PyTorch, got ${JSON.stringify(a.dim)}`);
  const d = xt.ndim === 0 ? 0 : normalizeDim(a.dim, xt.ndim, "prod");
  if (xt.ndim === 0) return xt;
  const out = reshape(reduceKernel("prod", xt, [d]).detach(), finalShape(xt.shape, [d], a.keepdim));
  if (!isFloat(out.dtype)) return out;
  return attach(out, "prod", [xt], (g) => {
    const n = xt.shape[d];
    const ones = Tensor.empty(xt.shape.map((s, i) => (i === d ? 1 : s)), xt.dtype).fill_(1);
    const exclusive = (t: Tensor) => cat([ones, slice(cumprod(t, d), d, 0, n - 1)], d);
    const others = exclusive(xt).mul(flip(exclusive(flip(xt, d)), d));
    return [expandBack(g, xt, [d]).mul(others)];
  }, [xt]);
}

// ------------------------------------------------------------------ max, min
/** max/min over dims. The gradient is shared evenly among tied extremes, as torch.amax does. */
function extreme(op: "max" | "min", x: Tensor, dims: readonly number[], keepdim: boolean): Tensor {
  for (const d of dims) if (x.shape[d] === 0) throw new Error(`${op}: cannot reduce over dim ${d} of size 0 (shape ${fmt(x.shape)})`);
  const kept = reduceKernel(op, x, dims);
  const out = reshape(kept, finalShape(x.shape, dims, keepdim));
  if (!isFloat(out.dtype)) return out;
  return attach(out, op === "max" ? "amax" : "amin", [x], (g) => {
    const isExtreme = x.eq(kept).to(g.dtype);
    const count = sum(isExtreme, dims, true);
    return [expandBack(g, x, dims).mul(isExtreme).div(count)];
  }, [x, kept]);
}

export function amax(x: Tensor, dim?: Dims | ReduceOptions, keepdim?: boolean | ReduceOptions): Tensor {
  const a = reduceArgs("amax", dim, keepdim, undefined);
  return extreme("max", x, normalizeDims(a.dim, x.ndim, "amax"), a.keepdim);
}

export function amin(x: Tensor, dim?: Dims | ReduceOptions, keepdim?: boolean | ReduceOptions): Tensor {
  const a = reduceArgs("amin", dim, keepdim, undefined);
  return extreme("min", x, normalizeDims(a.dim, x.ndim, "amin"), a.keepdim);
}

export interface DimOptions extends KeepdimOptions {
  dim?: number;
}

/**
 * torch.max in its three forms: max(x) is the largest value (a 0-d tensor); max(x, dim) gives
 * { values, indices } along dim, which also destructures as [values, indices]; max(x, other) is
 * the elementwise maximum. Along a dim the gradient goes to the index returned (the first
 * maximum), as PyTorch's; the full reduction shares it among ties, as PyTorch's does.
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim: number | DimOptions, keepdim?: boolean | KeepdimOptions): ValuesIndices;
export function max(x: Tensor, dimOrOther?: number | Tensor | DimOptions, keepdim?: boolean | KeepdimOptions): Tensor | ValuesIndices {
  return extremeForms("max", x, dimOrOther, keepdim);
}

/** torch.min: min(x), min(x, dim) → { values, indices }, min(x, other) elementwise (see max). */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim: number | DimOptions, keepdim?: boolean | KeepdimOptions): ValuesIndices;
export function min(x: Tensor, dimOrOther?: number | Tensor | DimOptions, keepdim?: boolean | KeepdimOptions): Tensor | ValuesIndices {
  return extremeForms("min", x, dimOrOther, keepdim);
}

function extremeForms(op: "max" | "min", x: Tensor, dimOrOther: unknown, keepdim: unknown): Tensor | ValuesIndices {
  if (dimOrOther instanceof Tensor) {
    if (keepdim !== undefined) throw new Error(`${op}(input, other) takes no keepdim`);
    return op === "max" ? maximum(x, dimOrOther) : minimum(x, dimOrOther);
  }
  if (dimOrOther === undefined && keepdim === undefined) return extreme(op, x, normalizeDims(null, x.ndim, op), false);
  const a = reduceArgs(op, dimOrOther, keepdim, undefined);
  if (typeof a.dim !== "number") {
    throw new Error(`${op}: dim must be one integer (got ${JSON.stringify(a.dim)}); use amax/amin to reduce several dims, or ${op}() for all`);
  }
  return extremeAlong(op, x, a.dim, a.keepdim);
}

/** Values and (first) indices of the extremes along one dim; NaN counts as the extreme, as in PyTorch. */
function extremeAlong(op: "max" | "min", x: Tensor, dim: number, keepdim: boolean): ValuesIndices {
  if (x.ndim === 0) {
    normalizeDim(dim, 0, op);
    return new ValuesIndices(x, Tensor.empty([], "int32"));
  }
  const d = normalizeDim(dim, x.ndim, op);
  if (x.shape[d] === 0) throw new Error(`${op}: cannot reduce over dim ${d} of size 0 (shape ${fmt(x.shape)})`);
  const index = reduceKernel(op === "max" ? "argmax" : "argmin", x, [d], "int32");
  // values = x gathered at the indices, which also routes the gradient to them
  const values = gather(x, d, index);
  return keepdim ? new ValuesIndices(values, index) : new ValuesIndices(squeeze(values, d), squeeze(index, d));
}

function argExtreme(op: "argmax" | "argmin", x: Tensor, dim: unknown, keepdim: unknown): Tensor {
  const a = reduceArgs(op, dim, keepdim, undefined);
  if (a.dim === undefined || a.dim === null) {
    const flat = argExtreme(op, reshape(x, [-1]), 0, false);
    return a.keepdim ? reshape(flat, x.shape.map(() => 1)) : flat;
  }
  if (typeof a.dim !== "number") throw new Error(`${op}: dim must be one integer, got ${JSON.stringify(a.dim)}`);
  const d = normalizeDim(a.dim, x.ndim, op);
  if (x.shape[d] === 0) throw new Error(`${op}: cannot reduce over dim ${d} of size 0`);
  return reshape(reduceKernel(op, x, [d], "int32"), finalShape(x.shape, [d], a.keepdim));
}

/** Index of the largest value (the first, on ties), int32; over the flattened tensor when dim is omitted. */
export function argmax(x: Tensor, dim?: number | null | DimOptions, keepdim?: boolean | KeepdimOptions): Tensor {
  return argExtreme("argmax", x, dim, keepdim);
}

export function argmin(x: Tensor, dim?: number | null | DimOptions, keepdim?: boolean | KeepdimOptions): Tensor {
  return argExtreme("argmin", x, dim, keepdim);
}

// ------------------------------------------------------------------ variance
/**
 * var's arguments in all of PyTorch's forms: var(dim, { correction, keepdim }),
 * var(dim, unbiased, keepdim) (legacy) and var(unbiased).
 */
function varArgs(op: string, dim: unknown, unbiased: unknown, keepdim: unknown, opts: unknown): { dims: Dims; correction: number; keepdim: boolean } {
  if (typeof dim === "boolean") return varArgs(op, undefined, dim, keepdim, opts);
  const o = parseArgs(op, ["dim", "unbiased", "keepdim", "correction"], 3, [dim, unbiased, keepdim, opts]);
  if (o.unbiased !== undefined && o.correction !== undefined) throw new Error(`${op}: pass either correction or unbiased, not both`);
  const correction = o.correction !== undefined ? o.correction : boolOption(op, "unbiased", o.unbiased, true) ? 1 : 0;
  if (typeof correction !== "number" || !Number.isFinite(correction)) throw new Error(`${op}: correction must be a number, got ${JSON.stringify(correction)}`);
  return { dims: o.dim as Dims, correction, keepdim: boolOption(op, "keepdim", o.keepdim, false) };
}

/** Variance: Σ(x − mean)² / (N − correction). correction = 1 (default) is the unbiased estimate. */
export function variance(x: Tensor, dim?: Dims | boolean | VarOptions, unbiased?: boolean | VarOptions, keepdim?: boolean | VarOptions, opts?: VarOptions): Tensor {
  const a = varArgs("var", dim, unbiased, keepdim, opts);
  const dims = normalizeDims(a.dims, x.ndim, "var");
  const n = dims.reduce((p, d) => p * x.shape[d], 1);
  const xf = cast(x, floatTypeOf(x.dtype));
  const centered = xf.sub(mean(xf, dims, true));
  return sum(centered.square(), dims, a.keepdim).div(Math.max(0, n - a.correction));
}

export function std(x: Tensor, dim?: Dims | boolean | VarOptions, unbiased?: boolean | VarOptions, keepdim?: boolean | VarOptions, opts?: VarOptions): Tensor {
  const a = varArgs("std", dim, unbiased, keepdim, opts);
  return variance(x, a.dims, { correction: a.correction, keepdim: a.keepdim }).sqrt();
}

// ------------------------------------------------------------------ logsumexp, norms
/**
 * log Σ exp(x) over dims (null: all, which PyTorch 1.x does not accept), computed as
 * m + log Σ exp(x − m) with m the (constant) max so nothing overflows.
 */
export function logsumexp(x: Tensor, dim: Dims | ReduceOptions, keepdim?: boolean | KeepdimOptions): Tensor {
  const a = reduceArgs("logsumexp", dim, keepdim, undefined);
  const dims = normalizeDims(a.dim, x.ndim, "logsumexp");
  const xf = cast(x, floatTypeOf(x.dtype));
  const m = extreme("max", xf.detach(), dims, true);
  const safeM = where(m.isinf(), 0, m);
  const s = sum(xf.sub(safeM).exp(), dims, true).log().add(safeM);
  return a.keepdim ? s : reshape(s, finalShape(x.shape, dims, false));
}

export type NormOrd = number | "fro";
export interface NormOptions extends ReduceOptions {
  dtype?: DType;
}
export interface VectorNormOptions extends NormOptions {
  ord?: number;
}

/**
 * Vector norm over dims (all when omitted), as torch.linalg.vector_norm: (Σ|x|^p)^(1/p) for any
 * real p ≠ 0; p = ∞ gives max |x|, −∞ min |x|, 0 the number of nonzero entries.
 */
export function vectorNorm(x: Tensor, ord?: number | VectorNormOptions, dim?: Dims | VectorNormOptions, keepdim?: boolean | VectorNormOptions, opts?: VectorNormOptions): Tensor {
  const o = parseArgs("vectorNorm", ["ord", "dim", "keepdim", "dtype"], 3, [ord, dim, keepdim, opts]);
  const p = o.ord === undefined ? 2 : o.ord;
  if (typeof p !== "number" || Number.isNaN(p)) throw new Error(`vectorNorm: ord must be a number (Infinity for the max norm), got ${JSON.stringify(p)}`);
  return pNorm("vectorNorm", withDtype(x, o, "vectorNorm"), p, o.dim as Dims, boolOption("vectorNorm", "keepdim", o.keepdim, false));
}

/**
 * torch.norm / Tensor.norm: the vector p-norm over dims ("fro" is p = 2, the default). Matrix
 * norms ("nuc", and p over two dims meaning an operator norm in torch.linalg.norm) are not here.
 */
export function norm(x: Tensor, p?: NormOrd | NormOptions & { p?: NormOrd }, dim?: Dims | NormOptions, keepdim?: boolean | NormOptions, opts?: NormOptions): Tensor {
  const o = parseArgs("norm", ["p", "dim", "keepdim", "dtype"], 3, [p, dim, keepdim, opts]);
  const ord = o.p === undefined || o.p === "fro" ? 2 : o.p;
  if (typeof ord !== "number" || Number.isNaN(ord)) throw new Error(`norm: p must be a number or "fro", got ${JSON.stringify(o.p)} ("nuc" and other matrix norms are not supported)`);
  return pNorm("norm", withDtype(x, o, "norm"), ord, o.dim as Dims, boolOption("norm", "keepdim", o.keepdim, false));
}

function pNorm(op: string, x: Tensor, p: number, dim: Dims, keepdim: boolean): Tensor {
  const xf = cast(x, floatTypeOf(x.dtype));
  if (p === Infinity) return amax(xf.abs(), dim ?? null, keepdim);
  if (p === -Infinity) return amin(xf.abs(), dim ?? null, keepdim);
  // the count of nonzeros: piecewise constant, so its gradient is 0 (PyTorch still records it)
  if (p === 0) return attach(sum(xf.ne(0).to(xf.dtype), dim ?? null, keepdim), "norm", [xf], () => [xf.zerosLike()], []);
  if (p === 1) return sum(xf.abs(), dim ?? null, keepdim);
  const dims = normalizeDims(dim, x.ndim, op);
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
  }, [xf, y]);
}

// ------------------------------------------------------------------ all, any
/** True when every entry is nonzero (a JS boolean; PyTorch returns a 0-d bool tensor). */
export function all(x: Tensor): boolean {
  return reduceKernel("min", cast(x, "bool"), x.shape.map((_, i) => i)).item() !== 0 || x.numel() === 0;
}

export function any(x: Tensor): boolean {
  return x.numel() > 0 && reduceKernel("max", cast(x, "bool"), x.shape.map((_, i) => i)).item() !== 0;
}
