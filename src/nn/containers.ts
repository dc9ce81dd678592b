// Sequential, the MLP, activations as modules, Dropout and Flatten.
import { dropout } from "../tensor/ops/nn.js";
import type { Generator as RandomGenerator } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";
import { Linear, type LayerOptions } from "./linear.js";
import { Module } from "./module.js";

/** Runs its modules in order; state-dict keys are "0.weight", "1.weight", ... as in PyTorch. */
export class Sequential extends Module {
  layers: Module[];
  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }
  // keys should be "0.weight", not "layers.0.weight"
  override *namedChildren(): Generator<[string, Module]> {
    for (let i = 0; i < this.layers.length; i++) yield [String(i), this.layers[i]];
  }
  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, layer) => layer.forward(h) as Tensor, x);
  }
}

export type ActivationName = "relu" | "tanh" | "sigmoid" | "gelu" | "gelu_new" | "silu" | "identity";

export function activation(name: ActivationName): (x: Tensor) => Tensor {
  switch (name) {
    case "relu": return (x) => x.relu();
    case "tanh": return (x) => x.tanh();
    case "sigmoid": return (x) => x.sigmoid();
    case "gelu": return (x) => x.gelu();
    // GPT-2's "gelu_new" is the tanh approximation
    case "gelu_new": return (x) => x.gelu({ approximate: "tanh" });
    case "silu": return (x) => x.silu();
    case "identity": return (x) => x;
    default: throw new Error(`unknown activation ${JSON.stringify(name)} (expected relu, tanh, sigmoid, gelu, gelu_new, silu or identity)`);
  }
}

export class Activation extends Module {
  private readonly fn: (x: Tensor) => Tensor;
  constructor(readonly kind: ActivationName) {
    super();
    this.fn = activation(kind);
  }
  forward(x: Tensor): Tensor {
    return this.fn(x);
  }
}
export class ReLU extends Activation {
  constructor() {
    super("relu");
  }
}
export class Tanh extends Activation {
  constructor() {
    super("tanh");
  }
}
export class Sigmoid extends Activation {
  constructor() {
    super("sigmoid");
  }
}
export class GELU extends Activation {
  constructor(opts: { approximate?: "none" | "tanh" } = {}) {
    super(opts.approximate === "tanh" ? "gelu_new" : "gelu");
  }
}
export class SiLU extends Activation {
  constructor() {
    super("silu");
  }
}

export class Dropout extends Module {
  constructor(
    readonly p = 0.5,
    private readonly generator?: RandomGenerator,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p must be in [0, 1], got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, this.generator);
  }
}

export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

/**
 * A multilayer perceptron: Linear layers of the given sizes with an activation between them
 * (none after the last). MLP([1, 64, 64, 1]) maps 1 input to 1 output through two hidden layers.
 */
export class MLP extends Module {
  layers: Linear[];
  private readonly act: (x: Tensor) => Tensor;
  constructor(
    readonly sizes: readonly number[],
    opts: LayerOptions & { activation?: ActivationName; bias?: boolean } = {},
  ) {
    super();
    if (sizes.length < 2) throw new Error(`MLP: need at least an input and an output size, got [${sizes}]`);
    this.layers = sizes.slice(1).map((n, i) => new Linear(sizes[i], n, opts));
    this.act = activation(opts.activation ?? "relu");
  }
  forward(x: Tensor): Tensor {
    let h = x;
    this.layers.forEach((layer, i) => {
      h = layer.forward(h);
      if (i < this.layers.length - 1) h = this.act(h);
    });
    return h;
  }
}
