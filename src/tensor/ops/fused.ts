// Fused ops: one kernel for what would otherwise be many small ops, forward and backward side by
// side. The math is the composite's (see layerNormComposite in nn.ts for LayerNorm; softmax(q kᵀ)v
// for attention); the kernels just avoid materialising the intermediates.
import { backend } from "../../backend/index.js";
import { attach, isGradEnabled } from "../autograd.js";
import { floatTypeOf } from "../dtype.js";
import { fmt, shapesEqual } from "../shape.js";
import { Tensor } from "../tensor.js";
import { arange } from "../creation.js";
import { cast } from "./elementwise.js";
import { mean } from "./reduce.js";

/** LayerNorm over the last dim with one kernel each way; weight and bias are (d) or null. */
export function layerNormFused(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  return withoutRstd(normFused(x, weight, bias, eps, false));
}

/** RMSNorm over the last dim, x / √(mean(x²) + eps) · w, with one kernel each way; weight is (d) or null. */
export function rmsNormFused(x: Tensor, weight: Tensor | null, eps: number): Tensor {
  return withoutRstd(normFused(x, weight, null, eps, true));
}

/** The output; the per-row 1/scale is freed now unless a backward node keeps it. */
function withoutRstd({ out, rstd }: { out: Tensor; rstd: Tensor }): Tensor {
  if (out.gradFn === null) rstd.dispose();
  return out;
}

/**
 * LayerNorm, or RMSNorm (rms: nothing centred), on the same pair of kernels; also returns the
 * per-row 1/√(var + eps) the kernel computed (no gradient flows through it): what an
 * interpretability hook on the norm's scale reads, for free.
 */
export function normFused(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number, rms: boolean): { out: Tensor; rstd: Tensor } {
  const d = x.shape[x.ndim - 1];
  const dtype = floatTypeOf(x.dtype);
  const X = cast(x, dtype);
  const W = weight && cast(weight, dtype);
  const B = bias && cast(bias, dtype);
  const rows = d === 0 ? 0 : X.numel() / d;
  const out = Tensor.output(x.shape, dtype);
  const mu = Tensor.output([rows], dtype);
  const rstd = Tensor.output([rows], dtype);
  const spec = { rows, d, rms };
  backend().layerNorm(X.storage, W?.storage ?? null, B?.storage ?? null, out.storage, mu.storage, rstd.storage, spec, eps);
  const inputs = [X, ...(W ? [W] : []), ...(B ? [B] : [])];
  const result = attach(out, rms ? "rmsNorm" : "layerNorm", inputs, (g) => {
    if (isGradEnabled()) {
      // double backward: the same formulas in differentiable ops
      const centred = rms ? X : X.sub(mean(X, -1, true));
      const r = centred.square().mean(-1, true).add(eps).rsqrt();
      const xhat = centred.mul(r);
      const gw = W ? g.mul(W) : g;
      const dx = r.mul((rms ? gw : gw.sub(gw.mean(-1, true))).sub(xhat.mul(gw.mul(xhat).mean(-1, true))));
      const lead = x.shape.map((_, i) => i).slice(0, -1);
      return [dx, ...(W ? [g.mul(xhat).sum(lead)] : []), ...(B ? [g.sum(lead)] : [])];
    }
    const dx = Tensor.output(x.shape, dtype);
    const dw = W ? Tensor.empty([d], dtype) : null;
    const db = B ? Tensor.empty([d], dtype) : null;
    backend().layerNormBackward(g.storage, X.storage, mu.storage, rstd.storage, W?.storage ?? null, dx.storage, dw?.storage ?? null, db?.storage ?? null, spec);
    return [dx, ...(dw ? [dw] : []), ...(db ? [db] : [])];
  }, W ? [X, W] : [X]);
  if (result.gradFn === null) mu.dispose(); // only a backward reads the means
  return { out: result, rstd };
}

export interface AttentionOptions {
  /** Mask keys after each query (GPT). */
  isCausal?: boolean;
  /** Multiplies q·k; default 1/√d_head. */
  scale?: number;
  /**
   * "bhtd" (default, like torch): q is (..., T_q, d). "bthd": q is (B, T_q, H, d) as the
   * projections make it, and so is the output — no permutes around the kernel.
   */
  layout?: "bhtd" | "bthd";
}

/**
 * softmax(q kᵀ·scale) v, like torch's scaled_dot_product_attention: q (..., T_q, d), k and v
 * (..., T_k, d) with equal leading dims (or all three (B, T, H, d) with layout "bthd"). The
 * T_q × T_k pattern is never stored; attentionWithPattern writes it out too, and the unfused ops
 * give it with gradients.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  return fusedAttention(q, k, v, opts, false).out;
}

/**
 * The fused attention that also hands back what interpretability hooks read: `scores`, the
 * scaled q·kᵀ with −∞ where masked, and `pattern`, their softmax, both (B, H, T_q, T_k) for the
 * "bthd" layout (else (..., T_q, T_k)). They cost two stores per score instead of the ~10 passes
 * of composing the same from elementary ops. `out` has the fused backward; scores and pattern
 * are plain values (no gradient flows through them: compose the attention where one must).
 */
export function attentionWithPattern(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): { out: Tensor; scores: Tensor; pattern: Tensor } {
  const { out, scores, pattern } = fusedAttention(q, k, v, opts, true);
  return { out, scores: scores!, pattern: pattern! };
}

function fusedAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions, probe: boolean): { out: Tensor; scores?: Tensor; pattern?: Tensor } {
  const layout = opts.layout ?? "bhtd";
  const rank = layout === "bthd" ? 4 : 2;
  if (q.ndim < rank || k.ndim !== q.ndim || v.ndim !== q.ndim || (layout === "bthd" && q.ndim !== 4)) {
    throw new Error(`scaledDotProductAttention: q, k, v need the same number (${layout === "bthd" ? "4, (B, T, H, d)" : "≥ 2"}) of dims, got ${fmt(q.shape)}, ${fmt(k.shape)}, ${fmt(v.shape)}`);
  }
  let batch: number, tq: number, tk: number, dHead: number, heads = 1;
  if (layout === "bthd") {
    [, tq, heads, dHead] = q.shape;
    tk = k.shape[1];
    batch = q.shape[0] * heads;
    const kv = [q.shape[0], tk, heads, dHead];
    if (!shapesEqual(k.shape, kv) || !shapesEqual(v.shape, kv)) throw new Error(`scaledDotProductAttention: k and v must be ${fmt(kv)} to match q ${fmt(q.shape)}, got ${fmt(k.shape)} and ${fmt(v.shape)}`);
  } else {
    const lead = q.shape.slice(0, -2);
    [tq, dHead] = q.shape.slice(-2);
    tk = k.shape[k.ndim - 2];
    batch = lead.reduce((a, b) => a * b, 1);
    const kv = [...lead, tk, dHead];
    if (!shapesEqual(k.shape, kv) || !shapesEqual(v.shape, kv)) throw new Error(`scaledDotProductAttention: k and v must be ${fmt(kv)} to match q ${fmt(q.shape)}, got ${fmt(k.shape)} and ${fmt(v.shape)}`);
  }
  if (opts.isCausal && tq > tk) throw new Error(`scaledDotProductAttention: causal attention needs T_q ≤ T_k, got ${tq} and ${tk}`);
  const dtype = floatTypeOf(q.dtype);
  const [Q, K, V] = [q, k, v].map((t) => cast(t, dtype));
  const spec = { batch, tq, tk, dHead, scale: opts.scale ?? 1 / Math.sqrt(dHead), causal: opts.isCausal ?? false, layout, heads };
  // the kernels write every row of every output, but a product over zero keys or dims is left to zeros
  const alloc = tk > 0 && dHead > 0 ? Tensor.output : Tensor.empty;
  const out = alloc(q.shape, dtype);
  const lse = alloc([batch, tq], dtype);
  const patternShape = layout === "bthd" ? [q.shape[0], heads, tq, tk] : [...q.shape.slice(0, -2), tq, tk];
  const scores = probe ? alloc(patternShape, dtype) : undefined;
  const pattern = probe ? alloc(patternShape, dtype) : undefined;
  backend().attention(Q.storage, K.storage, V.storage, out.storage, lse.storage, spec, probe ? { scores: scores!.storage, pattern: pattern!.storage } : undefined);
  const result = attach(out, "scaledDotProductAttention", [Q, K, V], (g) => {
    if (isGradEnabled()) throw new Error("scaledDotProductAttention: double backward is not supported by the fused kernel; compose softmax(q·kᵀ)·v instead");
    const [dq, dk, dv] = [Q, K, V].map((t) => alloc(t.shape, dtype));
    backend().attentionBackward(Q.storage, K.storage, V.storage, out.storage, lse.storage, g.storage, dq.storage, dk.storage, dv.storage, spec);
    return [dq, dk, dv];
  });
  if (result.gradFn === null) lse.dispose(); // only a backward reads the log-sum-exps
  return { out: result, scores, pattern };
}

/**
 * Per-row cross-entropy of logits (N, C) against int32 class indices (N), softmax and loss in one
 * kernel: loss_r = log Σ_c e^x_rc − Σ_c q_rc·x_rc with q = (1 − ε)·one-hot(t_r) + ε/C, and 0 where
 * t_r = ignoreIndex. Only the log-sum-exp per row is kept for the backward, whose kernel writes
 * dx = g_r·(softmax(x_r) − q_r) directly: an (N, C) log-probability tensor never exists, which
 * for GPT-2's 50257-token vocabulary is most of a training step's memory.
 */
export function crossEntropyRows(logits: Tensor, target: Tensor, ignoreIndex: number, labelSmoothing: number): Tensor {
  const [rows, classes] = logits.shape;
  const dtype = floatTypeOf(logits.dtype);
  const X = cast(logits, dtype);
  const spec = { rows, classes, ignoreIndex, labelSmoothing };
  const loss = Tensor.output([rows], dtype);
  const lse = Tensor.output([rows], dtype);
  backend().crossEntropy(X.storage, target.storage, loss.storage, lse.storage, spec);
  const result = attach(loss, "crossEntropy", [X], (g) => {
    if (isGradEnabled()) {
      // double backward: the same formula in differentiable ops
      const keep = target.ne(ignoreIndex).to(dtype).unsqueeze(1);
      const oneHot = target.unsqueeze(1).eq(arange(0, classes, 1, { dtype: "int32" })).to(dtype);
      const q = oneHot.mul(1 - labelSmoothing).add(labelSmoothing / classes);
      return [X.softmax(-1).sub(q).mul(keep).mul(g.unsqueeze(1))];
    }
    const dx = Tensor.output([rows, classes], dtype);
    backend().crossEntropyBackward(X.storage, target.storage, lse.storage, g.storage, dx.storage, spec);
    return [dx];
  }, [X, target]);
  if (result.gradFn === null) lse.dispose(); // only a backward reads the log-sum-exps
  return result;
}
