// Weight initialisers (torch.nn.init), in place and seedable. fan_in/fan_out follow PyTorch:
// for a weight of shape (out, in, *kernel), fan_in = in·Πkernel and fan_out = out·Πkernel.
import { backend } from "../backend/index.js";
import { noGrad } from "../tensor/autograd.js";
import { makeTypedArray } from "../tensor/dtype.js";
import { defaultGenerator, type Generator } from "../tensor/random.js";
import type { Tensor } from "../tensor/tensor.js";

export type Nonlinearity = "linear" | "sigmoid" | "tanh" | "relu" | "leaky_relu";

export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case "linear":
    case "sigmoid":
      return 1;
    case "tanh":
      return 5 / 3;
    case "relu":
      return Math.SQRT2;
    case "leaky_relu": {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
  }
}

export function fans(t: Tensor): [number, number] {
  if (t.ndim < 2) throw new Error(`init: fan in and fan out need a tensor with at least 2 dims, got [${t.shape}]`);
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1] * receptive, t.shape[0] * receptive];
}

let initEnabled = true;

/**
 * Runs fn with random initialisation switched off: the init functions leave tensors as they are
 * (zeros, for parameters made with zeros()). For building a model whose weights are loaded next,
 * as transformers' no_init_weights does: drawing GPT-2's 124M random numbers takes seconds.
 */
export function withoutInit<T>(fn: () => T): T {
  const was = initEnabled;
  initEnabled = false;
  try {
    return fn();
  } finally {
    initEnabled = was;
  }
}

function fillWith(t: Tensor, draw: () => number): Tensor {
  if (!initEnabled) return t;
  // in chunks, so initialising GPT-2's 154 MB embedding does not also need a 154 MB JavaScript array
  const n = t.numel();
  const chunk = makeTypedArray(t.dtype, Math.min(n, 1 << 16));
  for (let start = 0; start < n; start += chunk.length) {
    const len = Math.min(chunk.length, n - start);
    const part = len === chunk.length ? chunk : chunk.subarray(0, len);
    for (let i = 0; i < len; i++) part[i] = draw();
    backend().write(t.storage, part, start);
  }
  return t;
}

export function uniform_(t: Tensor, a = 0, b = 1, g: Generator = defaultGenerator): Tensor {
  return fillWith(t, () => a + (b - a) * g.random());
}

export function normal_(t: Tensor, mean = 0, std = 1, g: Generator = defaultGenerator): Tensor {
  return fillWith(t, () => mean + std * g.normal());
}

// under noGrad, as torch.nn.init's functions: filling a parameter in place is not part of any graph
export function zeros_(t: Tensor): Tensor {
  return noGrad(() => t.fill_(0));
}

export function ones_(t: Tensor): Tensor {
  return noGrad(() => t.fill_(1));
}

/** Glorot/Xavier: U(−a, a), a = gain·√(6/(fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1, g: Generator = defaultGenerator): Tensor {
  const [fanIn, fanOut] = fans(t);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a, g);
}

export function xavierNormal_(t: Tensor, gain = 1, g: Generator = defaultGenerator): Tensor {
  const [fanIn, fanOut] = fans(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), g);
}

export interface KaimingOptions {
  a?: number;
  mode?: "fan_in" | "fan_out";
  nonlinearity?: Nonlinearity;
  generator?: Generator;
}

/** He/Kaiming: U(−b, b), b = gain·√(3/fan), gain for leaky_relu with slope a by default. */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const { a = 0, mode = "fan_in", nonlinearity = "leaky_relu", generator } = opts;
  const [fanIn, fanOut] = fans(t);
  const bound = calculateGain(nonlinearity, a) * Math.sqrt(3 / (mode === "fan_in" ? fanIn : fanOut));
  return uniform_(t, -bound, bound, generator);
}

export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const { a = 0, mode = "fan_in", nonlinearity = "leaky_relu", generator } = opts;
  const [fanIn, fanOut] = fans(t);
  return normal_(t, 0, calculateGain(nonlinearity, a) / Math.sqrt(mode === "fan_in" ? fanIn : fanOut), generator);
}
