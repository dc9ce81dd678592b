// Neural-network functions (torch.nn.functional): softmax family, losses, normalisation,
// dropout, linear/embedding, and convolution/pooling built on im2col (unfold2d).
import { backend } from "../../backend/index.js";
import type { Conv2dSpec } from "../../backend/types.js";
import { attach, isGradEnabled } from "../autograd.js";
import { floatTypeOf, isFloat } from "../dtype.js";
import { defaultGenerator, type Generator } from "../random.js";
import { axisSpec, fmt, normalizeDim } from "../shape.js";
import { Tensor } from "../tensor.js";
import { cast, where } from "./elementwise.js";
import { checkIndex, gather, indexSelect } from "./indexing.js";
import { crossEntropyRows, layerNormFused, rmsNormFused } from "./fused.js";
import { matmulT } from "./linalg.js";
import { mean, sum } from "./reduce.js";
import { reshape, unsqueeze } from "./shape.js";

// ------------------------------------------------------------------ softmax
function softmaxImpl(x: Tensor, dim: number, log: boolean): Tensor {
  const name = log ? "logSoftmax" : "softmax";
  const d = x.ndim === 0 ? 0 : normalizeDim(dim, x.ndim, name);
  const input = cast(x, floatTypeOf(x.dtype));
  const spec = axisSpec(x.shape, d);
  const y = Tensor.output(x.shape, input.dtype);
  backend().softmax(input.storage, y.storage, spec, log);
  return attach(y, name, [input], (g) => {
    if (isGradEnabled()) {
      // double-backward: the same formula as the kernel, in differentiable tensor ops
      return log ? [g.sub(y.exp().mul(sum(g, d, true)))] : [y.mul(g.sub(sum(g.mul(y), d, true)))];
    }
    const dx = Tensor.output(x.shape, g.dtype);
    backend().softmaxBackward(y.storage, g.storage, dx.storage, spec, log);
    return [dx];
  }, [y]);
}

export function softmax(x: Tensor, dim: number): Tensor {
  return softmaxImpl(x, dim, false);
}

export function logSoftmax(x: Tensor, dim: number): Tensor {
  return softmaxImpl(x, dim, true);
}

// ------------------------------------------------------------------ losses
export type Reduction = "mean" | "sum" | "none";

function reduceLoss(loss: Tensor, reduction: Reduction, op: string): Tensor {
  if (reduction === "mean") return loss.mean();
  if (reduction === "sum") return loss.sum();
  if (reduction === "none") return loss;
  throw new Error(`${op}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(reduction)}`);
}

export interface CrossEntropyOptions {
  /** A rescaling weight for each class, (C); a target's loss counts weight[target] times. */
  weight?: Tensor | null;
  /** Targets equal to this are skipped (default -100, as PyTorch). */
  ignoreIndex?: number;
  /** Mix the one-hot target with the uniform distribution by this much (default 0). */
  labelSmoothing?: number;
  reduction?: Reduction;
}

/** Moves the class dim (1) last and flattens: (N, C, d1, ...) → (N·d1·…, C). */
function classesLast(x: Tensor): Tensor {
  if (x.ndim <= 2) return x.ndim === 1 ? unsqueeze(x, 0) : x;
  const perm = [0, ...x.shape.slice(2).map((_, i) => i + 2), 1];
  return reshape(x.permute(perm), [-1, x.shape[1]]);
}

function checkClassWeight(weight: Tensor | null, C: number, op: string): void {
  if (weight === null) return;
  if (weight.ndim !== 1 || weight.shape[0] !== C) throw new Error(`${op}: weight must hold one number per class, shape [${C}], got ${fmt(weight.shape)}`);
  if (!isFloat(weight.dtype)) throw new Error(`${op}: weight must be a floating-point tensor, got ${weight.dtype}`);
}

/** weight[t] for each target t that is kept, 0 for ignored ones; the target's shape. */
function targetWeights(weight: Tensor, target: Tensor, keep: Tensor): Tensor {
  const t = reshape(where(keep, target, 0), [-1]);
  return where(keep, reshape(indexSelect(weight, 0, t), target.shape), 0);
}

/**
 * nll_loss: −weight[t]·logp[t] for each target t that is not ignoreIndex; "mean" divides by the
 * number of such targets (by the sum of their weights when `weight` is given, as PyTorch).
 * `logp` holds log-probabilities with classes in dim 1: (N, C) or (N, C, d1, ...) or (C).
 */
export function nllLoss(logp: Tensor, target: Tensor, opts: { weight?: Tensor | null; ignoreIndex?: number; reduction?: Reduction } = {}): Tensor {
  const { weight = null, ignoreIndex = -100, reduction = "mean" } = opts;
  const expected = logp.ndim === 1 ? [] : [logp.shape[0], ...logp.shape.slice(2)];
  if (target.dtype !== "int32") throw new Error(`nllLoss: target must hold class indices as int32, got ${target.dtype}`);
  if (target.ndim !== expected.length || target.shape.some((s, i) => s !== expected[i])) {
    throw new Error(`nllLoss: input ${fmt(logp.shape)} (classes in dim ${logp.ndim === 1 ? 0 : 1}) expects target of shape ${fmt(expected)}, got ${fmt(target.shape)}`);
  }
  const C = logp.ndim === 1 ? logp.shape[0] : logp.shape[1];
  checkClassWeight(weight, C, "nllLoss");
  const flatLogp = classesLast(logp);
  const t = reshape(target, [-1]);
  const keep = t.ne(ignoreIndex);
  const safeT = where(keep, t, 0);
  checkIndex(safeT, C, "nllLoss");
  const picked = reshape(gather(flatLogp, 1, unsqueeze(safeT, 1)), [-1]);
  let losses = where(keep, picked.neg(), 0);
  const w = weight && targetWeights(weight, t, keep);
  if (w) losses = losses.mul(w);
  if (reduction === "mean") return losses.sum().div(w ? w.sum() : keep.sum().to(losses.dtype));
  return reduceLoss(reduction === "none" ? reshape(losses, target.shape) : losses, reduction, "nllLoss");
}

/**
 * cross_entropy(logits, target): log-softmax over the class dim (1) then NLL. `target` is int32
 * class indices, or a float tensor of class probabilities with the same shape as the logits.
 * Options as PyTorch's: class `weight`, `ignoreIndex`, `labelSmoothing`, `reduction`.
 */
export function crossEntropy(logits: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const { weight = null, ignoreIndex = -100, labelSmoothing = 0, reduction = "mean" } = opts;
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new Error(`crossEntropy: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  if (logits.ndim === 0) throw new Error("crossEntropy: logits must have a class dimension");
  const classDim = logits.ndim === 1 ? 0 : 1;
  const C = logits.shape[classDim];
  checkClassWeight(weight, C, "crossEntropy");
  if (!isFloat(target.dtype) && logits.ndim <= 2 && weight === null) return crossEntropyFused(logits, target, ignoreIndex, labelSmoothing, reduction);
  const logp = logSoftmax(logits, classDim);
  // the class weights shaped to broadcast along the class dim
  const wc = weight && reshape(weight, [C, ...logits.shape.slice(classDim + 1).map(() => 1)]);
  if (isFloat(target.dtype)) {
    if (target.ndim !== logits.ndim || target.shape.some((s, i) => s !== logits.shape[i])) {
      throw new Error(`crossEntropy: probability targets must have the logits' shape ${fmt(logits.shape)}, got ${fmt(target.shape)}`);
    }
    const smoothed = labelSmoothing > 0 ? target.mul(1 - labelSmoothing).add(labelSmoothing / C) : target;
    // "mean" averages over positions, whatever the weights (PyTorch's rule for probability targets)
    const terms = smoothed.mul(logp);
    return reduceLoss(sum(wc ? terms.mul(wc) : terms, classDim).neg(), reduction, "crossEntropy");
  }
  const nll = nllLoss(logp, target, { weight, ignoreIndex, reduction: "none" });
  if (labelSmoothing === 0) return reduction === "mean" ? nllLoss(logp, target, { weight, ignoreIndex, reduction }) : reduceLoss(nll, reduction, "crossEntropy");
  // smoothing term: the mean over classes of −weight_c·logp_c, on non-ignored positions only
  const keep = target.ne(ignoreIndex);
  const keepF = keep.to(logp.dtype);
  const smooth = sum(wc ? logp.mul(wc) : logp, classDim).neg().div(C).mul(keepF);
  const loss = nll.mul(1 - labelSmoothing).add(smooth.mul(labelSmoothing));
  // both terms are normalised like the NLL: by the kept targets' count, or their total weight
  if (reduction === "mean") return loss.sum().div(weight ? targetWeights(weight, target, keep).sum() : keepF.sum());
  return reduceLoss(loss, reduction, "crossEntropy");
}

/** Class indices against (N, C) or (C) logits on the fused softmax + cross-entropy kernels. */
function crossEntropyFused(logits: Tensor, target: Tensor, ignoreIndex: number, labelSmoothing: number, reduction: Reduction): Tensor {
  const [rows, C] = logits.ndim === 1 ? [1, logits.shape[0]] : logits.shape;
  const expected = logits.ndim === 1 ? [] : [rows];
  if (target.dtype !== "int32") throw new Error(`crossEntropy: target must hold class indices as int32, got ${target.dtype}`);
  if (target.ndim !== expected.length || target.shape.some((s, i) => s !== expected[i])) {
    throw new Error(`crossEntropy: input ${fmt(logits.shape)} (classes in dim ${logits.ndim === 1 ? 0 : 1}) expects target of shape ${fmt(expected)}, got ${fmt(target.shape)}`);
  }
  const t = reshape(target, [rows]);
  const ids = backend().read(t.storage);
  for (let i = 0; i < rows; i++) {
    if (ids[i] !== ignoreIndex && !(ids[i] >= 0 && ids[i] < C)) throw new Error(`crossEntropy: index ${ids[i]} is out of bounds for dimension with size ${C}`);
  }
  const losses = crossEntropyRows(reshape(logits, [rows, C]), t, ignoreIndex, labelSmoothing);
  if (reduction === "mean") return losses.sum().div(t.ne(ignoreIndex).sum().to(losses.dtype));
  return reduceLoss(reduction === "none" ? reshape(losses, target.shape) : losses, reduction, "crossEntropy");
}

export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  return reduceLoss(input.sub(target).square(), opts.reduction ?? "mean", "mseLoss");
}

export interface BCEWithLogitsOptions {
  /** Multiplies each element's loss; broadcast against the input. */
  weight?: Tensor | null;
  /** Weight of the positive term, one per class (broadcast along the last dim): p in −[p·y·log σ(x) + (1 − y)·log(1 − σ(x))]. */
  posWeight?: Tensor | null;
  reduction?: Reduction;
}

/**
 * Binary cross-entropy on logits, −[p·y·log σ(x) + (1 − y)·log(1 − σ(x))], written as
 * (1 − y)·x + (1 + (p − 1)·y)·softplus(−x) to stay finite for any x (p = 1 without posWeight).
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, opts: BCEWithLogitsOptions = {}): Tensor {
  const { weight = null, posWeight = null, reduction = "mean" } = opts;
  if (target.ndim !== logits.ndim || target.shape.some((s, i) => s !== logits.shape[i])) {
    throw new Error(`binaryCrossEntropyWithLogits: target size ${fmt(target.shape)} must be the same as input size ${fmt(logits.shape)}`);
  }
  let loss = posWeight
    ? logits.mul(target.neg().add(1)).add(posWeight.sub(1).mul(target).add(1).mul(logits.neg().softplus()))
    : logits.softplus().sub(logits.mul(target));
  if (weight) loss = loss.mul(weight);
  return reduceLoss(loss, reduction, "binaryCrossEntropyWithLogits");
}

// ------------------------------------------------------------------ regularisation and normalisation
/** Inverted dropout: zero each entry with probability p, scale the rest by 1/(1−p). */
export function dropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const keep = new Uint8Array(x.numel());
  for (let i = 0; i < keep.length; i++) keep[i] = generator.random() >= p ? 1 : 0;
  const mask = Tensor.fromTypedArray(keep, x.shape);
  return where(mask, x.mul(1 / (1 - p)), 0);
}

/** Absent, or a vector of d numbers. */
function isVectorOrNone(t: Tensor | null | undefined, d: number): boolean {
  return !t || (t.ndim === 1 && t.shape[0] === d);
}

/** LayerNorm over the trailing dims in `normalizedShape`: (x − mean)/√(var + eps)·w + b. */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const k = normalizedShape.length;
  if (k > x.ndim || normalizedShape.some((s, i) => s !== x.shape[x.ndim - k + i])) {
    throw new Error(`layerNorm: input ${fmt(x.shape)} does not end with normalizedShape ${fmt(normalizedShape)}`);
  }
  const d = normalizedShape[0];
  // the common case (normalise the last dim, vector weight and bias): one fused kernel each way
  if (k === 1 && isVectorOrNone(weight, d) && isVectorOrNone(bias, d)) return layerNormFused(x, weight ?? null, bias ?? null, eps);
  return layerNormComposite(x, normalizedShape, weight, bias, eps);
}

/** LayerNorm from elementary ops (any normalizedShape): the definition the fused kernel follows. */
export function layerNormComposite(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const k = normalizedShape.length;
  const dims = normalizedShape.map((_, i) => x.ndim - k + i);
  const mu = mean(x, dims, true);
  const centered = x.sub(mu);
  const variance = mean(centered.square(), dims, true);
  let y = centered.mul(variance.add(eps).rsqrt());
  if (weight) y = y.mul(weight);
  if (bias) y = y.add(bias);
  return y;
}

/** RMSNorm: x / √(mean(x²) + eps) · w. */
export function rmsNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, eps = 1e-6): Tensor {
  const k = normalizedShape.length;
  if (k > x.ndim || normalizedShape.some((s, i) => s !== x.shape[x.ndim - k + i])) {
    throw new Error(`rmsNorm: input ${fmt(x.shape)} does not end with normalizedShape ${fmt(normalizedShape)}`);
  }
  // the common case (normalise the last dim, vector weight): one fused kernel each way
  if (k === 1 && (!weight || (weight.ndim === 1 && weight.shape[0] === normalizedShape[0]))) return rmsNormFused(x, weight ?? null, eps);
  return rmsNormComposite(x, normalizedShape, weight, eps);
}

/** RMSNorm from elementary ops (any normalizedShape): the definition the fused kernel follows. */
export function rmsNormComposite(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, eps = 1e-6): Tensor {
  const dims = normalizedShape.map((_, i) => x.ndim - normalizedShape.length + i);
  const y = x.mul(mean(x.square(), dims, true).add(eps).rsqrt());
  return weight ? y.mul(weight) : y;
}

// ------------------------------------------------------------------ linear layers
/** y = x Wᵀ + b with W of shape (out, in), as torch.nn.functional.linear. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight.ndim !== 2) throw new Error(`linear: weight must be 2-D (out_features, in_features), got ${fmt(weight.shape)}`);
  if (x.shape[x.ndim - 1] !== weight.shape[1]) throw new Error(`linear: input ${fmt(x.shape)} has ${x.shape[x.ndim - 1]} features but weight ${fmt(weight.shape)} expects ${weight.shape[1]}`);
  const x2 = x.ndim === 1 ? unsqueeze(x, 0) : x;
  let y = matmulT(x2, weight, false, true);
  if (x.ndim === 1) y = reshape(y, [weight.shape[0]]);
  return bias ? y.add(bias) : y;
}

/** Rows of `weight` picked by integer ids of any shape: output (...ids.shape, d). */
export function embedding(ids: Tensor, weight: Tensor): Tensor {
  if (weight.ndim !== 2) throw new Error(`embedding: weight must be 2-D (num_embeddings, dim), got ${fmt(weight.shape)}`);
  const rows = indexSelect(weight, 0, reshape(ids, [-1]));
  return reshape(rows, [...ids.shape, weight.shape[1]]);
}

// ------------------------------------------------------------------ convolution and pooling
export type Pair = number | readonly [number, number];
const pair = (v: Pair, name: string): [number, number] => {
  const p: [number, number] = typeof v === "number" ? [v, v] : [v[0], v[1]];
  if (!p.every((n) => Number.isInteger(n) && n >= 0)) throw new Error(`${name} must be a non-negative integer or a pair of them, got ${JSON.stringify(v)}`);
  return p;
};

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
}

function convSpec(x: Tensor, kernel: [number, number], o: Conv2dOptions, op: string): Conv2dSpec {
  if (x.ndim !== 4) throw new Error(`${op}: expected input (batch, channels, height, width), got ${fmt(x.shape)}`);
  const [strideH, strideW] = pair(o.stride ?? 1, `${op}: stride`);
  const [padH, padW] = pair(o.padding ?? 0, `${op}: padding`);
  const [dilationH, dilationW] = pair(o.dilation ?? 1, `${op}: dilation`);
  if (strideH === 0 || strideW === 0 || dilationH === 0 || dilationW === 0) throw new Error(`${op}: stride and dilation must be positive`);
  const [batch, channels, height, width] = x.shape;
  const outH = Math.floor((height + 2 * padH - dilationH * (kernel[0] - 1) - 1) / strideH) + 1;
  const outW = Math.floor((width + 2 * padW - dilationW * (kernel[1] - 1) - 1) / strideW) + 1;
  if (outH <= 0 || outW <= 0) throw new Error(`${op}: kernel ${kernel.join("x")} is larger than the padded input ${fmt(x.shape)}`);
  return { batch, channels, height, width, kernelH: kernel[0], kernelW: kernel[1], strideH, strideW, padH, padW, dilationH, dilationW, outH, outW };
}

/** im2col: (B, C, H, W) → (B, C·kH·kW, L) with L = outH·outW; its adjoint (col2im) is the gradient. */
export function unfold2d(x: Tensor, kernelSize: Pair, opts: Conv2dOptions = {}): Tensor {
  const spec = convSpec(x, pair(kernelSize, "unfold2d: kernelSize"), opts, "unfold2d");
  return unfoldWithSpec(x, spec);
}

function unfoldWithSpec(x: Tensor, spec: Conv2dSpec): Tensor {
  const cols = Tensor.empty([spec.batch, spec.channels * spec.kernelH * spec.kernelW, spec.outH * spec.outW], x.dtype);
  backend().unfold2d(x.storage, cols.storage, spec);
  return attach(cols, "unfold2d", [x], (g) => {
    const gx = Tensor.empty(x.shape, g.dtype);
    backend().fold2d(g.storage, gx.storage, spec);
    return [gx];
  }, []);
}

/** 2-D convolution (cross-correlation, as PyTorch): weight (outC, inC, kH, kW). */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  if (weight.ndim !== 4) throw new Error(`conv2d: weight must be (out_channels, in_channels, kH, kW), got ${fmt(weight.shape)}`);
  if (x.ndim === 4 && x.shape[1] !== weight.shape[1]) throw new Error(`conv2d: input ${fmt(x.shape)} has ${x.shape[1]} channels but weight ${fmt(weight.shape)} expects ${weight.shape[1]}`);
  const spec = convSpec(x, [weight.shape[2], weight.shape[3]], opts, "conv2d");
  const cols = unfoldWithSpec(x, spec); // (B, C·kH·kW, L)
  const W = reshape(weight, [weight.shape[0], -1]); // (O, C·kH·kW)
  let y = matmulT(W, cols, false, false); // (B, O, L)
  if (bias) y = y.add(reshape(bias, [1, -1, 1]));
  return reshape(y, [spec.batch, weight.shape[0], spec.outH, spec.outW]);
}

function pool(x: Tensor, kernelSize: Pair, stride: Pair | undefined, padding: Pair, op: "maxPool2d" | "avgPool2d"): Tensor {
  const kernel = pair(kernelSize, `${op}: kernelSize`);
  const spec = convSpec(x, kernel, { stride: stride ?? kernel, padding }, op);
  if (spec.padH * 2 > kernel[0] || spec.padW * 2 > kernel[1]) throw new Error(`${op}: padding should be at most half of kernel size`);
  // pool each channel separately: (B·C, 1, H, W) → (B·C, kH·kW, L)
  const flat = reshape(x, [spec.batch * spec.channels, 1, spec.height, spec.width]);
  const cols = unfoldWithSpec(flat, { ...spec, batch: spec.batch * spec.channels, channels: 1 });
  let pooled: Tensor;
  if (op === "avgPool2d") pooled = cols.mean(1);
  else {
    // padding must never win a max: mark padded positions with −∞ before reducing
    const inside = unfoldWithSpec(Tensor.empty([1, 1, spec.height, spec.width], "float32").fill_(1), { ...spec, batch: 1, channels: 1 }).detach();
    pooled = where(inside.gt(0), cols, -Infinity).amax(1);
  }
  return reshape(pooled, [spec.batch, spec.channels, spec.outH, spec.outW]);
}

export function maxPool2d(x: Tensor, kernelSize: Pair, stride?: Pair, padding: Pair = 0): Tensor {
  return pool(x, kernelSize, stride, padding, "maxPool2d");
}

/** Average pooling; padded zeros count in the average (PyTorch's count_include_pad=True). */
export function avgPool2d(x: Tensor, kernelSize: Pair, stride?: Pair, padding: Pair = 0): Tensor {
  return pool(x, kernelSize, stride, padding, "avgPool2d");
}
