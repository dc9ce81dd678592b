// GPT-Neo (Hugging Face's GPTNeoForCausalLM: EleutherAI's gpt-neo-125M, the TinyStories-1M … 33M
// models) onto HookedTransformer, as TransformerLens's GPT-Neo conversion does it.
//
// Hugging Face's GPT-Neo is GPT-2 with three differences in attention (Linear = nn.Linear, weight
// stored (out, in): y = x Wᵀ + b):
//   q = ln_1(h) q_projᵀ,  k = … k_projᵀ,  v = … v_projᵀ        no biases; heads side by side (row = head·k + i)
//   scores = q kᵀ                                               NOT divided by √d_head (our use_attn_scale = false)
//   mask: causal, and in a "local" layer also keys ≥ window_size back (a query sees at most
//         window_size keys, itself included); config.json's attention_types [[["global", "local"], n]]
//         repeats the pattern n times, one entry per layer (our attn_types)
//   o = concat_heads(softmax(scores) v) out_projᵀ + out_proj.b
// and its MLP is c_fc, c_proj as Linear layers (transposed against GPT-2's Conv1D). So, with
// h = n_heads, d = d_model, k = d_head, m = d_mlp, v = d_vocab:
//   W_Q = q_proj (h·k, d) → (h, k, d) → (h, d, k);  W_K, W_V alike;  b_Q = b_K = b_V = 0
//   W_O = out_projᵀ (h·k, d) → (h, k, d);  W_in = c_fcᵀ (d, m);  W_out = c_projᵀ (m, d)
//   W_E = wte, W_pos = wpe, W_U = wteᵀ (tied, the default)
import { zeros } from "../../tensor/creation.js";
import type { AttnType, GPTConfig, GPTConfigInput } from "../gpt/config.js";
import type { PretrainedFamily, WeightRule } from "./family.js";
import { hfFields } from "./hf-config.js";

/** attention_types [[["global", "local"], n], …] expanded to one entry per layer, as GPTNeoConfig does. */
export function neoAttentionLayers(hf: Record<string, unknown>): AttnType[] {
  const types = hf.attention_types;
  const bad = () => new Error(`GPT-Neo config: "attention_types" must be a list of [["global" | "local", …], repeats], got ${JSON.stringify(types)}`);
  if (types === undefined || types === null) {
    // config.json without attention_types: its expanded form attention_layers
    const layers = hf.attention_layers;
    if (!Array.isArray(layers) || layers.some((t) => t !== "global" && t !== "local")) throw new Error(`GPT-Neo config: needs "attention_types" (or "attention_layers"), got ${JSON.stringify(layers)}`);
    return layers as AttnType[];
  }
  if (!Array.isArray(types)) throw bad();
  const out: AttnType[] = [];
  for (const item of types) {
    if (!Array.isArray(item) || item.length !== 2 || !Array.isArray(item[0]) || !Number.isSafeInteger(item[1]) || item[1] < 0) throw bad();
    const [pattern, repeats] = item as [unknown[], number];
    if (pattern.some((t) => t !== "global" && t !== "local")) throw bad();
    for (let r = 0; r < repeats; r++) out.push(...(pattern as AttnType[]));
  }
  return out;
}

/**
 * Our GPTConfig from a GPT-Neo config.json (GPTNeoConfig's names): d_model = hidden_size,
 * n_layers = num_layers, n_heads = num_heads, d_mlp = intermediate_size ?? 4·hidden_size,
 * n_ctx = max_position_embeddings, attn_types from attention_types, window_size, no attention scale.
 */
export function gptNeoConfig(hf: Record<string, unknown>): GPTConfigInput {
  const f = hfFields("GPT-Neo", hf);
  const d_model = f.int("hidden_size");
  const n_heads = f.int("num_heads");
  const n_layers = f.int("num_layers");
  const attn_types = neoAttentionLayers(hf);
  if (attn_types.length !== n_layers) throw new Error(`GPT-Neo config: attention_types gives ${attn_types.length} layers, but num_layers is ${n_layers}`);
  return {
    n_layers,
    d_model,
    n_heads,
    d_head: f.headDim(d_model, n_heads, "hidden_size", "num_heads"),
    d_mlp: f.int("intermediate_size", 4 * d_model),
    d_vocab: f.int("vocab_size"),
    n_ctx: f.int("max_position_embeddings"),
    act_fn: f.act("activation_function", "gelu_new"),
    eps: f.num("layer_norm_epsilon", 1e-5),
    normalization_type: "LN",
    positional_embedding_type: "standard",
    attn_types,
    window_size: f.int("window_size", 256),
    use_attn_scale: false,
    tie_embeddings: hf.tie_word_embeddings !== false,
    use_bias: true,
    initializer_range: f.num("initializer_range", 0.02),
  };
}

/** The rule for every weight of a GPT-Neo checkpoint, by its name without "transformer.". */
export function gptNeoWeightRules(cfg: GPTConfig): Map<string, WeightRule> {
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
    for (const [proj, W, b] of [["q_proj", "W_Q", "b_Q"], ["k_proj", "W_K", "b_K"], ["v_proj", "W_V", "b_V"]] as const) {
      rules.set(hf + `attn.attention.${proj}.weight`, {
        shape: [d, d],
        // rows are the heads' output dims (h·k, d) → (h, k, d) → (h, d, k); the projection has no bias
        convert: (w) => [
          [ours + "attn." + W, w.reshape(h, k, d).permute(0, 2, 1)],
          [ours + "attn." + b, zeros([h, k])],
        ],
      });
    }
    // out_proj (d, h·k): its transpose's rows are the concatenated heads' dims → (h, k, d)
    rules.set(hf + "attn.attention.out_proj.weight", { shape: [d, d], convert: (w) => [[ours + "attn.W_O", w.mT.reshape(h, k, d)]] });
    rules.set(hf + "attn.attention.out_proj.bias", same(ours + "attn.b_O", [d]));
    rules.set(hf + "ln_2.weight", same(ours + "ln2.w", [d]));
    rules.set(hf + "ln_2.bias", same(ours + "ln2.b", [d]));
    rules.set(hf + "mlp.c_fc.weight", { shape: [m, d], convert: (w) => [[ours + "mlp.W_in", w.mT]] });
    rules.set(hf + "mlp.c_fc.bias", same(ours + "mlp.b_in", [m]));
    rules.set(hf + "mlp.c_proj.weight", { shape: [d, m], convert: (w) => [[ours + "mlp.W_out", w.mT]] });
    rules.set(hf + "mlp.c_proj.bias", same(ours + "mlp.b_out", [d]));
  }
  rules.set("ln_f.weight", same("ln_final.w", [d]));
  rules.set("ln_f.bias", same("ln_final.b", [d]));
  if (!cfg.tie_embeddings) {
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

/** The mask buffers older GPT-Neo checkpoints carry ("h.0.attn.attention.bias", "….masked_bias"): our attention builds its own. */
const MASK_BUFFER = /^h\.\d+\.attn\.attention\.(bias|masked_bias)$/;

export const GPT_NEO: PretrainedFamily = {
  modelType: "gpt_neo",
  architectures: ["GPTNeoForCausalLM", "GPTNeoModel"],
  specialTokens: { bos: "<|endoftext|>", eos: "<|endoftext|>" },
  config: gptNeoConfig,
  weightRules: gptNeoWeightRules,
  canonicalName: (name) => (name.startsWith("transformer.") ? name.slice("transformer.".length) : name),
  skip: (name, cfg) => MASK_BUFFER.test(name) || (name === "lm_head.weight" && cfg.tie_embeddings),
};
