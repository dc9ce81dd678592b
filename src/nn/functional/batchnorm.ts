// Batch normalisation (Ioffe & Szegedy 2015), torch.nn.functional.batch_norm:
//
//   y = (x − μ_c) / √(σ²_c + eps) · weight_c + bias_c
//
// per channel c (dim 1 of an (N, C, ...) input). In training μ and σ² are the batch's mean and
// biased variance over every dim but the channel one, and the running statistics, if given, move
// towards them:  running_mean ← (1 − momentum)·running_mean + momentum·μ,
//                running_var  ← (1 − momentum)·running_var  + momentum·σ²·n/(n − 1)
// (the unbiased variance there, n values per channel, as PyTorch). Outside training μ and σ² are
// the running statistics. The normalisation is written in differentiable ops, so gradients reach
// x, weight and bias, through the batch statistics too.
import { noGrad } from "../../tensor/autograd.js";
import { mean } from "../../tensor/ops/reduce.js";
import { reshape } from "../../tensor/ops/shape.js";
import { fmt } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";

export interface BatchNormOptions {
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Normalise with the batch's statistics (and update the running ones); default false. */
  training?: boolean;
  /** How far the running statistics move towards the batch's per call (default 0.1). */
  momentum?: number;
  eps?: number;
}

export function batchNorm(x: Tensor, runningMean: Tensor | null, runningVar: Tensor | null, opts: BatchNormOptions = {}): Tensor {
  const { weight = null, bias = null, training = false, momentum = 0.1, eps = 1e-5 } = opts;
  if (x.ndim < 2) throw new Error(`batchNorm: expected input (N, C, ...) with at least 2 dims, got ${fmt(x.shape)}`);
  const C = x.shape[1];
  for (const [t, name] of [[runningMean, "runningMean"], [runningVar, "runningVar"], [weight, "weight"], [bias, "bias"]] as const) {
    if (t && (t.ndim !== 1 || t.shape[0] !== C)) throw new Error(`batchNorm: ${name} must have shape [${C}] (one per channel of input ${fmt(x.shape)}), got ${fmt(t.shape)}`);
  }
  // per-channel vectors broadcast as (1, C, 1, ...)
  const perChannel = [1, C, ...x.shape.slice(2).map(() => 1)];
  const asChannels = (t: Tensor) => reshape(t, perChannel);
  let mu: Tensor, variance: Tensor;
  if (training) {
    const dims = x.shape.map((_, i) => i).filter((d) => d !== 1);
    const n = x.numel() / C;
    if (n <= 1) throw new Error(`batchNorm: expected more than 1 value per channel when training, got input size ${fmt(x.shape)}`);
    mu = mean(x, dims, true);
    variance = mean(x.sub(mu).square(), dims, true);
    if (runningMean || runningVar) {
      noGrad(() => {
        if (runningMean) runningMean.copy_(runningMean.mul(1 - momentum).add(reshape(mu, [C]).mul(momentum)));
        if (runningVar) runningVar.copy_(runningVar.mul(1 - momentum).add(reshape(variance, [C]).mul((momentum * n) / (n - 1))));
      });
    }
  } else {
    if (!runningMean || !runningVar) throw new Error("batchNorm: runningMean and runningVar are needed outside training");
    mu = asChannels(runningMean);
    variance = asChannels(runningVar);
  }
  let y = x.sub(mu).mul(variance.add(eps).rsqrt());
  if (weight) y = y.mul(asChannels(weight));
  if (bias) y = y.add(asChannels(bias));
  return y;
}
