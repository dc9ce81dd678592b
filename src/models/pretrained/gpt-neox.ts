// GPT-NeoX (Hugging Face's GPTNeoXForCausalLM: EleutherAI's Pythia 14m … 410m and up) onto
// HookedTransformer, as TransformerLens's NeoX conversion does it.
//
// Hugging Face's GPT-NeoX, per block (Linear = nn.Linear, weight stored (out, in): y = x Wᵀ + b):
//   qkv = ln1(h) query_key_valueᵀ + b, viewed (b, p, h, 3·k): per head its q, then its k, then its v,
//         so the fused weight's rows are interleaved per head: row = head·3k + j·k + i (j = 0 q, 1 k, 2 v)
//   q, k: the first rotary_dim = int(k · rotary_pct) dims of each head rotate (rotate-half pairs,
//         base rotary_emb_base), the rest pass through (our rotary_dim, rotary_base)
//   scores = q kᵀ / √k (causal);  o = concat_heads(softmax(scores) v) denseᵀ + dense.b
//   use_parallel_residual (Pythia): h = h + o + mlp(ln2(h))      (our parallel_attn_mlp)
//                          else:    h = h + o;  h = h + mlp(ln2(h))
//   mlp(x) = gelu(x dense_h_to_4hᵀ + b) dense_4h_to_hᵀ + b;   logits = final_layer_norm(h) embed_outᵀ
// so, with h = n_heads, d = d_model, k = d_head, m = d_mlp, v = d_vocab:
//   W_Q = query_key_value (3d, d) → (h, 3, k, d), [:, 0] → (h, k, d) → (h, d, k);  W_K [:, 1], W_V [:, 2]
//   b_Q = bias (3d) → (h, 3, k), [:, 0];  W_O = denseᵀ (h·k, d) → (h, k, d)
//   W_in = dense_h_to_4hᵀ (d, m), W_out = dense_4h_to_hᵀ (m, d), W_E = embed_in, W_U = embed_outᵀ, b_U = 0
import { zeros } from "../../tensor/creation.js";
import type { GPTConfig, GPTConfigInput } from "../gpt/config.js";
import type { PretrainedFamily, WeightRule } from "./family.js";
import { hfFields } from "./hf-config.js";

/**
 * Our GPTConfig from a GPT-NeoX config.json (GPTNeoXConfig's names): d_model = hidden_size,
 * n_layers = num_hidden_layers, n_heads = num_attention_heads, d_mlp = intermediate_size,
 * n_ctx = max_position_embeddings, rotary_dim = int(d_head · rotary_pct), rotary_base =
 * rotary_emb_base, parallel_attn_mlp = use_parallel_residual, untied unless tie_word_embeddings.
 */
export function gptNeoXConfig(hf: Record<string, unknown>): GPTConfigInput {
  const f = hfFields("GPT-NeoX", hf);
  if (f.present("rope_scaling")) throw new Error(`GPT-NeoX config: rope_scaling ${JSON.stringify(hf.rope_scaling)} is not supported (only plain rotary positions)`);
  if (hf.attention_bias === false) throw new Error("GPT-NeoX config: attention_bias = false is not supported");
  const d_model = f.int("hidden_size");
  const n_heads = f.int("num_attention_heads");
  const d_head = f.headDim(d_model, n_heads, "hidden_size", "num_attention_heads");
  // newer transformers name the rotary fraction partial_rotary_factor and the base rope_theta
  const pctField = f.present("rotary_pct") ? "rotary_pct" : "partial_rotary_factor";
  const pct = f.num(pctField, 1);
  if (pct > 1) throw new Error(`GPT-NeoX config: "${pctField}" must be in (0, 1], got ${pct}`);
  const rotary_dim = Math.floor(d_head * pct);
  if (rotary_dim < 2 || rotary_dim % 2 !== 0) throw new Error(`GPT-NeoX config: ${pctField} ${pct} of d_head ${d_head} gives ${rotary_dim} rotary dims; an even number ≥ 2 is needed`);
  return {
    n_layers: f.int("num_hidden_layers"),
    d_model,
    n_heads,
    d_head,
    d_mlp: f.int("intermediate_size"),
    d_vocab: f.int("vocab_size"),
    n_ctx: f.int("max_position_embeddings"),
    act_fn: f.act("hidden_act", "gelu"),
    eps: f.num("layer_norm_eps", 1e-5),
    normalization_type: "LN",
    positional_embedding_type: "rotary",
    rotary_dim,
    rotary_base: f.num(f.present("rotary_emb_base") ? "rotary_emb_base" : "rope_theta", 10000),
    parallel_attn_mlp: hf.use_parallel_residual !== false,
    tie_embeddings: hf.tie_word_embeddings === true,
    use_bias: true,
    initializer_range: f.num("initializer_range", 0.02),
  };
}

/** The rule for every weight of a GPT-NeoX checkpoint, by its name without "gpt_neox.". */
export function gptNeoXWeightRules(cfg: GPTConfig): Map<string, WeightRule> {
  const { n_heads: h, d_model: d, d_head: k, d_mlp: m, d_vocab: v } = cfg;
  const rules = new Map<string, WeightRule>();
  const same = (ours: string, shape: number[]): WeightRule => ({ shape, copyTo: ours, convert: (w) => [[ours, w]] });
  rules.set("embed_in.weight", same("embed.W_E", [v, d]));
  for (let i = 0; i < cfg.n_layers; i++) {
    const hf = `layers.${i}.`;
    const ours = `blocks.${i}.`;
    rules.set(hf + "input_layernorm.weight", same(ours + "ln1.w", [d]));
    rules.set(hf + "input_layernorm.bias", same(ours + "ln1.b", [d]));
    rules.set(hf + "attention.query_key_value.weight", {
      shape: [3 * d, d],
      // rows per head: its q, k, v (h, 3, k, d); take j of them, (h, k, d) → (h, d, k)
      convert: (w) => (["W_Q", "W_K", "W_V"] as const).map((name, j) => [ours + "attn." + name, w.reshape(h, 3, k, d).select(1, j).permute(0, 2, 1)]),
    });
    rules.set(hf + "attention.query_key_value.bias", {
      shape: [3 * d],
      convert: (b) => (["b_Q", "b_K", "b_V"] as const).map((name, j) => [ours + "attn." + name, b.reshape(h, 3, k).select(1, j)]),
    });
    rules.set(hf + "attention.dense.weight", { shape: [d, d], convert: (w) => [[ours + "attn.W_O", w.mT.reshape(h, k, d)]] });
    rules.set(hf + "attention.dense.bias", same(ours + "attn.b_O", [d]));
    rules.set(hf + "post_attention_layernorm.weight", same(ours + "ln2.w", [d]));
    rules.set(hf + "post_attention_layernorm.bias", same(ours + "ln2.b", [d]));
    rules.set(hf + "mlp.dense_h_to_4h.weight", { shape: [m, d], convert: (w) => [[ours + "mlp.W_in", w.mT]] });
    rules.set(hf + "mlp.dense_h_to_4h.bias", same(ours + "mlp.b_in", [m]));
    rules.set(hf + "mlp.dense_4h_to_h.weight", { shape: [d, m], convert: (w) => [[ours + "mlp.W_out", w.mT]] });
    rules.set(hf + "mlp.dense_4h_to_h.bias", same(ours + "mlp.b_out", [d]));
  }
  rules.set("final_layer_norm.weight", same("ln_final.w", [d]));
  rules.set("final_layer_norm.bias", same("ln_final.b", [d]));
  if (!cfg.tie_embeddings) {
    // embed_out: nn.Linear(d, v, bias=False), stored (v, d); ours is W_U (d, v) plus b_U, zero
    rules.set("embed_out.weight", {
      shape: [v, d],
      convert: (w) => [
        ["unembed.W_U", w.mT],
        ["unembed.b_U", zeros([v])],
      ],
    });
  }
  return rules;
}

/** Buffers older Pythia checkpoints carry (causal masks, rotary frequencies): our attention computes its own. */
const BUFFER = /^layers\.\d+\.attention\.(bias|masked_bias|rotary_emb\.inv_freq)$/;

export const GPT_NEOX: PretrainedFamily = {
  modelType: "gpt_neox",
  architectures: ["GPTNeoXForCausalLM"],
  specialTokens: { bos: "<|endoftext|>", eos: "<|endoftext|>" },
  config: gptNeoXConfig,
  weightRules: gptNeoXWeightRules,
  canonicalName: (name) => (name.startsWith("gpt_neox.") ? name.slice("gpt_neox.".length) : name),
  skip: (name, cfg) => BUFFER.test(name) || (name === "embed_out.weight" && cfg.tie_embeddings),
};
