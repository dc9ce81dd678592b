// Multi-head attention as torch.nn.functional.multi_head_attention_forward computes it (the math
// of nn.MultiheadAttention), with PyTorch's sequence-first layout:
//
//   query (L, N, E), key (S, N, E_k), value (S, N, E_v)   (or (L, E), (S, E_k), (S, E_v) unbatched)
//   q = query W_qᵀ + b_q,  k = key W_kᵀ + b_k,  v = value W_vᵀ + b_v      each split into H heads of d = E/H
//   A = softmax(q kᵀ/√d + mask)                                           (N, H, L, S)
//   out = concat_heads(A v) W_oᵀ + b_o                                    (L, N, E)
//
// Masks: `attnMask` (L, S) or (N·H, L, S) and `keyPaddingMask` (N, S); a bool mask is true where
// attention is NOT allowed (−∞ added to the score), a float mask is added to the scores as is.
// Shape letters: L queries, S keys, N batch, H heads, d = E/H per head.
import { ones, zeros } from "../../tensor/creation.js";
import { where } from "../../tensor/ops/elementwise.js";
import { scaledDotProductAttention as fusedAttention, type AttentionOptions } from "../../tensor/ops/fused.js";
import { dropout, linear, softmax } from "../../tensor/ops/nn.js";
import { cat, chunk, reshape } from "../../tensor/ops/shape.js";
import type { Generator } from "../../tensor/random.js";
import { fmt } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { pad } from "./pad.js";

/** The projections, named as nn.MultiheadAttention's state dict names them. */
export interface MultiHeadAttentionWeights {
  /** W_q, W_k, W_v stacked, (3E, E): when query, key and value all have E features. */
  inProjWeight?: Tensor | null;
  /** W_q (E, E), W_k (E, E_k), W_v (E, E_v) apart: when key or value have other sizes. */
  qProjWeight?: Tensor | null;
  kProjWeight?: Tensor | null;
  vProjWeight?: Tensor | null;
  /** b_q, b_k, b_v stacked, (3E). */
  inProjBias?: Tensor | null;
  /** Learned extra key and value appended to the sequence, (1, 1, E) each. */
  biasK?: Tensor | null;
  biasV?: Tensor | null;
  outProjWeight: Tensor;
  outProjBias?: Tensor | null;
}

export interface MultiHeadAttentionOptions {
  /** (N, S) or (S) unbatched: true (or −∞) marks keys to ignore, e.g. padding. */
  keyPaddingMask?: Tensor | null;
  /** Also return the attention pattern (default true). */
  needWeights?: boolean;
  /** (L, S), or (N·H, L, S) for a mask per batch entry and head. */
  attnMask?: Tensor | null;
  /** Return the pattern averaged over heads, (N, L, S), rather than (N, H, L, S) (default true). */
  averageAttnWeights?: boolean;
  /** Append a key and value of zeros to the sequence. */
  addZeroAttn?: boolean;
  /** Dropout on the attention pattern, applied only when training. */
  dropoutP?: number;
  training?: boolean;
  generator?: Generator;
}

/** A bool mask as an additive one (−∞ where true); a float mask as it is. */
function additive(mask: Tensor, what: string): Tensor {
  if (mask.dtype === "bool") return where(mask, -Infinity, 0);
  if (mask.dtype === "int32") throw new Error(`multiHeadAttention: ${what} must be bool (true = masked) or floating-point (added to the scores), got int32`);
  return mask;
}

/** Returns [output, attention weights or null], as PyTorch's (attn_output, attn_output_weights). */
export function multiHeadAttentionForward(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  numHeads: number,
  weights: MultiHeadAttentionWeights,
  opts: MultiHeadAttentionOptions = {},
): [Tensor, Tensor | null] {
  const { needWeights = true, averageAttnWeights = true, addZeroAttn = false, dropoutP = 0, training = false } = opts;
  const batched = query.ndim === 3;
  if (query.ndim !== 2 && query.ndim !== 3) throw new Error(`multiHeadAttention: query must be (L, N, E) or unbatched (L, E), got ${fmt(query.shape)}`);
  if (key.ndim !== query.ndim || value.ndim !== query.ndim) {
    throw new Error(`multiHeadAttention: key and value must have ${query.ndim} dims like query ${fmt(query.shape)}, got ${fmt(key.shape)} and ${fmt(value.shape)}`);
  }
  // unbatched input runs as a batch of one
  const [q0, k0, v0] = batched ? [query, key, value] : [query, key, value].map((t) => t.unsqueeze(1));
  let keyPaddingMask = opts.keyPaddingMask ?? null;
  if (keyPaddingMask && !batched) keyPaddingMask = keyPaddingMask.unsqueeze(0);
  const [L, N, E] = q0.shape;
  const S = k0.shape[0];
  const H = numHeads;
  if (!Number.isSafeInteger(H) || H <= 0 || E % H !== 0) throw new Error(`multiHeadAttention: embed dim ${E} must be divisible by numHeads ${numHeads}`);
  const d = E / H;
  if (k0.shape[1] !== N || v0.shape[0] !== S || v0.shape[1] !== N) {
    throw new Error(`multiHeadAttention: key ${fmt(key.shape)} and value ${fmt(value.shape)} must share the sequence and batch dims, and match query ${fmt(query.shape)}'s batch`);
  }

  // ---- in-projection: q, k, v of E features each
  let [Wq, Wk, Wv] = [weights.qProjWeight, weights.kProjWeight, weights.vProjWeight];
  if (weights.inProjWeight) {
    if (weights.inProjWeight.ndim !== 2 || weights.inProjWeight.shape[0] !== 3 * E || weights.inProjWeight.shape[1] !== E) {
      throw new Error(`multiHeadAttention: inProjWeight must be [${3 * E}, ${E}], got ${fmt(weights.inProjWeight.shape)}`);
    }
    [Wq, Wk, Wv] = chunk(weights.inProjWeight, 3, 0);
  }
  if (!Wq || !Wk || !Wv) throw new Error("multiHeadAttention: give inProjWeight, or all of qProjWeight, kProjWeight and vProjWeight");
  const [bq, bk, bv] = weights.inProjBias ? chunk(weights.inProjBias, 3, 0) : [null, null, null];
  const q = linear(q0, Wq, bq); // (L, N, E)
  let k = linear(k0, Wk, bk); // (S, N, E)
  let v = linear(v0, Wv, bv);

  // ---- masks, as one additive mask broadcasting against the scores (N, H, L, S)
  let mask: Tensor | null = null;
  if (opts.attnMask) {
    const m = opts.attnMask;
    const ok = m.ndim === 2 ? m.shape[0] === L && m.shape[1] === S : m.ndim === 3 && m.shape[0] === N * H && m.shape[1] === L && m.shape[2] === S;
    if (!ok) throw new Error(`multiHeadAttention: attnMask must be [${L}, ${S}] or [${N * H}, ${L}, ${S}] (batch·heads, queries, keys), got ${fmt(m.shape)}`);
    mask = reshape(additive(m, "attnMask"), m.ndim === 2 ? [1, 1, L, S] : [N, H, L, S]);
  }
  let padMask: Tensor | null = null;
  if (keyPaddingMask) {
    if (keyPaddingMask.ndim !== 2 || keyPaddingMask.shape[0] !== N || keyPaddingMask.shape[1] !== S) {
      throw new Error(`multiHeadAttention: keyPaddingMask must be [${N}, ${S}] (batch, keys)${batched ? "" : ` or [${S}] unbatched`}, got ${fmt(opts.keyPaddingMask!.shape)}`);
    }
    padMask = reshape(additive(keyPaddingMask, "keyPaddingMask"), [N, 1, 1, S]);
  }
  // one more key (bias_k, or the zero key) is never masked
  const growKeys = () => {
    mask = mask && pad(mask, [0, 1]);
    padMask = padMask && pad(padMask, [0, 1]);
  };

  if (weights.biasK || weights.biasV) {
    if (!weights.biasK || !weights.biasV) throw new Error("multiHeadAttention: biasK and biasV come together");
    k = cat([k, weights.biasK.expand(1, N, E)], 0);
    v = cat([v, weights.biasV.expand(1, N, E)], 0);
    growKeys();
  }

  // ---- split heads: (T, N, E) → (N, H, T, d)
  const heads = (t: Tensor) => reshape(t, [t.shape[0], N, H, d]).permute(1, 2, 0, 3);
  const qh = heads(q);
  let [kh, vh] = [heads(k), heads(v)];
  if (addZeroAttn) {
    const zero = zeros([N, H, 1, d], { dtype: kh.dtype });
    kh = cat([kh, zero], 2);
    vh = cat([vh, zero], 2);
    growKeys();
  }

  const drop = training && dropoutP > 0;
  let z: Tensor; // (N, H, L, d)
  let pattern: Tensor | null = null;
  if (!needWeights && !mask && !padMask && !drop) {
    // nothing masked and no pattern asked for: the fused kernel, which never stores the pattern
    z = fusedAttention(qh, kh, vh);
  } else {
    let scores = qh.div(Math.sqrt(d)).matmul(kh.transpose(-2, -1)); // (N, H, L, S)
    if (mask) scores = scores.add(mask);
    if (padMask) scores = scores.add(padMask);
    pattern = softmax(scores, -1);
    if (drop) pattern = dropout(pattern, dropoutP, true, opts.generator);
    z = pattern.matmul(vh);
  }
  // concatenate the heads and project out: (N, H, L, d) → (L, N, E)
  let out = linear(reshape(z.permute(2, 0, 1, 3), [L, N, E]), weights.outProjWeight, weights.outProjBias ?? null);
  let attn = needWeights && pattern ? (averageAttnWeights ? pattern.mean(1) : pattern) : null;
  if (!batched) {
    out = out.squeeze(1);
    attn = attn && attn.squeeze(0);
  }
  return [out, attn];
}

export interface SDPAOptions extends AttentionOptions {
  /**
   * (…, T_q, T_k), broadcast against the scores. As in PyTorch 2's scaled_dot_product_attention
   * (and unlike MultiheadAttention's masks): a bool mask is true where attention IS allowed;
   * a float mask is added to the scores.
   */
  attnMask?: Tensor | null;
  /** Dropout on the attention pattern (applied whenever > 0, as PyTorch's functional does). */
  dropoutP?: number;
  generator?: Generator;
}

/**
 * softmax(q kᵀ·scale + mask) v, torch.nn.functional.scaled_dot_product_attention: the fused
 * kernel (the pattern never stored) unless a mask or dropout asks for the pattern itself, then
 * the same equation in differentiable ops. q (…, T_q, d), k and v (…, T_k, d); or all three
 * (B, T, H, d) with layout "bthd".
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: SDPAOptions = {}): Tensor {
  const { attnMask = null, dropoutP = 0, generator, ...fused } = opts;
  if (!(dropoutP >= 0 && dropoutP <= 1)) throw new Error(`scaledDotProductAttention: dropoutP must be in [0, 1], got ${dropoutP}`);
  if (!attnMask && dropoutP === 0) return fusedAttention(q, k, v, fused);
  if (attnMask && fused.isCausal) throw new Error("scaledDotProductAttention: give attnMask or isCausal, not both (as PyTorch)");
  const bthd = fused.layout === "bthd";
  // the composite works on (…, T, d): move the heads in front of the sequence and back after
  const [Q, K, V] = bthd ? [q, k, v].map((t) => t.transpose(1, 2)) : [q, k, v];
  const [tq, tk] = [Q.shape[Q.ndim - 2], K.shape[K.ndim - 2]];
  let scores = Q.matmul(K.transpose(-2, -1)).mul(fused.scale ?? 1 / Math.sqrt(Q.shape[Q.ndim - 1]));
  // causal as the fused kernel: query i sees keys up to i + (T_k − T_q) (the last query sees every key)
  if (fused.isCausal) scores = scores.add(where(ones([tq, tk], { dtype: "bool" }).tril(tk - tq), 0, -Infinity));
  if (attnMask) scores = scores.add(attnMask.dtype === "bool" ? where(attnMask, 0, -Infinity) : attnMask);
  let pattern = softmax(scores, -1);
  if (dropoutP > 0) pattern = dropout(pattern, dropoutP, true, generator);
  const out = pattern.matmul(V);
  return bthd ? out.transpose(1, 2) : out;
}
