// Every hyperparameter of a GPT in one object, with TransformerLens's field names (snake_case, as
// in HookedTransformerConfig and Hugging Face config.json files), validated with clear errors.

/** LNPre / RMSPre: the norm without its weight and bias (folded into the weights that read it, by processWeights). */
export type NormalizationType = "LN" | "RMS" | "LNPre" | "RMSPre" | null;
export type PositionalEmbeddingType = "standard" | "sinusoidal" | "rotary" | "alibi" | "none" | "abacus";
export type ActFn = "gelu" | "gelu_new" | "relu" | "silu" | "tanh";
/** Per layer: "global" attends to every earlier position, "local" only to the last window_size (GPT-Neo). */
export type AttnType = "global" | "local";

export interface GPTConfig {
  n_layers: number;
  d_model: number;
  n_heads: number;
  /** Width of each head; default d_model / n_heads. */
  d_head: number;
  /** Width of the MLP's hidden layer; default 4·d_model. */
  d_mlp: number;
  d_vocab: number;
  /** Longest context (positions). */
  n_ctx: number;
  act_fn: ActFn;
  normalization_type: NormalizationType;
  positional_embedding_type: PositionalEmbeddingType;
  /** No MLPs: blocks are attention only (the induction-head experiments use this). */
  attn_only: boolean;
  /** Unembedding is the transposed embedding (GPT-2, nanoGPT). */
  tie_embeddings: boolean;
  /** Biases in attention, MLP and unembedding (LayerNorm biases follow it too). */
  use_bias: boolean;
  /** Dropout on attention patterns and on each residual write (0 = off). */
  dropout: number;
  /** Std of the normal init of weights (GPT-2: 0.02); output projections are scaled by 1/√(2·n_layers). */
  initializer_range: number;
  eps: number;
  /** Rotary: how many dims of each head rotate (default d_head) and the base of the frequencies. */
  rotary_dim: number;
  rotary_base: number;
  /** Abacus: token ids of the digits; each digit gets the embedding of its place within its number. */
  abacus_digit_ids: number[];
  /** Abacus: positions the digit-place embedding has (longest number + random offset range). */
  abacus_max_digits: number;
  /** Per layer, global or local (sliding-window) attention; null = all global. GPT-Neo alternates them. */
  attn_types: AttnType[] | null;
  /** Local attention: a query sees at most window_size keys, itself included (query − key < window_size). */
  window_size: number | null;
  /** Scores are q·k / attn_scale when use_attn_scale (default attn_scale = √d_head), else q·k (GPT-Neo). */
  use_attn_scale: boolean;
  attn_scale: number;
  /** Grouped-query attention: heads share n_key_value_heads key/value heads (null = n_heads, ordinary attention). */
  n_key_value_heads: number | null;
  /** Attention and MLP both read resid_pre: resid_post = resid_pre + attn_out + mlp_out (GPT-NeoX, GPT-J). */
  parallel_attn_mlp: boolean;
  /** Gated MLP (SwiGLU in Llama): post = act(x W_gate) ⊙ (x W_in) + b_in. */
  gated_mlp: boolean;
  /** Store per-head attention results (hook_result, d_model wide per head): memory-heavy, for analysis. */
  use_attn_result: boolean;
  seed: number;
}

export const DEFAULT_CONFIG: Omit<GPTConfig, "n_layers" | "d_model" | "n_heads" | "d_vocab" | "n_ctx" | "d_head" | "d_mlp"> = {
  act_fn: "gelu",
  normalization_type: "LN",
  positional_embedding_type: "standard",
  attn_only: false,
  tie_embeddings: false,
  use_bias: true,
  dropout: 0,
  initializer_range: 0.02,
  eps: 1e-5,
  rotary_dim: 0,
  rotary_base: 10000,
  abacus_digit_ids: [],
  abacus_max_digits: 32,
  attn_types: null,
  window_size: null,
  use_attn_scale: true,
  attn_scale: -1, // −1: √d_head, filled in by makeConfig (TransformerLens's convention)
  n_key_value_heads: null,
  parallel_attn_mlp: false,
  gated_mlp: false,
  use_attn_result: false,
  seed: 0,
};

export type GPTConfigInput = Pick<GPTConfig, "n_layers" | "d_model" | "n_heads" | "d_vocab" | "n_ctx"> & Partial<GPTConfig>;

const ACT_FNS: ActFn[] = ["gelu", "gelu_new", "relu", "silu", "tanh"];
const NORMS: NormalizationType[] = ["LN", "RMS", "LNPre", "RMSPre", null];
const POS: PositionalEmbeddingType[] = ["standard", "sinusoidal", "rotary", "alibi", "none", "abacus"];

/** Fills defaults and checks every field; errors name the field and the value. */
export function makeConfig(input: GPTConfigInput): GPTConfig {
  if (typeof input !== "object" || input === null) throw new Error("GPT config: expected an object");
  const known = new Set([...Object.keys(DEFAULT_CONFIG), "n_layers", "d_model", "n_heads", "d_vocab", "n_ctx", "d_head", "d_mlp"]);
  const unknown = Object.keys(input).filter((k) => !known.has(k));
  if (unknown.length) throw new Error(`GPT config: unknown field(s) ${unknown.map((k) => `"${k}"`).join(", ")}`);
  const posInt = (name: keyof GPTConfig, v: unknown, min = 1) => {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) throw new Error(`GPT config: ${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
    return v;
  };
  for (const f of ["n_layers", "d_model", "n_heads", "d_vocab", "n_ctx"] as const) {
    if (input[f] === undefined) throw new Error(`GPT config: missing required field "${f}"`);
    posInt(f, input[f], f === "n_layers" ? 0 : 1);
  }
  const d_head = input.d_head ?? input.d_model / input.n_heads;
  if (input.d_head === undefined && !Number.isInteger(d_head)) throw new Error(`GPT config: d_model (${input.d_model}) is not divisible by n_heads (${input.n_heads}); set d_head explicitly`);
  const cfg: GPTConfig = { ...DEFAULT_CONFIG, ...input, d_head, d_mlp: input.d_mlp ?? 4 * input.d_model } as GPTConfig;
  posInt("d_head", cfg.d_head);
  posInt("d_mlp", cfg.d_mlp);
  if (!ACT_FNS.includes(cfg.act_fn)) throw new Error(`GPT config: act_fn must be one of ${ACT_FNS.join(", ")}, got ${JSON.stringify(cfg.act_fn)}`);
  if (!NORMS.includes(cfg.normalization_type)) throw new Error(`GPT config: normalization_type must be "LN", "RMS", "LNPre", "RMSPre" or null, got ${JSON.stringify(cfg.normalization_type)}`);
  if (!POS.includes(cfg.positional_embedding_type)) throw new Error(`GPT config: positional_embedding_type must be one of ${POS.join(", ")}, got ${JSON.stringify(cfg.positional_embedding_type)}`);
  if (!(cfg.dropout >= 0 && cfg.dropout < 1)) throw new Error(`GPT config: dropout must be in [0, 1), got ${cfg.dropout}`);
  if (!(cfg.initializer_range > 0)) throw new Error(`GPT config: initializer_range must be positive, got ${cfg.initializer_range}`);
  if (!(cfg.eps > 0)) throw new Error(`GPT config: eps must be positive, got ${cfg.eps}`);
  if (cfg.positional_embedding_type === "rotary") {
    if (cfg.rotary_dim === 0) cfg.rotary_dim = cfg.d_head;
    if (cfg.rotary_dim % 2 !== 0 || cfg.rotary_dim > cfg.d_head) throw new Error(`GPT config: rotary_dim must be even and ≤ d_head (${cfg.d_head}), got ${cfg.rotary_dim}`);
  }
  if (cfg.positional_embedding_type === "abacus") {
    if (!Array.isArray(cfg.abacus_digit_ids) || cfg.abacus_digit_ids.length === 0) throw new Error("GPT config: abacus positions need abacus_digit_ids (the token ids of the digits)");
    for (const id of cfg.abacus_digit_ids) posInt("abacus_digit_ids", id, 0);
    posInt("abacus_max_digits", cfg.abacus_max_digits);
  }
  if (cfg.attn_types !== null) {
    if (!Array.isArray(cfg.attn_types) || cfg.attn_types.length !== cfg.n_layers || cfg.attn_types.some((t) => t !== "global" && t !== "local")) {
      throw new Error(`GPT config: attn_types must be null or a list of n_layers (${cfg.n_layers}) entries "global" or "local", got ${JSON.stringify(cfg.attn_types)}`);
    }
    if (cfg.attn_types.includes("local")) posInt("window_size", cfg.window_size);
  }
  if (cfg.window_size !== null) posInt("window_size", cfg.window_size);
  if (typeof cfg.use_attn_scale !== "boolean") throw new Error(`GPT config: use_attn_scale must be true or false, got ${JSON.stringify(cfg.use_attn_scale)}`);
  if (cfg.attn_scale === -1) cfg.attn_scale = Math.sqrt(cfg.d_head);
  if (typeof cfg.attn_scale !== "number" || !(cfg.attn_scale > 0) || !Number.isFinite(cfg.attn_scale)) throw new Error(`GPT config: attn_scale must be a positive number (or −1 for √d_head), got ${JSON.stringify(cfg.attn_scale)}`);
  if (cfg.n_key_value_heads !== null) {
    posInt("n_key_value_heads", cfg.n_key_value_heads);
    if (cfg.n_heads % cfg.n_key_value_heads !== 0) throw new Error(`GPT config: n_heads (${cfg.n_heads}) must be a multiple of n_key_value_heads (${cfg.n_key_value_heads})`);
  }
  for (const f of ["parallel_attn_mlp", "gated_mlp"] as const) {
    if (typeof cfg[f] !== "boolean") throw new Error(`GPT config: ${f} must be true or false, got ${JSON.stringify(cfg[f])}`);
  }
  if (cfg.parallel_attn_mlp && cfg.attn_only) throw new Error("GPT config: parallel_attn_mlp needs an MLP, but attn_only is set");
  posInt("seed", cfg.seed, 0);
  return cfg;
}
