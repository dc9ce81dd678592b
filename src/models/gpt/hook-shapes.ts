// The shape of every hook point's activation on a batch of b sequences of p positions, from the
// config alone — so that a caller can bound what a runWithCache will hold before running it.
// Shape letters as in components.ts: b batch, p position, h head (g key/value heads with
// grouped-query attention), k d_head, d d_model, m d_mlp.
//   hook_embed, hook_pos_embed, resid_*, attn_out, mlp_out, ln*.hook_normalized   (b, p, d)
//   ln*.hook_scale                                                               (b, p, 1)
//   attn.hook_q, hook_rot_q, hook_z      (b, p, h, k)      attn.hook_k, hook_v, hook_rot_k  (b, p, g, k)
//   attn.hook_attn_scores, hook_pattern  (b, h, p, p)      attn.hook_result                 (b, p, h, d)
//   mlp.hook_pre, hook_pre_linear, hook_post                                     (b, p, m)
// Some hook points exist on every model but never run on some architectures: hook_pos_embed
// without an added position embedding (rotary, ALiBi, none), resid_mid with parallel attention
// and MLP, the MLP's hooks (and ln2's) in an attention-only model. Their shape is null.
import type { GPTConfig } from "./config.js";

/** The activation shape of hook point `name` on (b, p) tokens; null when this model never runs it; undefined for a name that is no hook point of this shape table. */
export function hookShape(cfg: GPTConfig, name: string, b: number, p: number): number[] | null | undefined {
  const { d_model: d, n_heads: h, d_head: k, d_mlp: m } = cfg;
  const g = cfg.n_key_value_heads ?? h;
  if (name === "hook_embed") return [b, p, d];
  if (name === "hook_pos_embed") return ["standard", "sinusoidal", "abacus"].includes(cfg.positional_embedding_type) ? [b, p, d] : null;
  if (/^ln_final\.hook_scale$/.test(name)) return [b, p, 1];
  if (/^ln_final\.hook_normalized$/.test(name)) return [b, p, d];
  const block = /^blocks\.(\d+)\.(.+)$/.exec(name);
  if (!block || Number(block[1]) >= cfg.n_layers) return undefined;
  const rest = block[2];
  const noMlp = cfg.attn_only;
  switch (rest) {
    case "hook_resid_pre":
    case "hook_attn_out":
    case "hook_resid_post":
    case "ln1.hook_normalized":
      return [b, p, d];
    case "hook_resid_mid":
      return cfg.parallel_attn_mlp ? null : [b, p, d];
    case "ln1.hook_scale":
      return [b, p, 1];
    case "ln2.hook_scale":
      return noMlp ? null : [b, p, 1];
    case "ln2.hook_normalized":
    case "hook_mlp_out":
      return noMlp ? null : [b, p, d];
    case "attn.hook_q":
    case "attn.hook_rot_q":
    case "attn.hook_z":
      return [b, p, h, k];
    case "attn.hook_k":
    case "attn.hook_v":
    case "attn.hook_rot_k":
      return [b, p, g, k];
    case "attn.hook_attn_scores":
    case "attn.hook_pattern":
      return [b, h, p, p];
    case "attn.hook_result":
      return [b, p, h, d];
    case "mlp.hook_pre":
    case "mlp.hook_pre_linear":
    case "mlp.hook_post":
      return noMlp ? null : [b, p, m];
  }
  return undefined;
}
