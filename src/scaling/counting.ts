// Parameters and training FLOPs of a GPT, from its config alone, counted the ways the
// scaling-law papers count them.
//
// Parameters. Kaplan et al. (2020) count N without the vocabulary and position embeddings
// ("non-embedding" parameters: the blocks and the final norm; the unembedding, tied in their
// models, is left out too), and approximate it as N ≈ 2 d_model n_layers (2 d_attn + d_ff) =
// 12 n_layers d_model² for d_attn = d_model, d_ff = 4 d_model. Hoffmann et al. (2022) count total
// parameters, embeddings included (Pearce & Song 2024, "Reconciling Kaplan and Chinchilla Scaling
// Laws", trace much of the two papers' disagreement to this difference at small scale).
//
// FLOPs. Training costs ≈ 6 N FLOPs per token: a matrix of P parameters costs 2P FLOPs per token
// forward (a multiply and an add per weight) and twice that backward (the gradients of the input
// and of the weight). Hoffmann et al. (appendix F) count a forward pass of one sequence of
// length s exactly, and take the backward pass as twice the forward:
//   embeddings      2 s V d
//   per layer:  Q, K, V projections   2 · 3 s d (h k)     [GQA here: 2 s d (h k + 2 g k)]
//               QKᵀ logits            2 s² (h k)
//               softmax               3 h s²
//               softmax · V           2 s² (h k)
//               output projection     2 s (h k) d
//               MLP                   2 s (d m + d m)     [gated MLP here: 2 s · 3 d m]
//   logits          2 s d V
// (nanoGPT's scaling_laws notebook notes that the paper's Table A4 matches this without the
// embedding and logit rows: see `withoutEmbeddings`.)
import { type GPTConfig, type GPTConfigInput, makeConfig } from "../models/gpt/config.js";

export interface ParameterCounts {
  /** Token embedding W_E (d_vocab × d_model). */
  embedding: number;
  /** Learned position embeddings (W_pos, or abacus digit places); 0 for sinusoidal, rotary, ALiBi. */
  positional: number;
  /** Unembedding W_U and b_U; 0 when tied to W_E. */
  unembedding: number;
  /** Attention, MLP and norms of all blocks, and the final norm. */
  blocks: number;
  /** Kaplan's N: everything but the embeddings, position embeddings and unembedding (= blocks). */
  nonEmbedding: number;
  /** Chinchilla's N: every parameter (= model.numParameters()). */
  total: number;
  /** Kaplan's approximation 2 d_model n_layers (2 d_attn + d_ff), d_attn = n_heads d_head. */
  kaplanApprox: number;
}

/** Parameters of one norm (LayerNorm: weight and bias; RMSNorm: weight; LNPre / RMSPre / none: 0). */
function normParams(cfg: GPTConfig): number {
  switch (cfg.normalization_type) {
    case "LN": return cfg.d_model * (cfg.use_bias ? 2 : 1);
    case "RMS": return cfg.d_model;
    default: return 0;
  }
}

/** The parameters of a HookedTransformer with this config, by part. */
export function countParameters(config: GPTConfigInput | GPTConfig): ParameterCounts {
  const cfg = makeConfig(config);
  const { d_model: d, d_vocab: V, n_heads: h, d_head: k, d_mlp: m, n_layers: L, use_bias: bias } = cfg;
  const g = cfg.n_key_value_heads ?? h;
  const embedding = V * d;
  const positional = cfg.positional_embedding_type === "standard" ? cfg.n_ctx * d : cfg.positional_embedding_type === "abacus" ? (cfg.abacus_max_digits + 1) * d : 0;
  const unembedding = cfg.tie_embeddings ? 0 : d * V + (bias ? V : 0);
  // one block: W_Q, W_O (h heads), W_K, W_V (g key/value heads), their biases, the MLP and the norms
  const attention = h * d * k * 2 + g * d * k * 2 + (bias ? h * k + 2 * g * k + d : 0);
  const mlp = cfg.attn_only ? 0 : d * m * (cfg.gated_mlp ? 3 : 2) + (bias ? m + d : 0);
  const norms = normParams(cfg) * (cfg.attn_only ? 1 : 2);
  const blocks = L * (attention + mlp + norms) + normParams(cfg);
  const d_attn = h * k;
  const d_ff = cfg.attn_only ? 0 : m;
  return {
    embedding,
    positional,
    unembedding,
    blocks,
    nonEmbedding: blocks,
    total: embedding + positional + unembedding + blocks,
    kaplanApprox: 2 * d * L * (2 * d_attn + d_ff),
  };
}

export interface ForwardFlops {
  /** Sequence length s the attention terms were counted for. */
  seqLen: number;
  /** Per token, forward: the input embeddings counted as a matmul (2 V d), as Chinchilla does. */
  embeddings: number;
  /** Per token, forward, all layers: projections, QKᵀ, softmax, softmax·V, output projection. */
  attention: number;
  /** Per token, forward, all layers: the MLPs. */
  mlp: number;
  /** Per token, forward: the unembedding (2 d V). */
  logits: number;
  /** Per token, forward: the sum of the above. */
  forward: number;
  /** Per token, training (forward + backward = 3 × forward). */
  training: number;
  /** Per token, training, without the embedding and logit rows. */
  withoutEmbeddings: number;
}

/**
 * Chinchilla's FLOP count (Hoffmann et al. 2022, appendix F) per token, for sequences of seqLen
 * tokens (default n_ctx): the attention scores make the cost per token grow with the context.
 */
export function chinchillaFlops(config: GPTConfigInput | GPTConfig, seqLen?: number): ForwardFlops {
  const cfg = makeConfig(config);
  const s = seqLen ?? cfg.n_ctx;
  if (!(Number.isSafeInteger(s) && s >= 1)) throw new Error(`chinchillaFlops: seqLen must be an integer ≥ 1, got ${seqLen}`);
  const { d_model: d, d_vocab: V, n_heads: h, d_head: k, d_mlp: m, n_layers: L } = cfg;
  const g = cfg.n_key_value_heads ?? h;
  // per token: the sequence's count divided by s, so s² terms become s
  const projections = 2 * d * (h * k + 2 * g * k);
  const logitsQK = 2 * s * (h * k);
  const softmax = 3 * h * s;
  const mixValues = 2 * s * (h * k);
  const outProj = 2 * (h * k) * d;
  const attention = L * (projections + logitsQK + softmax + mixValues + outProj);
  const mlp = cfg.attn_only ? 0 : L * 2 * d * m * (cfg.gated_mlp ? 3 : 2);
  const embeddings = 2 * V * d;
  const logits = 2 * d * V;
  const forward = embeddings + attention + mlp + logits;
  return { seqLen: s, embeddings, attention, mlp, logits, forward, training: 3 * forward, withoutEmbeddings: 3 * (attention + mlp) };
}

/**
 * Kaplan et al.'s count (2020, Table 1): C_forward ≈ 2N + 2 n_layers n_ctx d_attn per token (N
 * non-embedding), training ≈ 3 × forward; at d_model ≫ n_ctx / 12 this is ≈ 6N.
 */
export function kaplanFlops(config: GPTConfigInput | GPTConfig, seqLen?: number): { forward: number; training: number } {
  const cfg = makeConfig(config);
  const s = seqLen ?? cfg.n_ctx;
  const N = countParameters(cfg).nonEmbedding;
  const forward = 2 * N + 2 * cfg.n_layers * s * cfg.n_heads * cfg.d_head;
  return { forward, training: 3 * forward };
}
