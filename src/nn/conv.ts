// Convolution and pooling layers (NCHW, as PyTorch).
import { zeros } from "../tensor/creation.js";
import { avgPool2d, conv2d, type Conv2dOptions, maxPool2d, type Pair } from "../tensor/ops/nn.js";
import type { Tensor } from "../tensor/tensor.js";
import { kaimingUniform_, uniform_ } from "./init.js";
import type { LayerOptions } from "./linear.js";
import { Module, parameter } from "./module.js";

export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    readonly opts: Conv2dOptions & LayerOptions & { bias?: boolean } = {},
  ) {
    super();
    for (const [v, name] of [[inChannels, "inChannels"], [outChannels, "outChannels"]] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`Conv2d: ${name} must be a positive integer, got ${v}`);
    }
    const [kh, kw] = typeof kernelSize === "number" ? [kernelSize, kernelSize] : kernelSize;
    const dtype = opts.dtype ?? "float32";
    this.weight = parameter(kaimingUniform_(zeros([outChannels, inChannels, kh, kw], { dtype }), { a: Math.sqrt(5), generator: opts.generator }));
    const bound = 1 / Math.sqrt(inChannels * kh * kw);
    this.bias = opts.bias === false ? null : parameter(uniform_(zeros([outChannels], { dtype }), -bound, bound, opts.generator));
  }
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, this.opts);
  }
}

/** Shared by the pooling layers: a window, a stride (default: the window) and padding. */
abstract class Pool2d extends Module {
  constructor(
    readonly kernelSize: Pair,
    readonly stride?: Pair,
    readonly padding: Pair = 0,
  ) {
    super();
  }
}

export class MaxPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, this.stride, this.padding);
  }
}

/** Average pooling; padded zeros count in the average (PyTorch's count_include_pad=True). */
export class AvgPool2d extends Pool2d {
  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize, this.stride, this.padding);
  }
}
