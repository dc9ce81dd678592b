// Losses as modules (torch.nn.CrossEntropyLoss, nn.MSELoss, ...): the options go to the
// constructor, forward(input, target) calls the function of the same name in F. Class and
// element weights are registered buffers, so they appear in the state dict under PyTorch's
// names ("weight", "pos_weight"), as they do in PyTorch.
import { binaryCrossEntropyWithLogits, crossEntropy, mseLoss, nllLoss, type Reduction } from "../tensor/ops/nn.js";
import type { Tensor } from "../tensor/tensor.js";
import { binaryCrossEntropy, huberLoss, klDiv, l1Loss, smoothL1Loss } from "./functional/loss.js";
import { Module } from "./module.js";

/** What every loss module takes: how to reduce the per-element losses (default "mean"). */
export interface LossOptions {
  reduction?: Reduction;
}

abstract class Loss extends Module {
  readonly reduction: Reduction;
  constructor(opts: LossOptions) {
    super();
    this.reduction = opts.reduction ?? "mean";
    if (!["mean", "sum", "none"].includes(this.reduction)) throw new Error(`${this.constructor.name}: reduction must be "mean", "sum" or "none", got ${JSON.stringify(this.reduction)}`);
  }
  abstract override forward(input: Tensor, target: Tensor): Tensor;
}

/** log-softmax over the class dim (1) then NLL, from logits; `weight` (C) rescales each class. */
export class CrossEntropyLoss extends Loss {
  weight?: Tensor;
  readonly ignoreIndex: number;
  readonly labelSmoothing: number;
  constructor(opts: LossOptions & { weight?: Tensor | null; ignoreIndex?: number; labelSmoothing?: number } = {}) {
    super(opts);
    if (opts.weight) this.registerBuffer("weight", opts.weight);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.labelSmoothing = opts.labelSmoothing ?? 0;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, labelSmoothing: this.labelSmoothing, reduction: this.reduction });
  }
}

/** −logp[target] from log-probabilities (classes in dim 1). */
export class NLLLoss extends Loss {
  weight?: Tensor;
  readonly ignoreIndex: number;
  constructor(opts: LossOptions & { weight?: Tensor | null; ignoreIndex?: number } = {}) {
    super(opts);
    if (opts.weight) this.registerBuffer("weight", opts.weight);
    this.ignoreIndex = opts.ignoreIndex ?? -100;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }
}

/** (x − y)². */
export class MSELoss extends Loss {
  constructor(opts: LossOptions = {}) {
    super(opts);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** |x − y|. */
export class L1Loss extends Loss {
  constructor(opts: LossOptions = {}) {
    super(opts);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/** Quadratic below beta, L1 above (see F.smoothL1Loss). */
export class SmoothL1Loss extends Loss {
  readonly beta: number;
  constructor(opts: LossOptions & { beta?: number } = {}) {
    super(opts);
    this.beta = opts.beta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}

/** Quadratic below delta, delta·L1 above (see F.huberLoss). */
export class HuberLoss extends Loss {
  readonly delta: number;
  constructor(opts: LossOptions & { delta?: number } = {}) {
    super(opts);
    this.delta = opts.delta ?? 1;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** Binary cross-entropy on probabilities; `weight` multiplies each element's loss. */
export class BCELoss extends Loss {
  weight?: Tensor;
  constructor(opts: LossOptions & { weight?: Tensor | null } = {}) {
    super(opts);
    if (opts.weight) this.registerBuffer("weight", opts.weight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }
}

/** Sigmoid + binary cross-entropy in one stable formula; `posWeight` weighs the positive term per class. */
export class BCEWithLogitsLoss extends Loss {
  weight?: Tensor;
  pos_weight?: Tensor;
  constructor(opts: LossOptions & { weight?: Tensor | null; posWeight?: Tensor | null } = {}) {
    super(opts);
    if (opts.weight) this.registerBuffer("weight", opts.weight);
    if (opts.posWeight) this.registerBuffer("pos_weight", opts.posWeight);
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, { weight: this.weight, posWeight: this.pos_weight, reduction: this.reduction });
  }
}

/** KL(target ‖ input), input as log-probabilities; reduction may also be "batchmean" (the true KL per sample). */
export class KLDivLoss extends Module {
  readonly reduction: Reduction | "batchmean";
  readonly logTarget: boolean;
  constructor(opts: { reduction?: Reduction | "batchmean"; logTarget?: boolean } = {}) {
    super();
    this.reduction = opts.reduction ?? "mean";
    if (!["mean", "sum", "none", "batchmean"].includes(this.reduction)) throw new Error(`KLDivLoss: reduction must be "mean", "batchmean", "sum" or "none", got ${JSON.stringify(this.reduction)}`);
    this.logTarget = opts.logTarget ?? false;
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}
