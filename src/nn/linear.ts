// Linear and Embedding layers, initialised as PyTorch does.
import { Tensor } from "../tensor/tensor.js";
import { zeros, type RandomOptions } from "../tensor/creation.js";
import { embedding, linear } from "../tensor/ops/nn.js";
import { kaimingUniform_, normal_, uniform_ } from "./init.js";
import { Module, parameter } from "./module.js";
import type { DType } from "../backend/types.js";

export interface LayerOptions {
  dtype?: DType;
  generator?: RandomOptions["generator"];
}

function checkPositiveInt(v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`${what} must be a positive integer, got ${v}`);
}

/** y = x Wᵀ + b, weight (out, in). Init: W, b ~ U(−1/√in, 1/√in) (PyTorch's default). */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LayerOptions & { bias?: boolean } = {},
  ) {
    super();
    checkPositiveInt(inFeatures, "Linear: inFeatures");
    checkPositiveInt(outFeatures, "Linear: outFeatures");
    const dtype = opts.dtype ?? "float32";
    this.weight = parameter(kaimingUniform_(zeros([outFeatures, inFeatures], { dtype }), { a: Math.sqrt(5), generator: opts.generator }));
    const bound = 1 / Math.sqrt(inFeatures);
    this.bias = opts.bias === false ? null : parameter(uniform_(zeros([outFeatures], { dtype }), -bound, bound, opts.generator));
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** A lookup table: row i of `weight` is the vector of token i. Init N(0, 1). */
export class Embedding extends Module {
  weight: Tensor;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    opts: LayerOptions = {},
  ) {
    super();
    checkPositiveInt(numEmbeddings, "Embedding: numEmbeddings");
    checkPositiveInt(embeddingDim, "Embedding: embeddingDim");
    this.weight = parameter(normal_(zeros([numEmbeddings, embeddingDim], { dtype: opts.dtype ?? "float32" }), 0, 1, opts.generator));
  }
  forward(ids: Tensor): Tensor {
    return embedding(ids, this.weight);
  }
}
