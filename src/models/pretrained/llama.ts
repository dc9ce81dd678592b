// Llama-style models (Hugging Face's LlamaForCausalLM: SmolLM-135M/360M, TinyLlama, …) onto
// HookedTransformer, as TransformerLens's Llama conversion does it.
//
// Hugging Face's Llama, per block (Linear = nn.Linear without bias, weight stored (out, in): y = x Wᵀ):
//   rms(x) = x / √(mean(x²) + rms_norm_eps) · weight               (our normalization_type "RMS")
//   q = rms1(h) q_projᵀ (h heads),  k = … k_projᵀ, v = … v_projᵀ (g = num_key_value_heads heads)
//   q, k: RoPE on the whole head (rotate-half pairs, base rope_theta)
//   kv head j serves query heads j·h/g … (j+1)·h/g − 1 (repeat_kv; our n_key_value_heads)
//   scores = q kᵀ / √k (causal);  h = h + concat_heads(softmax(scores) v) o_projᵀ
//   h = h + down_proj(silu(gate_proj(x)) ⊙ up_proj(x)),  x = rms2(h)   (SwiGLU: our gated_mlp)
//   logits = norm(h) lm_headᵀ   (lm_head = embed_tokens when tie_word_embeddings, as in SmolLM)
// so, with h = n_heads, g = n_key_value_heads, d = d_model, k = d_head, m = d_mlp, v = d_vocab:
//   W_Q = q_proj (h·k, d) → (h, k, d) → (h, d, k);  _W_K, _W_V from k_proj, v_proj (g·k, d) → (g, d, k)
//   (W_K, W_V when g = h);  W_O = o_projᵀ (h·k, d) → (h, k, d)
//   W_gate = gate_projᵀ (d, m), W_in = up_projᵀ (d, m), W_out = down_projᵀ (m, d)
//   W_E = embed_tokens (v, d), W_U = lm_headᵀ (or W_Eᵀ, tied)
// Biases (use_bias) when config.json says so: attention_bias gives q/k/v/o_proj biases, which are
// b_Q, b_K, b_V (or _b_K, _b_V), b_O as they are; mlp_bias gives gate/up/down_proj biases, of which
// down_proj's is b_out. Our gated MLP (TransformerLens's GatedMLP) adds b_in after the product
// act(x W_gate) ⊙ (x W_in), so it has no place for a gate or up bias inside it: those must be zero
// (as llama-export.ts writes them), and b_in is zero. Biases config.json does not name are zero.
import { zeros } from "../../tensor/creation.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { GPTConfig, GPTConfigInput } from "../gpt/config.js";
import type { PretrainedFamily, WeightRule } from "./family.js";
import { hfFields } from "./hf-config.js";

/**
 * Our GPTConfig from a Llama config.json (LlamaConfig's names): d_model = hidden_size, n_layers =
 * num_hidden_layers, n_heads = num_attention_heads, n_key_value_heads = num_key_value_heads (when
 * fewer), d_head = head_dim ?? hidden_size / num_attention_heads, d_mlp = intermediate_size,
 * n_ctx = max_position_embeddings, eps = rms_norm_eps, rotary_base = rope_theta, gated silu MLP.
 */
export function llamaConfig(hf: Record<string, unknown>): GPTConfigInput {
  const f = hfFields("Llama", hf);
  if (f.present("rope_scaling")) throw new Error(`Llama config: rope_scaling ${JSON.stringify(hf.rope_scaling)} is not supported (only plain RoPE with rope_theta)`);
  for (const field of ["attention_bias", "mlp_bias"]) {
    if (f.present(field) && typeof hf[field] !== "boolean") throw new Error(`Llama config: "${field}" must be true or false, got ${JSON.stringify(hf[field])}`);
  }
  if (f.present("pretraining_tp") && hf.pretraining_tp !== 1) throw new Error(`Llama config: pretraining_tp ${JSON.stringify(hf.pretraining_tp)} is not supported (only 1)`);
  const d_model = f.int("hidden_size");
  const n_heads = f.int("num_attention_heads");
  const d_head = f.present("head_dim") ? f.int("head_dim") : f.headDim(d_model, n_heads, "hidden_size", "num_attention_heads");
  const kvHeads = f.int("num_key_value_heads", n_heads);
  if (n_heads % kvHeads !== 0) throw new Error(`Llama config: num_attention_heads (${n_heads}) is not a multiple of num_key_value_heads (${kvHeads})`);
  return {
    n_layers: f.int("num_hidden_layers"),
    d_model,
    n_heads,
    d_head,
    n_key_value_heads: kvHeads === n_heads ? null : kvHeads,
    d_mlp: f.int("intermediate_size"),
    d_vocab: f.int("vocab_size"),
    n_ctx: f.int("max_position_embeddings"),
    act_fn: f.act("hidden_act", "silu"),
    gated_mlp: true,
    eps: f.num("rms_norm_eps", 1e-6),
    normalization_type: "RMS",
    positional_embedding_type: "rotary",
    rotary_dim: d_head,
    rotary_base: f.num("rope_theta", 10000),
    tie_embeddings: hf.tie_word_embeddings === true, // LlamaConfig's default is false
    use_bias: hf.attention_bias === true || hf.mlp_bias === true,
    initializer_range: f.num("initializer_range", 0.02),
  };
}

/** The rule for every weight of a Llama checkpoint, by its name without "model."; `hfConfig` (config.json) says which biases it holds. */
export function llamaWeightRules(cfg: GPTConfig, hfConfig: Record<string, unknown> = {}): Map<string, WeightRule> {
  const { n_heads: h, d_model: d, d_head: k, d_mlp: m, d_vocab: v } = cfg;
  const g = cfg.n_key_value_heads ?? h;
  const kv = g === h ? "" : "_"; // grouped-query attention stores the g shared heads as _W_K, _W_V
  const attnBias = hfConfig.attention_bias === true;
  const mlpBias = hfConfig.mlp_bias === true;
  const rules = new Map<string, WeightRule>();
  const same = (ours: string, shape: number[]): WeightRule => ({ shape, copyTo: ours, convert: (w) => [[ours, w]] });
  /** The rule, also setting our biases the checkpoint lacks (use_bias from the other kind of bias) to zero. */
  const withZeros = (rule: WeightRule, absent: [string, number[]][]): WeightRule =>
    cfg.use_bias && absent.length ? { shape: rule.shape, convert: (w) => [...rule.convert(w), ...absent.map(([n, s]): [string, Tensor] => [n, zeros(s)])] } : rule;
  const transposed = (ours: string, shape: number[]): WeightRule => ({ shape, convert: (w) => [[ours, w.mT]] });
  // (heads·k, d) rows → (heads, k, d) → (heads, d, k)
  const perHead = (ours: string, heads: number): WeightRule => ({ shape: [heads * k, d], convert: (w) => [[ours, w.reshape(heads, k, d).permute(0, 2, 1)]] });
  const mustBeZero = (name: string, shape: number[]): WeightRule => ({
    shape,
    convert: (w) => {
      if ((w.dataSync() as Float32Array).some((x) => x !== 0)) {
        throw new Error(`Llama checkpoint: "${name}" is not zero, which is not supported (our gated MLP, as TransformerLens's, adds its bias after the gate's product, so it has no bias inside it)`);
      }
      return [];
    },
  });
  rules.set("embed_tokens.weight", same("embed.W_E", [v, d]));
  for (let i = 0; i < cfg.n_layers; i++) {
    const hf = `layers.${i}.`;
    const ours = `blocks.${i}.`;
    const a = ours + "attn.";
    const noAttnBias = attnBias ? () => [] : (pairs: [string, number[]][]) => pairs;
    rules.set(hf + "input_layernorm.weight", same(ours + "ln1.w", [d]));
    rules.set(hf + "self_attn.q_proj.weight", withZeros(perHead(a + "W_Q", h), noAttnBias([[a + "b_Q", [h, k]]])));
    rules.set(hf + "self_attn.k_proj.weight", withZeros(perHead(a + `${kv}W_K`, g), noAttnBias([[a + `${kv}b_K`, [g, k]]])));
    rules.set(hf + "self_attn.v_proj.weight", withZeros(perHead(a + `${kv}W_V`, g), noAttnBias([[a + `${kv}b_V`, [g, k]]])));
    // o_proj (d, h·k): its transpose's rows are the concatenated heads' dims → (h, k, d)
    rules.set(hf + "self_attn.o_proj.weight", withZeros({ shape: [d, h * k], convert: (w) => [[a + "W_O", w.mT.reshape(h, k, d)]] }, noAttnBias([[a + "b_O", [d]]])));
    if (attnBias) {
      rules.set(hf + "self_attn.q_proj.bias", { shape: [h * k], convert: (w) => [[a + "b_Q", w.reshape(h, k)]] });
      rules.set(hf + "self_attn.k_proj.bias", { shape: [g * k], convert: (w) => [[a + `${kv}b_K`, w.reshape(g, k)]] });
      rules.set(hf + "self_attn.v_proj.bias", { shape: [g * k], convert: (w) => [[a + `${kv}b_V`, w.reshape(g, k)]] });
      rules.set(hf + "self_attn.o_proj.bias", same(a + "b_O", [d]));
    }
    rules.set(hf + "post_attention_layernorm.weight", same(ours + "ln2.w", [d]));
    rules.set(hf + "mlp.gate_proj.weight", transposed(ours + "mlp.W_gate", [m, d]));
    rules.set(hf + "mlp.up_proj.weight", withZeros(transposed(ours + "mlp.W_in", [m, d]), [[ours + "mlp.b_in", [m]]]));
    rules.set(hf + "mlp.down_proj.weight", withZeros(transposed(ours + "mlp.W_out", [d, m]), mlpBias ? [] : [[ours + "mlp.b_out", [d]]]));
    if (mlpBias) {
      rules.set(hf + "mlp.gate_proj.bias", mustBeZero(`model.${hf}mlp.gate_proj.bias`, [m]));
      rules.set(hf + "mlp.up_proj.bias", mustBeZero(`model.${hf}mlp.up_proj.bias`, [m]));
      rules.set(hf + "mlp.down_proj.bias", same(ours + "mlp.b_out", [d]));
    }
  }
  rules.set("norm.weight", same("ln_final.w", [d]));
  // Llama's lm_head has no bias: ours (use_bias, untied) is zero
  if (!cfg.tie_embeddings) rules.set("lm_head.weight", withZeros(transposed("unembed.W_U", [v, d]), [["unembed.b_U", [v]]]));
  return rules;
}

/** Rotary frequencies older Llama checkpoints carry: our attention computes its own. */
const BUFFER = /^layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/;

export const LLAMA: PretrainedFamily = {
  modelType: "llama",
  architectures: ["LlamaForCausalLM"],
  specialTokens: { bos: "<s>", eos: "</s>" },
  config: llamaConfig,
  weightRules: llamaWeightRules,
  canonicalName: (name) => (name.startsWith("model.") ? name.slice("model.".length) : name),
  skip: (name, cfg) => BUFFER.test(name) || (name === "lm_head.weight" && cfg.tie_embeddings),
};
