// A HookedTransformer back to Hugging Face's GPT-2 format (GPT2LMHeadModel): the inverse of
// gpt2.ts, so a model trained here loads in `transformers` (or anything that reads GPT-2
// checkpoints) without code:
//   c_attn.W = [W_Q | W_K | W_V], each (h, d, k) → (d, h·k)      c_attn.b = [b_Q | b_K | b_V] flattened
//   attn.c_proj.W = W_O (h, k, d) → (h·k, d)                      mlp.c_fc.W = W_in, mlp.c_proj.W = W_out
//   wte = W_E, wpe = W_pos, ln_* = our LayerNorms; lm_head = W_Uᵀ when the embeddings are untied.
// What GPT-2 cannot express is refused with the reason, never approximated: another norm or
// positional scheme, a processed model (LNPre: its norms folded away), attention-only blocks, a
// gated MLP, grouped-query or parallel attention, an attention scale other than √d_head, local
// attention, d_head · n_heads ≠ d_model, an unembedding bias that varies (GPT-2's lm_head has none).
// A model without biases gets zero biases, which computes the same. (hf-export.ts picks GPT-2 or
// Llama for a model; llama-export.ts is the other family.)
// Browser-safe: it maps tensors; writing files is export.node.ts.
import { zeros } from "../../tensor/creation.js";
import { cat } from "../../tensor/ops/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { HookedTransformer } from "../gpt/model.js";

/** Our act_fn → GPT2Config.activation_function. */
const ACTIVATION_NAMES: Record<string, string> = { gelu_new: "gelu_new", gelu: "gelu", relu: "relu", silu: "silu", tanh: "tanh" };

/** Why this model cannot be written as GPT-2 (null when it can). */
export function gpt2ExportProblem(model: HookedTransformer): string | null {
  const c = model.cfg;
  if (c.normalization_type === "LNPre") {
    return `normalization_type is "LNPre": processWeights folded the LayerNorm weights and biases into the weights that read them, and a GPT-2 checkpoint keeps them apart; export the model before processing (fromPretrainedNoProcessing, or { processing: false })`;
  }
  if (c.normalization_type !== "LN") return `its normalization is ${c.normalization_type}; GPT-2 uses LayerNorm`;
  if (c.positional_embedding_type !== "standard") return `its positions are ${c.positional_embedding_type}; GPT-2 learns absolute positions (W_pos)`;
  if (c.attn_only) return "it is attention-only; every GPT-2 block has an MLP";
  if (c.d_head * c.n_heads !== c.d_model) return `d_head · n_heads = ${c.d_head * c.n_heads} ≠ d_model = ${c.d_model}; GPT-2 splits d_model among the heads`;
  if (ACTIVATION_NAMES[c.act_fn] === undefined) return `its activation ${c.act_fn} has no GPT-2 name`;
  if (c.gated_mlp) return "gated_mlp is set; GPT-2's MLP is not gated (a gated silu MLP with RMSNorm and rotary positions exports as Llama)";
  if (c.n_key_value_heads !== null && c.n_key_value_heads !== c.n_heads) return `n_key_value_heads is ${c.n_key_value_heads} < n_heads ${c.n_heads}; GPT-2 gives every head its own keys and values`;
  if (c.parallel_attn_mlp) return "parallel_attn_mlp is set; GPT-2's blocks are sequential";
  if (!c.use_attn_scale || c.attn_scale !== Math.sqrt(c.d_head)) return `the attention scale is ${c.use_attn_scale ? c.attn_scale : 1}; GPT-2 divides scores by √d_head = ${Math.sqrt(c.d_head)} (use_attn_scale true, attn_scale −1)`;
  if (c.attn_types?.includes("local")) return "attn_types has local (sliding-window) layers; GPT-2 attends globally (attn_types null)";
  const b_U = model.stateDict()["unembed.b_U"];
  if (b_U !== undefined) {
    // adding one constant to every logit changes no probability: only a varying bias is lost
    const v = b_U.dataSync();
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of v) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    if (hi - lo > 0) return `unembed.b_U is not constant (from ${lo} to ${hi}); GPT-2's lm_head has no bias (train with use_bias: false, or tie_embeddings)`;
  }
  return null;
}

/** GPT-2's config.json for this model (GPT2Config field names); `special` adds bos_token_id / eos_token_id. */
export function gpt2ConfigJson(model: HookedTransformer, special: { bos_token_id?: number; eos_token_id?: number } = {}): Record<string, unknown> {
  const c = model.cfg;
  return {
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    vocab_size: c.d_vocab,
    n_positions: c.n_ctx,
    n_embd: c.d_model,
    n_layer: c.n_layers,
    n_head: c.n_heads,
    n_inner: c.d_mlp,
    activation_function: ACTIVATION_NAMES[c.act_fn],
    layer_norm_epsilon: c.eps,
    initializer_range: c.initializer_range,
    resid_pdrop: c.dropout,
    embd_pdrop: c.dropout,
    attn_pdrop: c.dropout,
    scale_attn_weights: true,
    tie_word_embeddings: c.tie_embeddings,
    ...special,
    torch_dtype: "float32",
  };
}

/** The model's weights under GPT-2's names and layouts (throws when gpt2ExportProblem says why not). */
export function gpt2StateDict(model: HookedTransformer): Record<string, Tensor> {
  const problem = gpt2ExportProblem(model);
  if (problem) throw new Error(`cannot write this model as GPT-2: ${problem}`);
  const { n_heads: h, d_model: d, d_head: k, d_mlp: m } = model.cfg;
  const ours = model.stateDict();
  const get = (name: string, shape: number[]): Tensor => ours[name] ?? zeros(shape); // absent biases are zero
  const out: Record<string, Tensor> = {};
  out["transformer.wte.weight"] = ours["embed.W_E"];
  out["transformer.wpe.weight"] = ours["pos_embed.W_pos"];
  for (let i = 0; i < model.cfg.n_layers; i++) {
    const b = `blocks.${i}.`;
    const hf = `transformer.h.${i}.`;
    // (h, d, k) → (d, h, k) → (d, h·k): column head·k + i, as gpt2.ts reads it back
    const cols = (w: Tensor) => w.permute(1, 0, 2).reshape(d, h * k);
    out[hf + "ln_1.weight"] = get(b + "ln1.w", [d]);
    out[hf + "ln_1.bias"] = get(b + "ln1.b", [d]);
    out[hf + "attn.c_attn.weight"] = cat(["W_Q", "W_K", "W_V"].map((n) => cols(ours[b + "attn." + n])), 1);
    out[hf + "attn.c_attn.bias"] = cat(["b_Q", "b_K", "b_V"].map((n) => get(b + "attn." + n, [h, k]).reshape(h * k)), 0);
    out[hf + "attn.c_proj.weight"] = ours[b + "attn.W_O"].reshape(h * k, d);
    out[hf + "attn.c_proj.bias"] = get(b + "attn.b_O", [d]);
    out[hf + "ln_2.weight"] = get(b + "ln2.w", [d]);
    out[hf + "ln_2.bias"] = get(b + "ln2.b", [d]);
    out[hf + "mlp.c_fc.weight"] = ours[b + "mlp.W_in"];
    out[hf + "mlp.c_fc.bias"] = get(b + "mlp.b_in", [m]);
    out[hf + "mlp.c_proj.weight"] = ours[b + "mlp.W_out"];
    out[hf + "mlp.c_proj.bias"] = get(b + "mlp.b_out", [d]);
  }
  out["transformer.ln_f.weight"] = get("ln_final.w", [d]);
  out["transformer.ln_f.bias"] = get("ln_final.b", [d]);
  // nn.Linear(d, v) stores (v, d); tied models share wte and GPT-2 checkpoints then omit lm_head
  if (!model.cfg.tie_embeddings) out["lm_head.weight"] = ours["unembed.W_U"].mT.contiguous();
  return out;
}
