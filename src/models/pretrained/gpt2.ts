// GPT-2 (Hugging Face's GPT2LMHeadModel / GPT2Model) onto HookedTransformer: its config.json and
// its parameter names and layouts onto ours, as TransformerLens's GPT-2 weight conversion does it.
//
// Hugging Face's GPT-2 computes, per block (Conv1D = a linear layer stored as (in, out): y = x W + b):
//   q | k | v = ln_1(h) c_attn.W + c_attn.b          c_attn.W is (d, 3d): the q, k, v columns side by side,
//                                                    inside each the heads side by side (column = head·k + i)
//   o = concat_heads(softmax(q kᵀ/√k + mask) v) c_proj.W + c_proj.b      c_proj.W is (d, d), row = head·k + i
//   h = h + o;  h = h + gelu_new(ln_2(h) c_fc.W + c_fc.b) mlp.c_proj.W + mlp.c_proj.b
//   logits = ln_f(h) wteᵀ                              (lm_head is tied to wte and has no bias)
// so, with h = n_heads, d = d_model, k = d_head, m = d_mlp, v = d_vocab:
//   W_Q[head] = c_attn.W[:, 0·d + head·k : 0·d + (head+1)·k]     (h, d, k); W_K from 1·d, W_V from 2·d
//   b_Q[head] = c_attn.b[0·d + head·k : ...]                     (h, k)
//   W_O[head] = c_proj.W[head·k : (head+1)·k, :]                 (h, k, d)
//   W_in = c_fc.W (d, m), W_out = mlp.c_proj.W (m, d)            (Conv1D is already x W)
//   W_E = wte (v, d), W_pos = wpe (n_ctx, d), W_U = wteᵀ (tied: our tie_embeddings)
// Browser-safe: it maps tensors; reading files is src/io's job.
import { zeros } from "../../tensor/creation.js";
import type { GPTConfig, GPTConfigInput } from "../gpt/config.js";
import type { PretrainedFamily, WeightRule } from "./family.js";
import { ACTIVATIONS } from "./hf-config.js";

/**
 * Our GPTConfig from a GPT-2 config.json (GPT2Config's field names), as TransformerLens's
 * convert_hf_model_config: d_model = n_embd, n_layers = n_layer, n_heads = n_head,
 * d_mlp = n_inner ?? 4·n_embd, n_ctx = n_positions, d_vocab = vocab_size, eps = layer_norm_epsilon.
 * Options GPT-2 offers that our attention does not compute are refused rather than ignored.
 */
export function gpt2Config(hf: Record<string, unknown>): GPTConfigInput {
  const int = (field: string): number => {
    const v = hf[field];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) throw new Error(`GPT-2 config: "${field}" must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  const actName = hf.activation_function ?? "gelu_new";
  const act_fn = typeof actName === "string" ? ACTIVATIONS[actName] : undefined;
  if (!act_fn) throw new Error(`GPT-2 config: activation_function ${JSON.stringify(actName)} is not supported (supported: ${Object.keys(ACTIVATIONS).join(", ")})`);
  if (hf.scale_attn_weights === false) throw new Error("GPT-2 config: scale_attn_weights = false (scores not divided by √d_head) is not supported");
  if (hf.scale_attn_by_inverse_layer_idx === true) throw new Error("GPT-2 config: scale_attn_by_inverse_layer_idx = true is not supported");
  if (hf.add_cross_attention === true) throw new Error("GPT-2 config: add_cross_attention = true (an encoder-decoder model) is not supported");
  const d_model = int("n_embd");
  const n_heads = int("n_head");
  if (d_model % n_heads !== 0) throw new Error(`GPT-2 config: n_embd (${d_model}) is not divisible by n_head (${n_heads})`);
  const eps = hf.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== "number" || !(eps > 0)) throw new Error(`GPT-2 config: "layer_norm_epsilon" must be a positive number, got ${JSON.stringify(eps)}`);
  return {
    n_layers: int("n_layer"),
    d_model,
    n_heads,
    d_head: d_model / n_heads,
    d_mlp: hf.n_inner === undefined || hf.n_inner === null ? 4 * d_model : int("n_inner"),
    d_vocab: int("vocab_size"),
    n_ctx: int("n_positions"),
    act_fn,
    eps,
    normalization_type: "LN",
    positional_embedding_type: "standard",
    // tie_word_embeddings (default true): lm_head.weight is wte.weight, and there is no output bias
    tie_embeddings: hf.tie_word_embeddings !== false,
    use_bias: true,
    initializer_range: typeof hf.initializer_range === "number" && hf.initializer_range > 0 ? hf.initializer_range : 0.02,
  };
}

/**
 * The rule for every weight of a GPT-2 checkpoint, by its name without "transformer.". All of
 * them must be present except lm_head.weight, which tied checkpoints omit (and which, when
 * present in a tied one, is wte again and is not read).
 */
export function gpt2WeightRules(cfg: GPTConfig): Map<string, WeightRule> {
  const { n_heads: h, d_model: d, d_head: k, d_mlp: m, d_vocab: v, n_ctx } = cfg;
  const rules = new Map<string, WeightRule>();
  const same = (ours: string, shape: number[]): WeightRule => ({ shape, copyTo: ours, convert: (w) => [[ours, w]] });
  rules.set("wte.weight", same("embed.W_E", [v, d]));
  rules.set("wpe.weight", same("pos_embed.W_pos", [n_ctx, d]));
  for (let i = 0; i < cfg.n_layers; i++) {
    const hf = `h.${i}.`;
    const ours = `blocks.${i}.`;
    rules.set(hf + "ln_1.weight", same(ours + "ln1.w", [d]));
    rules.set(hf + "ln_1.bias", same(ours + "ln1.b", [d]));
    rules.set(hf + "attn.c_attn.weight", {
      shape: [d, 3 * d],
      // columns j·d .. (j+1)·d are q, k or v for all heads (d, h·k) → (d, h, k) → (h, d, k)
      convert: (w) => (["W_Q", "W_K", "W_V"] as const).map((name, j) => [ours + "attn." + name, w.narrow(1, j * d, d).reshape(d, h, k).permute(1, 0, 2)]),
    });
    rules.set(hf + "attn.c_attn.bias", {
      shape: [3 * d],
      convert: (b) => (["b_Q", "b_K", "b_V"] as const).map((name, j) => [ours + "attn." + name, b.narrow(0, j * d, d).reshape(h, k)]),
    });
    // rows of c_proj.W are the concatenated heads' dims (h·k, d) → (h, k, d)
    rules.set(hf + "attn.c_proj.weight", { shape: [d, d], convert: (w) => [[ours + "attn.W_O", w.reshape(h, k, d)]] });
    rules.set(hf + "attn.c_proj.bias", same(ours + "attn.b_O", [d]));
    rules.set(hf + "ln_2.weight", same(ours + "ln2.w", [d]));
    rules.set(hf + "ln_2.bias", same(ours + "ln2.b", [d]));
    rules.set(hf + "mlp.c_fc.weight", same(ours + "mlp.W_in", [d, m]));
    rules.set(hf + "mlp.c_fc.bias", same(ours + "mlp.b_in", [m]));
    rules.set(hf + "mlp.c_proj.weight", same(ours + "mlp.W_out", [m, d]));
    rules.set(hf + "mlp.c_proj.bias", same(ours + "mlp.b_out", [d]));
  }
  rules.set("ln_f.weight", same("ln_final.w", [d]));
  rules.set("ln_f.bias", same("ln_final.b", [d]));
  if (!cfg.tie_embeddings) {
    // an untied head: nn.Linear(d, v, bias=False) stores (v, d); ours is W_U (d, v) plus b_U, zero
    rules.set("lm_head.weight", {
      shape: [v, d],
      convert: (w) => [
        ["unembed.W_U", w.mT],
        ["unembed.b_U", zeros([v])],
      ],
    });
  }
  return rules;
}

/** GPT-2's causal-mask buffers ("h.0.attn.bias" (1, 1, n_positions, n_positions), "h.0.attn.masked_bias"): our attention builds its own mask. */
const MASK_BUFFER = /^h\.\d+\.attn\.(bias|masked_bias)$/;

export const GPT2: PretrainedFamily = {
  modelType: "gpt2",
  architectures: ["GPT2LMHeadModel", "GPT2Model"],
  specialTokens: { bos: "<|endoftext|>", eos: "<|endoftext|>" },
  config: gpt2Config,
  weightRules: gpt2WeightRules,
  // GPT2LMHeadModel saves "transformer.h.0…"; GPT2Model and openai-community/gpt2's own file "h.0…"
  canonicalName: (name) => (name.startsWith("transformer.") ? name.slice("transformer.".length) : name),
  // the mask buffers; and lm_head.weight of a tied model, which is wte again
  skip: (name, cfg) => MASK_BUFFER.test(name) || (name === "lm_head.weight" && cfg.tie_embeddings),
};
