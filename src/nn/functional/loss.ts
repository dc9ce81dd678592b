// The losses of torch.nn.functional beyond the tensor layer's (crossEntropy, nllLoss, mseLoss,
// binaryCrossEntropyWithLogits): each pointwise loss ℓ(x, y) as its equation in tensor ops, then
// PyTorch's reduction. Pointwise losses broadcast input against target, as PyTorch does.
import { where } from "../../tensor/ops/elementwise.js";
import { fmt } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";

export type LossReduction = "mean" | "sum" | "none";

function reduce(loss: Tensor, reduction: LossReduction | "batchmean", op: string, batch = 1): Tensor {
  switch (reduction) {
    case "mean": return loss.mean();
    case "sum": return loss.sum();
    case "none": return loss;
    case "batchmean": return loss.sum().div(batch);
    default: throw new Error(`${op}: reduction must be "mean", "sum" or "none"${op === "klDiv" ? ' or "batchmean"' : ""}, got ${JSON.stringify(reduction)}`);
  }
}

/** ℓ = |x − y|. */
export function l1Loss(input: Tensor, target: Tensor, opts: { reduction?: LossReduction } = {}): Tensor {
  return reduce(input.sub(target).abs(), opts.reduction ?? "mean", "l1Loss");
}

/**
 * ℓ = ½d²/β where |d| < β, |d| − ½β elsewhere, d = x − y (a quadratic bowl joined to L1;
 * β = 0 is L1).
 */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: { reduction?: LossReduction; beta?: number } = {}): Tensor {
  const beta = opts.beta ?? 1;
  if (!(beta >= 0)) throw new Error(`smoothL1Loss: beta must be non-negative, got ${beta}`);
  const d = input.sub(target);
  const ad = d.abs();
  const loss = beta === 0 ? ad : where(ad.lt(beta), d.square().mul(0.5 / beta), ad.sub(0.5 * beta));
  return reduce(loss, opts.reduction ?? "mean", "smoothL1Loss");
}

/** ℓ = ½d² where |d| < δ, δ·(|d| − ½δ) elsewhere, d = x − y (smoothL1 with β = δ, times δ). */
export function huberLoss(input: Tensor, target: Tensor, opts: { reduction?: LossReduction; delta?: number } = {}): Tensor {
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new Error(`huberLoss: delta must be positive, got ${delta}`);
  const d = input.sub(target);
  const ad = d.abs();
  return reduce(where(ad.lt(delta), d.square().mul(0.5), ad.sub(0.5 * delta).mul(delta)), opts.reduction ?? "mean", "huberLoss");
}

/**
 * Binary cross-entropy on probabilities x ∈ [0, 1]: ℓ = −w·[y·log x + (1 − y)·log(1 − x)], each
 * log clamped at −100 as PyTorch does (so x = 0 or 1 gives a finite loss). From logits,
 * binaryCrossEntropyWithLogits is the stable choice.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: { weight?: Tensor | null; reduction?: LossReduction } = {}): Tensor {
  if (target.ndim !== input.ndim || target.shape.some((s, i) => s !== input.shape[i])) {
    throw new Error(`binaryCrossEntropy: target size ${fmt(target.shape)} must be the same as input size ${fmt(input.shape)}`);
  }
  const bad = input.lt(0).logicalOr(input.gt(1)).logicalOr(input.isnan());
  if (bad.any()) throw new Error("binaryCrossEntropy: all elements of input should be between 0 and 1 (for logits use binaryCrossEntropyWithLogits)");
  const logX = input.log().clamp(-100);
  const log1mX = input.neg().add(1).log().clamp(-100);
  let loss = target.mul(logX).add(target.neg().add(1).mul(log1mX)).neg();
  if (opts.weight) loss = loss.mul(opts.weight);
  return reduce(loss, opts.reduction ?? "mean", "binaryCrossEntropy");
}

/**
 * Kullback–Leibler divergence KL(target ‖ input) with `input` holding log-probabilities:
 * ℓ = y·(log y − x), taken as 0 where y = 0 (with logTarget, y is given as log y: ℓ = e^y·(y − x)).
 * "batchmean" divides the sum by the batch size (dim 0), which is the true KL per sample;
 * "mean" (the default, as PyTorch) averages over every element.
 */
export function klDiv(input: Tensor, target: Tensor, opts: { reduction?: LossReduction | "batchmean"; logTarget?: boolean } = {}): Tensor {
  let loss: Tensor;
  if (opts.logTarget) loss = target.exp().mul(target.sub(input));
  else {
    // y·log y with 0·log 0 = 0 (xlogy), and no ∞ in its gradient at y = 0
    const yLogY = target.mul(where(target.eq(0), 1, target).log());
    loss = yLogY.sub(target.mul(input));
  }
  return reduce(loss, opts.reduction ?? "mean", "klDiv", input.ndim === 0 ? 1 : input.shape[0]);
}
