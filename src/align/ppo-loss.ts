// PPO's clipped objective (Schulman et al. 2017) over the tokens of a batch of completions, as
// TRL's PPOTrainer computes it. All averages are over completion tokens only (the mask):
//
//   ρ_t = π_θ(y_t | s_t) / π_old(y_t | s_t) = exp(log π_θ − log π_old)
//   L_policy = mean_t max(−A_t ρ_t, −A_t clip(ρ_t, 1 − ε, 1 + ε))
//
// The max of the two negatives is the min of the two surrogates: once ρ leaves [1 − ε, 1 + ε] in
// the direction the advantage rewards, the gradient is zero, so one batch of samples cannot pull
// the policy far from the one that drew them (several epochs over it stay safe).
//
//   V_clip = V_old + clip(V_θ − V_old, −ε_v, ε_v)
//   L_value = ½ mean_t max((V_θ − R_t)², (V_clip − R_t)²)
//   L = L_policy + c_v L_value   (− c_H · entropy, an optional bonus)
//
// Diagnostics: the clip fraction (share of tokens where the clipped term is the larger loss, so
// its gradient is cut), the value clip fraction, and approx KL = ½ mean (log π_θ − log π_old)²
// (how far this update has moved the policy from the sampling one).
import type { Tensor } from "../tensor/tensor.js";

export interface PpoLossInputs {
  /** log π_θ(y_t | s_t) of the sampled tokens under the current parameters, (b, t), differentiable. */
  logprobs: Tensor;
  /** log π_old of the same tokens, measured when they were sampled, (b, t). */
  oldLogprobs: Tensor;
  /** A_t, (b, t) (whitened). */
  advantages: Tensor;
  /** V_θ(s_t), (b, t), differentiable. */
  values: Tensor;
  /** V_old(s_t), (b, t). */
  oldValues: Tensor;
  /** R_t = A_t + V_old(s_t) (before whitening), (b, t). */
  returns: Tensor;
  /** 1 on completion tokens, 0 on prompt and padding, (b, t). */
  mask: Tensor;
  /** Per-token entropy of π_θ, (b, t): needed only with an entropy bonus. */
  entropy?: Tensor;
}

export interface PpoLossOptions {
  /** ε of the policy ratio (default 0.2). */
  clipRange?: number;
  /** ε_v of the value prediction (default 0.2). */
  clipRangeValue?: number;
  /** c_v, the value loss's weight (default 0.1, TRL's). */
  vfCoef?: number;
  /** c_H, the entropy bonus's weight (default 0). */
  entCoef?: number;
}

export interface PpoLossResult {
  loss: Tensor;
  policyLoss: Tensor;
  valueLoss: Tensor;
  clipFrac: number;
  valueClipFrac: number;
  approxKl: number;
}

/** mean of x over the tokens the mask keeps. */
export function maskedMean(x: Tensor, mask: Tensor): Tensor {
  return x.mul(mask).sum().div(mask.sum());
}

export function ppoLoss(inp: PpoLossInputs, opts: PpoLossOptions = {}): PpoLossResult {
  const eps = opts.clipRange ?? 0.2;
  const epsV = opts.clipRangeValue ?? 0.2;
  const { logprobs, oldLogprobs, advantages: A, values, oldValues, returns: R, mask } = inp;
  const logRatio = logprobs.sub(oldLogprobs);
  const ratio = logRatio.exp();
  const pg1 = A.neg().mul(ratio);
  const pg2 = A.neg().mul(ratio.clamp(1 - eps, 1 + eps));
  const policyLoss = maskedMean(pg1.maximum(pg2), mask);

  const vClipped = values.sub(oldValues).clamp(-epsV, epsV).add(oldValues);
  const vf1 = values.sub(R).square();
  const vf2 = vClipped.sub(R).square();
  const valueLoss = maskedMean(vf1.maximum(vf2), mask).mul(0.5);

  let loss = policyLoss.add(valueLoss.mul(opts.vfCoef ?? 0.1));
  if (opts.entCoef) {
    if (!inp.entropy) throw new Error("ppoLoss: an entropy bonus (entCoef) needs the per-token entropy");
    loss = loss.sub(maskedMean(inp.entropy, mask).mul(opts.entCoef));
  }
  const share = (b: Tensor) => maskedMean(b.to(mask.dtype), mask).item();
  return {
    loss,
    policyLoss,
    valueLoss,
    clipFrac: share(pg2.detach().gt(pg1.detach())),
    valueClipFrac: share(vf2.detach().gt(vf1.detach())),
    approxKl: maskedMean(logRatio.detach().square(), mask).item() / 2,
  };
}
