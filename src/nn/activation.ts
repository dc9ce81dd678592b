// Activations as modules (torch.nn.ReLU, nn.Softmax(dim), ...), with PyTorch's constructor
// arguments in PyTorch's order; each forward is the function of the same name in F.
// `activation(name)` maps the names configs use ("relu", "gelu_new", ...) to functions.
import { full } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import * as A from "./functional/activation.js";
import type { LayerOptions } from "./linear.js";
import { Module, parameter } from "./module.js";

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
    if (opts.approximate !== undefined && opts.approximate !== "none" && opts.approximate !== "tanh") {
      throw new Error(`GELU: approximate must be "none" or "tanh", got ${JSON.stringify(opts.approximate)}`);
    }
    super(opts.approximate === "tanh" ? "gelu_new" : "gelu");
  }
}
export class SiLU extends Activation {
  constructor() {
    super("silu");
  }
}

// ------------------------------------------------------------------ with hyperparameters
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return A.leakyRelu(x, this.negativeSlope);
  }
}

export class ELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return A.elu(x, this.alpha);
  }
}

export class CELU extends Module {
  constructor(readonly alpha = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return A.celu(x, this.alpha);
  }
}

export class SELU extends Module {
  forward(x: Tensor): Tensor {
    return A.selu(x);
  }
}

export class Hardtanh extends Module {
  constructor(
    readonly minVal = -1,
    readonly maxVal = 1,
  ) {
    super();
    if (!(minVal <= maxVal)) throw new Error(`Hardtanh: minVal (${minVal}) must not exceed maxVal (${maxVal})`);
  }
  forward(x: Tensor): Tensor {
    return A.hardtanh(x, this.minVal, this.maxVal);
  }
}

export class ReLU6 extends Module {
  forward(x: Tensor): Tensor {
    return A.relu6(x);
  }
}

export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor {
    return A.hardsigmoid(x);
  }
}

export class Hardswish extends Module {
  forward(x: Tensor): Tensor {
    return A.hardswish(x);
  }
}

export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return A.softplus(x, this.beta, this.threshold);
  }
}

export class LogSigmoid extends Module {
  forward(x: Tensor): Tensor {
    return A.logsigmoid(x);
  }
}

export class Softsign extends Module {
  forward(x: Tensor): Tensor {
    return A.softsign(x);
  }
}

export class Tanhshrink extends Module {
  forward(x: Tensor): Tensor {
    return A.tanhshrink(x);
  }
}

export class Mish extends Module {
  forward(x: Tensor): Tensor {
    return A.mish(x);
  }
}

export class Threshold extends Module {
  constructor(
    readonly threshold: number,
    readonly value: number,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return A.threshold(x, this.threshold, this.value);
  }
}

export class GLU extends Module {
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return A.glu(x, this.dim);
  }
}

/** PReLU with `numParameters` learned slopes (1, or one per channel), each starting at `init`. */
export class PReLU extends Module {
  weight: Tensor;
  constructor(
    numParameters = 1,
    init = 0.25,
    opts: Pick<LayerOptions, "dtype"> = {},
  ) {
    super();
    if (!Number.isSafeInteger(numParameters) || numParameters <= 0) throw new Error(`PReLU: numParameters must be a positive integer, got ${numParameters}`);
    this.weight = parameter(full([numParameters], init, { dtype: opts.dtype ?? "float32" }));
  }
  forward(x: Tensor): Tensor {
    return A.prelu(x, this.weight);
  }
}

// ------------------------------------------------------------------ over a dim
// The dim is required: PyTorch's implicit choice when it is left out is deprecated.
function checkDim(dim: number, name: string): number {
  if (!Number.isInteger(dim)) throw new Error(`${name}: dim must be an integer (PyTorch's implicit dim is deprecated), got ${dim}`);
  return dim;
}

export class Softmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkDim(dim, "Softmax");
  }
  forward(x: Tensor): Tensor {
    return A.softmax(x, this.dim);
  }
}

export class LogSoftmax extends Module {
  constructor(readonly dim: number) {
    super();
    checkDim(dim, "LogSoftmax");
  }
  forward(x: Tensor): Tensor {
    return A.logSoftmax(x, this.dim);
  }
}

export class Softmin extends Module {
  constructor(readonly dim: number) {
    super();
    checkDim(dim, "Softmin");
  }
  forward(x: Tensor): Tensor {
    return A.softmin(x, this.dim);
  }
}
