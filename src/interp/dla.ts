// Direct logit attribution (DLA): how much each component writes, directly, to one logit.
// With the final LayerNorm's scale s frozen at its cached value (see cache.ts),
//   logit[t] − b_U[t] − b_ln·W_U[:, t] = Σ_components ((x_c − mean x_c)/s) · (w_ln ⊙ W_U[:, t]),
// the components being embed, pos_embed and every attn_out / mlp_out (decomposeResid), or the
// individual heads' results (stackHeadResults: attn_out[l] = Σ_h result[l, h] + b_O[l]).
// For a logit difference t − u the direction is the difference of the two directions.
import type { HookedTransformer } from "../models/gpt/model.js";
import { noGrad } from "../tensor/autograd.js";
import type { Tensor } from "../tensor/tensor.js";
import type { ActivationCache } from "./cache.js";
import { residualConstant } from "./cache.js";

export interface Attribution {
  labels: string[];
  values: number[];
}

export interface DlaOptions {
  /** The token whose logit is explained (default: the model's top prediction at `pos`). */
  target?: number;
  /** Explain the logit difference target − incorrect instead. */
  incorrect?: number;
  /** The position (default −1, the last). */
  pos?: number;
}

export interface DlaResult {
  tokens: number[];
  pos: number;
  target: number;
  incorrect?: number;
  /** The model's logit of target (or target − incorrect) at pos. */
  logit: number;
  /** What no component owns: b_U[t] + b_ln·W_U[:, t] (or their differences). */
  constant: number;
  /** embed, pos_embed, 0_attn_out, 0_mlp_out, …: these plus `constant` sum to `logit`. */
  components: Attribution;
  /** L0H0, L0H1, …: each head's direct effect (attn_out also holds b_O, not in any head). */
  heads: Attribution;
}

/** The hook points DLA reads. */
export function dlaHookNames(model: HookedTransformer): string[] {
  const names = ["hook_embed", "hook_pos_embed", "ln_final.hook_scale"];
  model.blocks.forEach((b, l) => {
    names.push(`blocks.${l}.hook_attn_out`, `blocks.${l}.attn.hook_z`);
    if (b.mlp) names.push(`blocks.${l}.hook_mlp_out`);
  });
  const known = model.hookPoints();
  return names.filter((n) => known.has(n));
}

function resolvePos(cache: ActivationCache, pos: number): number {
  const p = cache.get("hook_embed").shape[cache.hasBatchDim ? 1 : 0];
  const i = pos < 0 ? pos + p : pos;
  if (!(Number.isInteger(i) && i >= 0 && i < p)) throw new Error(`pos ${pos} is out of range for ${p} positions`);
  return i;
}

/** Values of a (n, b) or (n) attribution for batch row 0. */
function firstRow(t: Tensor): number[] {
  return Array.from((t.ndim === 2 ? t.select(1, 0) : t).contiguous().dataSync(), Number);
}

/** Per component (embed, pos_embed, each attn_out and mlp_out) at one position of batch row 0. */
export function componentAttribution(cache: ActivationCache, target: number, incorrect?: number, pos = -1): Attribution {
  const p = resolvePos(cache, pos);
  return noGrad(() => {
    const [stack, labels] = cache.decomposeResid(undefined, { posSlice: p, returnLabels: true });
    return { labels, values: firstRow(cache.logitAttrs(stack, target, incorrect, { posSlice: p })) };
  });
}

/** Per head (L{l}H{h}) at one position of batch row 0. */
export function headAttribution(cache: ActivationCache, target: number, incorrect?: number, pos = -1): Attribution {
  const p = resolvePos(cache, pos);
  return noGrad(() => {
    const [stack, labels] = cache.stackHeadResults(undefined, { posSlice: p, returnLabels: true });
    return { labels, values: firstRow(cache.logitAttrs(stack, target, incorrect, { posSlice: p })) };
  });
}

/** Direct logit attribution for one sequence: per component and per head, with the logit they add up to. */
export function directLogitAttribution(model: HookedTransformer, tokens: readonly number[], opts: DlaOptions = {}): DlaResult {
  if (tokens.length === 0) throw new Error("directLogitAttribution: no tokens");
  const { logits, cache } = model.runWithCache([[...tokens]], { namesFilter: dlaHookNames(model) });
  try {
    const pos = resolvePos(cache, opts.pos ?? -1);
    const row = Array.from(logits.select(0, 0).select(0, pos).dataSync(), Number);
    const target = opts.target ?? row.indexOf(Math.max(...row));
    for (const [name, t] of [["target", target], ["incorrect", opts.incorrect]] as const) {
      if (t !== undefined && !(Number.isInteger(t) && t >= 0 && t < model.cfg.d_vocab)) throw new Error(`${name} token ${t} is outside the vocabulary [0, ${model.cfg.d_vocab})`);
    }
    const logit = row[target] - (opts.incorrect !== undefined ? row[opts.incorrect] : 0);
    return {
      tokens: [...tokens],
      pos,
      target,
      ...(opts.incorrect !== undefined ? { incorrect: opts.incorrect } : {}),
      logit,
      constant: residualConstant(model, target, opts.incorrect).item(),
      components: componentAttribution(cache, target, opts.incorrect, pos),
      heads: headAttribution(cache, target, opts.incorrect, pos),
    };
  } finally {
    cache.dispose();
  }
}
