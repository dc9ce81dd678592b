// A HookedTransformer back to Hugging Face's Llama format (LlamaForCausalLM): the inverse of
// llama.ts, so an RMSNorm / rotary / gated-MLP model trained here loads in `transformers` (or
// anything that reads Llama checkpoints) without code. With h = n_heads, g = n_key_value_heads,
// d = d_model, k = d_head, m = d_mlp (nn.Linear stores its weight (out, in): y = x Wᵀ + b):
//   q_proj = W_Q (h, d, k) → (h, k, d) → (h·k, d);  k_proj, v_proj from W_K, W_V (or the shared
//   _W_K, _W_V (g, d, k) of grouped-query attention) → (g·k, d);  o_proj = (W_O (h, k, d) → (h·k, d))ᵀ
//   gate_proj = W_gateᵀ, up_proj = W_inᵀ (m, d), down_proj = W_outᵀ (d, m)
//   input_layernorm = ln1.w, post_attention_layernorm = ln2.w, norm = ln_final.w
//   embed_tokens = W_E (v, d); lm_head = W_Uᵀ, left out when the embeddings are tied.
// Our rotary attention rotates in rotate-half pairs over the whole head, as Llama's does, so q and
// k need no permutation (llama.ts reads them back the same way).
// Biases (use_bias): b_Q, b_K, b_V, b_O are Llama's attention biases (attention_bias: true) as
// they are. Our gated MLP, as TransformerLens's GatedMLP, adds b_in after the gate,
//   post = act(x W_gate) ⊙ (x W_in) + b_in,  out = post W_out + b_out,
// which Llama's mlp_bias cannot hold where we hold it (its up_proj bias sits inside the product),
// so it goes into down_proj's bias, b_out + b_in W_out (the same function; float32 rounding aside),
// with zero gate and up biases. Biases that are all zero are left out, which computes the same and
// keeps the checkpoint plain Llama.
// What Llama cannot express is refused with the reason and what to use instead, never approximated.
// Browser-safe: it maps tensors; writing files is export.node.ts.
import { noGrad } from "../../tensor/autograd.js";
import { zeros } from "../../tensor/creation.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { HookedTransformer } from "../gpt/model.js";

const isZero = (t: Tensor | undefined) => t === undefined || (t.dataSync() as Float32Array).every((x) => x === 0);

/** The non-constant spread of an unembedding bias (adding one constant to every logit changes no probability), or null. */
export function unembedBiasSpread(model: HookedTransformer): [number, number] | null {
  const b_U = model.stateDict()["unembed.b_U"];
  if (b_U === undefined) return null;
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of b_U.dataSync() as Float32Array) {
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  return hi - lo > 0 ? [lo, hi] : null;
}

/** Why this model cannot be written as Llama (null when it can): the config field, and what to use instead. */
export function llamaExportProblem(model: HookedTransformer): string | null {
  const c = model.cfg;
  if (c.normalization_type === "RMSPre") {
    return `normalization_type is "RMSPre": processWeights folded the RMSNorm weights into the weights that read them, and a Llama checkpoint keeps them apart; export the model before processing (fromPretrainedNoProcessing, or { processing: false })`;
  }
  if (c.normalization_type !== "RMS") return `normalization_type is ${JSON.stringify(c.normalization_type)}; Llama uses RMSNorm (normalization_type "RMS"); a LayerNorm model with learned positions exports as GPT-2`;
  if (c.positional_embedding_type !== "rotary") return `positional_embedding_type is "${c.positional_embedding_type}"; Llama uses rotary positions (positional_embedding_type "rotary")`;
  if (c.rotary_dim !== c.d_head) return `rotary_dim is ${c.rotary_dim} < d_head ${c.d_head} (partial rotary, as GPT-NeoX); Llama rotates the whole head (rotary_dim = d_head)`;
  if (c.attn_only) return "attn_only is set; every Llama block has an MLP";
  if (!c.gated_mlp) return "gated_mlp is false; Llama's MLP is gated (SwiGLU: gated_mlp true, act_fn \"silu\")";
  if (c.act_fn !== "silu") return `act_fn is "${c.act_fn}"; Llama's gated MLP uses silu (act_fn "silu")`;
  if (c.parallel_attn_mlp) return "parallel_attn_mlp is set; Llama's blocks are sequential (attention, then the MLP reading its output)";
  if (!c.use_attn_scale || c.attn_scale !== Math.sqrt(c.d_head)) {
    return `the attention scale is ${c.use_attn_scale ? c.attn_scale : 1} (use_attn_scale ${c.use_attn_scale}, attn_scale ${c.attn_scale}); Llama divides scores by √d_head = ${Math.sqrt(c.d_head)} (use_attn_scale true, attn_scale −1)`;
  }
  if (c.attn_types?.includes("local")) return `attn_types has local (sliding-window) layers; Llama attends globally (attn_types null)`;
  const spread = unembedBiasSpread(model);
  if (spread) return `unembed.b_U is not constant (from ${spread[0]} to ${spread[1]}); Llama's lm_head has no bias (train with use_bias: false, or tie_embeddings)`;
  return null;
}

/** Whether the attention biases (b_Q, b_K, b_V, b_O) and the MLP biases (b_in, b_out) hold anything but zeros. */
export function llamaBiases(model: HookedTransformer): { attention: boolean; mlp: boolean } {
  if (!model.cfg.use_bias) return { attention: false, mlp: false };
  const sd = model.stateDict();
  const any = (re: RegExp) => Object.entries(sd).some(([name, t]) => re.test(name) && !isZero(t));
  return { attention: any(/^blocks\.\d+\.attn\._?b_[QKVO]$/), mlp: any(/^blocks\.\d+\.mlp\.b_(in|out)$/) };
}

/** Llama's config.json for this model (LlamaConfig field names); `special` adds bos_token_id / eos_token_id. */
export function llamaConfigJson(model: HookedTransformer, special: { bos_token_id?: number; eos_token_id?: number } = {}): Record<string, unknown> {
  const c = model.cfg;
  const bias = llamaBiases(model);
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    vocab_size: c.d_vocab,
    hidden_size: c.d_model,
    intermediate_size: c.d_mlp,
    num_hidden_layers: c.n_layers,
    num_attention_heads: c.n_heads,
    num_key_value_heads: c.n_key_value_heads ?? c.n_heads,
    // LlamaConfig reads head_dim since transformers 4.45; it is hidden_size / num_attention_heads unless said
    head_dim: c.d_head,
    hidden_act: "silu",
    max_position_embeddings: c.n_ctx,
    rms_norm_eps: c.eps,
    rope_theta: c.rotary_base,
    rope_scaling: null,
    attention_bias: bias.attention,
    mlp_bias: bias.mlp,
    attention_dropout: c.dropout,
    initializer_range: c.initializer_range,
    pretraining_tp: 1,
    tie_word_embeddings: c.tie_embeddings,
    ...special,
    torch_dtype: "float32",
    use_cache: true,
  };
}

/** The model's weights under Llama's names and layouts (throws when llamaExportProblem says why not). */
export function llamaStateDict(model: HookedTransformer): Record<string, Tensor> {
  const problem = llamaExportProblem(model);
  if (problem) throw new Error(`cannot write this model as Llama: ${problem}`);
  const { n_heads: h, d_model: d, d_head: k, d_mlp: m } = model.cfg;
  const g = model.cfg.n_key_value_heads ?? h;
  const kv = g === h ? "" : "_"; // grouped-query attention keeps the g shared heads as _W_K, _W_V, _b_K, _b_V
  const bias = llamaBiases(model);
  const ours = model.stateDict();
  const get = (name: string, shape: number[]): Tensor => ours[name] ?? zeros(shape); // absent biases are zero
  const out: Record<string, Tensor> = {};
  noGrad(() => {
    // (heads, d, k) → (heads, k, d) → (heads·k, d): row head·k + i, as llama.ts reads it back
    const rows = (w: Tensor, heads: number) => w.permute(0, 2, 1).reshape(heads * k, d);
    out["model.embed_tokens.weight"] = ours["embed.W_E"];
    for (let i = 0; i < model.cfg.n_layers; i++) {
      const b = `blocks.${i}.`;
      const hf = `model.layers.${i}.`;
      out[hf + "input_layernorm.weight"] = ours[b + "ln1.w"];
      out[hf + "self_attn.q_proj.weight"] = rows(ours[b + "attn.W_Q"], h);
      out[hf + "self_attn.k_proj.weight"] = rows(ours[b + `attn.${kv}W_K`], g);
      out[hf + "self_attn.v_proj.weight"] = rows(ours[b + `attn.${kv}W_V`], g);
      out[hf + "self_attn.o_proj.weight"] = ours[b + "attn.W_O"].reshape(h * k, d).mT.contiguous();
      if (bias.attention) {
        out[hf + "self_attn.q_proj.bias"] = get(b + "attn.b_Q", [h, k]).reshape(h * k);
        out[hf + "self_attn.k_proj.bias"] = get(b + `attn.${kv}b_K`, [g, k]).reshape(g * k);
        out[hf + "self_attn.v_proj.bias"] = get(b + `attn.${kv}b_V`, [g, k]).reshape(g * k);
        out[hf + "self_attn.o_proj.bias"] = get(b + "attn.b_O", [d]);
      }
      out[hf + "post_attention_layernorm.weight"] = ours[b + "ln2.w"];
      out[hf + "mlp.gate_proj.weight"] = ours[b + "mlp.W_gate"].mT.contiguous();
      out[hf + "mlp.up_proj.weight"] = ours[b + "mlp.W_in"].mT.contiguous();
      out[hf + "mlp.down_proj.weight"] = ours[b + "mlp.W_out"].mT.contiguous();
      if (bias.mlp) {
        out[hf + "mlp.gate_proj.bias"] = zeros([m]);
        out[hf + "mlp.up_proj.bias"] = zeros([m]);
        // post W_out + b_out with post = gated + b_in: b_in W_out joins b_out
        const b_in = get(b + "mlp.b_in", [m]);
        const b_out = get(b + "mlp.b_out", [d]);
        out[hf + "mlp.down_proj.bias"] = isZero(b_in) ? b_out : b_in.reshape(1, m).matmul(ours[b + "mlp.W_out"]).reshape(d).add(b_out);
      }
    }
    out["model.norm.weight"] = ours["ln_final.w"];
    // nn.Linear(d, v) stores (v, d); tied models share embed_tokens and their checkpoints omit lm_head
    if (!model.cfg.tie_embeddings) out["lm_head.weight"] = ours["unembed.W_U"].mT.contiguous();
  });
  return out;
}
