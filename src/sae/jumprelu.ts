// JumpReLU and its step function, with the straight-through gradients of Rajamanoharan et al.
// (2024), "Jumping Ahead: Improving Reconstruction Fidelity with JumpReLU Sparse Autoencoders".
//
//   JumpReLU_θ(π) = π · H(π − θ)         H the Heaviside step, θ > 0 one threshold per latent
//
// H has zero derivative almost everywhere, so θ would never learn. The paper replaces the
// derivatives with respect to θ by a kernel density estimate of bandwidth ε (K the rectangle,
// K(u) = 1 for |u| < ½):
//
//   ∂/∂θ H(π − θ)          := −(1/ε) K((π − θ)/ε)
//   ∂/∂θ JumpReLU_θ(π)     := −(θ/ε) K((π − θ)/ε)
//
// while the gradient with respect to π stays the exact one, H(π − θ) (and 0 for the step, whose
// L0 penalty must not push the pre-activations). These pseudo-derivatives are by design not the
// finite differences of the forward: tests compare them with the formulas above.
import { attach } from "../tensor/autograd.js";
import type { Tensor } from "../tensor/tensor.js";

/** K((π − θ)/ε) / ε as a tensor of π's shape: 1/ε where |π − θ| < ε/2, else 0. */
function kernel(pre: Tensor, threshold: Tensor, bandwidth: number): Tensor {
  const u = pre.sub(threshold).div(bandwidth);
  return u.abs().lt(0.5).to(pre.dtype).div(bandwidth);
}

/** Sums a (…, d_sae) gradient over the leading dims down to θ's (d_sae). */
function toThreshold(g: Tensor, threshold: Tensor): Tensor {
  const lead = Array.from({ length: g.ndim - threshold.ndim }, (_, i) => i);
  return lead.length ? g.sum(lead) : g;
}

function checkBandwidth(bandwidth: number): void {
  if (!(bandwidth > 0 && Number.isFinite(bandwidth))) throw new Error(`JumpReLU: bandwidth must be a positive number, got ${bandwidth}`);
}

/** π · H(π − θ); gradients: H(π − θ) to π, −(θ/ε) K((π − θ)/ε) to θ. */
export function jumpReLU(pre: Tensor, threshold: Tensor, bandwidth: number): Tensor {
  checkBandwidth(bandwidth);
  const open = pre.gt(threshold).to(pre.dtype); // H(π − θ)
  const out = pre.detach().mul(open);
  return attach(out, "jumpReLU", [pre, threshold], (g) => [g.mul(open), toThreshold(g.mul(threshold.neg()).mul(kernel(pre, threshold, bandwidth)), threshold)]);
}

/** H(π − θ); gradients: none to π, −(1/ε) K((π − θ)/ε) to θ. Summed over latents it is the L0. */
export function step(pre: Tensor, threshold: Tensor, bandwidth: number): Tensor {
  checkBandwidth(bandwidth);
  const out = pre.gt(threshold).to(pre.dtype);
  return attach(out, "step", [pre, threshold], (g) => [g.zerosLike(), toThreshold(g.neg().mul(kernel(pre, threshold, bandwidth)), threshold)]);
}
