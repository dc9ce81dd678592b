// Normalisation layers: LayerNorm (mean and variance) and RMSNorm (scale only).
import type { Tensor } from "../tensor/tensor.js";
import { ones, zeros } from "../tensor/creation.js";
import { layerNorm, rmsNorm } from "../tensor/ops/nn.js";
import type { LayerOptions } from "./linear.js";
import { Module, parameter } from "./module.js";

const asShape = (s: number | readonly number[]): number[] => (typeof s === "number" ? [s] : [...s]);

export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(
    normalizedShape: number | readonly number[],
    readonly opts: LayerOptions & { eps?: number; elementwiseAffine?: boolean; bias?: boolean } = {},
  ) {
    super();
    this.normalizedShape = asShape(normalizedShape);
    const affine = opts.elementwiseAffine ?? true;
    const dtype = opts.dtype ?? "float32";
    this.weight = affine ? parameter(ones(this.normalizedShape, { dtype })) : null;
    this.bias = affine && opts.bias !== false ? parameter(zeros(this.normalizedShape, { dtype })) : null;
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.opts.eps ?? 1e-5);
  }
}

export class RMSNorm extends Module {
  readonly normalizedShape: number[];
  weight: Tensor | null;
  constructor(
    normalizedShape: number | readonly number[],
    readonly opts: LayerOptions & { eps?: number; elementwiseAffine?: boolean } = {},
  ) {
    super();
    this.normalizedShape = asShape(normalizedShape);
    this.weight = opts.elementwiseAffine === false ? null : parameter(ones(this.normalizedShape, { dtype: opts.dtype ?? "float32" }));
  }
  forward(x: Tensor): Tensor {
    return rmsNorm(x, this.normalizedShape, this.weight, this.opts.eps ?? 1e-6);
  }
}
