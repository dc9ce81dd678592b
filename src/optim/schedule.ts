// Learning-rate schedules as plain functions of the step, plus gradient clipping.
import { noGrad } from "../tensor/autograd.js";
import type { Tensor } from "../tensor/tensor.js";

export type Schedule = (step: number) => number;

export function constant(lr: number): Schedule {
  return () => lr;
}

/**
 * Linear warmup from 0 to maxLr over warmupSteps, then cosine decay to minLr at decaySteps,
 * then minLr (nanoGPT's get_lr).
 */
export function warmupCosine(opts: { maxLr: number; minLr?: number; warmupSteps: number; decaySteps: number }): Schedule {
  const { maxLr, minLr = 0, warmupSteps, decaySteps } = opts;
  if (!(warmupSteps >= 0) || !(decaySteps >= warmupSteps)) throw new Error(`warmupCosine: need 0 ≤ warmupSteps ≤ decaySteps, got ${warmupSteps}, ${decaySteps}`);
  return (step) => {
    if (step < warmupSteps) return (maxLr * (step + 1)) / (warmupSteps + 1);
    if (step >= decaySteps) return minLr;
    const ratio = (step - warmupSteps) / Math.max(1, decaySteps - warmupSteps);
    return minLr + 0.5 * (1 + Math.cos(Math.PI * ratio)) * (maxLr - minLr);
  };
}

/** lr · gamma^⌊step / stepSize⌋ (torch.optim.lr_scheduler.StepLR). */
export function stepDecay(opts: { lr: number; stepSize: number; gamma?: number }): Schedule {
  const { lr, stepSize, gamma = 0.1 } = opts;
  if (!(stepSize > 0)) throw new Error(`stepDecay: stepSize must be positive, got ${stepSize}`);
  return (step) => lr * Math.pow(gamma, Math.floor(step / stepSize));
}

/**
 * Scales all gradients so their global L2 norm is at most maxNorm; returns the norm before
 * clipping (torch.nn.utils.clip_grad_norm_).
 */
export function clipGradNorm_(params: Iterable<Tensor>, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm_: maxNorm must be positive, got ${maxNorm}`);
  const withGrad = [...params].filter((p) => p.grad !== null);
  return noGrad(() => {
    let sq = 0;
    for (const p of withGrad) sq += p.grad!.square().sum().item();
    const norm = Math.sqrt(sq);
    const scale = maxNorm / (norm + 1e-6);
    if (scale < 1) for (const p of withGrad) p.grad!.copy_(p.grad!.mul(scale)); // in place: the gradient stays owned by p
    return norm;
  });
}
