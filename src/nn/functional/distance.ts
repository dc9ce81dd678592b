// Vector norms and similarities of torch.nn.functional: normalize, cosine_similarity,
// pairwise_distance. Norms are clamped below by eps so a zero vector gives 0, not NaN.
import { norm, sum } from "../../tensor/ops/reduce.js";
import { expand } from "../../tensor/ops/shape.js";
import { broadcastShapes } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";

/** x / max(‖x‖_p, eps) along dim (default 1, as PyTorch). */
export function normalize(x: Tensor, opts: { p?: number; dim?: number; eps?: number } = {}): Tensor {
  const { p = 2, dim = 1, eps = 1e-12 } = opts;
  return x.div(norm(x, p, dim, true).clamp(eps));
}

/**
 * cos θ = x₁·x₂ / (‖x₁‖‖x₂‖) along dim (default 1), each norm clamped at eps; x₁ and x₂
 * broadcast. Computed as PyTorch does: each vector divided by its norm, then the dot product.
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, opts: { dim?: number; eps?: number } = {}): Tensor {
  const { dim = 1, eps = 1e-8 } = opts;
  // broadcast first, so dim means the same dim of both
  const shape = broadcastShapes("cosineSimilarity", x1.shape, x2.shape);
  const unit = (x: Tensor) => {
    const xb = expand(x, shape);
    return xb.div(norm(xb, 2, dim, true).clamp(eps));
  };
  return sum(unit(x1).mul(unit(x2)), dim);
}

/** ‖x₁ − x₂ + eps‖_p over the last dim (eps keeps the gradient finite when x₁ = x₂). */
export function pairwiseDistance(x1: Tensor, x2: Tensor, opts: { p?: number; eps?: number; keepdim?: boolean } = {}): Tensor {
  const { p = 2, eps = 1e-6, keepdim = false } = opts;
  return norm(x1.sub(x2).add(eps), p, -1, keepdim);
}
