// Activation functions of torch.nn.functional that take a hyperparameter or are built from other
// ops. Each is the equation in a comment and the same equation in differentiable tensor ops, so
// the backward comes from the ops'. Where PyTorch's derivative at a kink differs from what the
// composition would give (hardtanh at its corners), the composition is arranged to match PyTorch.
import { sigmoid, softplus as softplusKernel, where } from "../../tensor/ops/elementwise.js";
import { logSoftmax, softmax } from "../../tensor/ops/nn.js";
import { chunk, reshape } from "../../tensor/ops/shape.js";
import { fmt } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";

/** max(0, x) + negativeSlope·min(0, x); the gradient is negativeSlope for x ≤ 0. */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return where(x.gt(0), x, x.mul(negativeSlope));
}

/**
 * min(max(x, minVal), maxVal). The gradient is 1 strictly inside (minVal, maxVal) and 0 at and
 * beyond the corners, as PyTorch's hardtanh_backward.
 */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  if (!(minVal <= maxVal)) throw new Error(`hardtanh: minVal (${minVal}) must not exceed maxVal (${maxVal})`);
  const inside = x.gt(minVal).logicalAnd(x.lt(maxVal));
  return where(inside, x, x.detach().clamp(minVal, maxVal));
}

/** min(max(0, x), 6). */
export function relu6(x: Tensor): Tensor {
  return hardtanh(x, 0, 6);
}

/** x for x > 0, alpha·(eˣ − 1) otherwise. */
export function elu(x: Tensor, alpha = 1): Tensor {
  return celuLike(x, alpha, 1);
}

/** x for x > 0, alpha·(e^{x/alpha} − 1) otherwise (continuously differentiable ELU). */
export function celu(x: Tensor, alpha = 1): Tensor {
  if (alpha === 0) throw new Error("celu: alpha must not be 0");
  return celuLike(x, alpha, 1 / alpha);
}

// x for x > 0, alpha·(e^{x·inputScale} − 1) otherwise; the exponential only sees x ≤ 0 (else 0),
// so a large positive x never makes an ∞ whose zero gradient would turn into NaN
function celuLike(x: Tensor, alpha: number, inputScale: number): Tensor {
  const positive = x.gt(0);
  const negPart = where(positive, 0, x);
  return where(positive, x, negPart.mul(inputScale).exp().sub(1).mul(alpha));
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** scale·elu(x, alpha) with the self-normalising constants of Klambauer et al. (2017). */
export function selu(x: Tensor): Tensor {
  return elu(x, SELU_ALPHA).mul(SELU_SCALE);
}

/**
 * softplus(x) = log(1 + e^{βx})/β, and x itself where βx > threshold (for numerical stability,
 * as PyTorch).
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  if (beta === 1 && threshold === 20) return softplusKernel(x); // the kernel has exactly this cut-off
  const bx = x.mul(beta);
  return where(bx.gt(threshold), x, softplusKernel(bx).div(beta));
}

/** log σ(x) = −softplus(−x). */
export function logsigmoid(x: Tensor): Tensor {
  return softplusKernel(x.neg()).neg();
}

/** x / (1 + |x|). */
export function softsign(x: Tensor): Tensor {
  return x.div(x.abs().add(1));
}

/** x − tanh x. */
export function tanhshrink(x: Tensor): Tensor {
  return x.sub(x.tanh());
}

/** x·tanh(softplus(x)) (Misra 2019). */
export function mish(x: Tensor): Tensor {
  return x.mul(softplusKernel(x).tanh());
}

/** relu6(x + 3)/6: 0 below −3, 1 above 3, linear between (gradient 1/6 strictly inside). */
export function hardsigmoid(x: Tensor): Tensor {
  return relu6(x.add(3)).div(6);
}

/**
 * x·relu6(x + 3)/6 (MobileNetV3): 0 below −3, x above 3, x(x + 3)/6 between. Written piecewise
 * so the gradient at ±3 is PyTorch's (x/3 + ½, from the middle piece).
 */
export function hardswish(x: Tensor): Tensor {
  return where(x.lt(-3), 0, where(x.le(3), x.mul(x.add(3)).div(6), x));
}

/** x where x > threshold, else value. */
export function threshold(x: Tensor, threshold: number, value: number): Tensor {
  return where(x.gt(threshold), x, value);
}

/** softmax(−x) along dim. */
export function softmin(x: Tensor, dim: number): Tensor {
  return softmax(x.neg(), dim);
}

/** Gated linear unit: split x in halves a, b along dim; a ⊙ σ(b). */
export function glu(x: Tensor, dim = -1): Tensor {
  const d = dim < 0 ? dim + x.ndim : dim;
  if (x.ndim === 0 || x.shape[d] % 2 !== 0) throw new Error(`glu: dim ${dim} of input ${fmt(x.shape)} must have an even size`);
  const [a, b] = chunk(x, 2, d);
  return a.mul(sigmoid(b));
}

/**
 * PReLU: x for x > 0, a·x otherwise, with a learned `weight` of 1 entry or one per channel
 * (dim 1 of the input, as PyTorch).
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  const n = weight.numel();
  let a = weight;
  if (n !== 1) {
    if (x.ndim < 2 || x.shape[1] !== n) throw new Error(`prelu: weight has ${n} entries but input ${fmt(x.shape)} has ${x.ndim < 2 ? "no channel dim" : `${x.shape[1]} channels (dim 1)`}`);
    a = reshape(weight, [n, ...x.shape.slice(2).map(() => 1)]);
  } else a = reshape(weight, []);
  return where(x.gt(0), x, x.mul(a));
}

export { logSoftmax, softmax };
