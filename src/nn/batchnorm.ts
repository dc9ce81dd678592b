// BatchNorm1d / 2d / 3d with PyTorch's arguments, state-dict keys (weight, bias, running_mean,
// running_var, num_batches_tracked) and train/eval behaviour; the equations are F.batchNorm's.
//
// In training, each forward normalises with the batch's statistics and moves the running ones
// towards them (by `momentum`, or as a cumulative average over every batch seen when momentum is
// null); in eval it normalises with the running statistics. With trackRunningStats false there
// are none, and the batch's statistics are used in eval too.
import { ones, zeros } from "../tensor/creation.js";
import { noGrad } from "../tensor/autograd.js";
import { fmt } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { batchNorm } from "./functional/batchnorm.js";
import type { LayerOptions } from "./linear.js";
import { Module, parameter } from "./module.js";

export interface BatchNormOptions extends Pick<LayerOptions, "dtype"> {
  eps?: number;
  /** Default 0.1; null keeps a cumulative (equal-weight) average over all batches. */
  momentum?: number | null;
  /** Learn a per-channel scale (weight) and shift (bias); default true. */
  affine?: boolean;
  /** Keep running statistics for eval; default true. */
  trackRunningStats?: boolean;
}

abstract class BatchNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  running_mean: Tensor | null = null;
  running_var: Tensor | null = null;
  num_batches_tracked: Tensor | null = null;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;

  constructor(
    readonly numFeatures: number,
    opts: BatchNormOptions,
  ) {
    super();
    if (!Number.isSafeInteger(numFeatures) || numFeatures <= 0) throw new Error(`${this.constructor.name}: numFeatures must be a positive integer, got ${numFeatures}`);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    const dtype = opts.dtype ?? "float32";
    this.weight = this.affine ? parameter(ones([numFeatures], { dtype })) : null;
    this.bias = this.affine ? parameter(zeros([numFeatures], { dtype })) : null;
    if (this.trackRunningStats) {
      this.registerBuffer("running_mean", zeros([numFeatures], { dtype }));
      this.registerBuffer("running_var", ones([numFeatures], { dtype }));
      this.registerBuffer("num_batches_tracked", zeros([], { dtype: "int32" }));
    }
  }

  /** Running statistics back to mean 0, variance 1, no batches seen. */
  resetRunningStats(): void {
    noGrad(() => {
      this.running_mean?.fill_(0);
      this.running_var?.fill_(1);
      this.num_batches_tracked?.fill_(0);
    });
  }

  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (x.shape[1] !== this.numFeatures) throw new Error(`${this.constructor.name}: input ${fmt(x.shape)} has ${x.shape[1]} channels (dim 1), expected numFeatures ${this.numFeatures}`);
    let momentum = this.momentum ?? 0;
    if (this.training && this.num_batches_tracked) {
      const nbt = this.num_batches_tracked;
      noGrad(() => nbt.copy_(nbt.add(1)));
      // momentum null: the cumulative average, each batch weighing 1/(batches seen)
      if (this.momentum === null) momentum = 1 / nbt.item();
    }
    // the batch's statistics in training, and in eval when there are no running ones
    const useBatchStats = this.training || (this.running_mean === null && this.running_var === null);
    return batchNorm(x, this.running_mean, this.running_var, { weight: this.weight, bias: this.bias, training: useBatchStats, momentum, eps: this.eps });
  }
}

/** Over (N, C) or (N, C, L) input. */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts);
  }
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 2 && x.ndim !== 3) throw new Error(`BatchNorm1d: expected 2D or 3D input (N, C) or (N, C, L), got ${fmt(x.shape)}`);
  }
}

/** Over (N, C, H, W) input. */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts);
  }
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 4) throw new Error(`BatchNorm2d: expected 4D input (N, C, H, W), got ${fmt(x.shape)}`);
  }
}

/** Over (N, C, D, H, W) input. */
export class BatchNorm3d extends BatchNorm {
  constructor(numFeatures: number, opts: BatchNormOptions = {}) {
    super(numFeatures, opts);
  }
  protected checkInput(x: Tensor): void {
    if (x.ndim !== 5) throw new Error(`BatchNorm3d: expected 5D input (N, C, D, H, W), got ${fmt(x.shape)}`);
  }
}
