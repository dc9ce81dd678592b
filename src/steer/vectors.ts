// Steering vectors: directions in the residual stream read off the model's own activations on
// contrasting texts. Both methods below read blocks.L.hook_resid_pre, the residual stream as
// block L receives it (shape letters as in components.ts: p = position, d = d_model).
//
//   ActAdd (Turner et al. 2023, "Activation Addition"): two prompts, e.g. "Love" and "Hate".
//     Run each, take resid_pre at layer L, pad the shorter prompt (at its end, with a pad token
//     such as a space) so both have n positions:
//       v = h_L("Love") − h_L("Hate")                       (n, d): one row per position
//     Steering adds c·v[j] to position j of the user's prompt, j = 0 … n − 1.
//
//   CAA (Panickssery / Rimsky et al. 2023, "Contrastive Activation Addition"): many pairs
//     (positive_i, negative_i) that differ only in the behaviour, and the mean difference of
//     their residual streams at one position (the last token, where the answer is):
//       v = (1/N) Σ_i [ h_L(positive_i)[last] − h_L(negative_i)[last] ]      (d)
//     Steering adds c·v at every position (or every one from the end of the prompt on).
import { noGrad } from "../tensor/autograd.js";
import { stack } from "../tensor/ops/shape.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import type { HookedTransformer } from "../models/gpt/model.js";

/** The hook steering reads and writes at layer L: blocks.L.hook_resid_pre. */
export function residHook(model: HookedTransformer, layer: number): string {
  const n = model.cfg.n_layers;
  if (!(Number.isInteger(layer) && layer >= 0 && layer < n)) throw new Error(`layer ${layer} is out of range: the model has layers 0 to ${n - 1} (n_layers = ${n})`);
  return `blocks.${layer}.hook_resid_pre`;
}

/** resid_pre at `layer` for one token sequence: (p, d). Runs only blocks 0 … layer. */
export function residualAt(model: HookedTransformer, tokens: readonly number[], layer: number): Tensor {
  const hook = residHook(model, layer);
  if (tokens.length === 0) throw new Error("residualAt: the text has no tokens");
  return noGrad(() =>
    tidy(() => {
      const { cache } = model.runWithCache([Array.from(tokens)], { namesFilter: [hook], stopAtLayer: layer + 1 });
      return cache.get(hook)!.select(0, 0); // (p, d)
    }),
  );
}

export interface ActAddOptions {
  /** The token that pads the shorter prompt at its end (the paper pads with spaces); needed only when the lengths differ. */
  padToken?: number;
}

/** ActAdd's steering vector h_L(plus) − h_L(minus): (n, d), n = the longer prompt's length. */
export function actAddVector(model: HookedTransformer, plus: readonly number[], minus: readonly number[], layer: number, opts: ActAddOptions = {}): Tensor {
  if (plus.length === 0 || minus.length === 0) throw new Error(`actAddVector: the ${plus.length === 0 ? "plus" : "minus"} prompt has no tokens`);
  const n = Math.max(plus.length, minus.length);
  if (plus.length !== minus.length && opts.padToken === undefined) throw new Error(`actAddVector: the prompts have ${plus.length} and ${minus.length} tokens; give a padToken (e.g. a space) to pad the shorter one`);
  const pad = (t: readonly number[]) => [...t, ...Array<number>(n - t.length).fill(opts.padToken ?? 0)];
  return tidy(() => residualAt(model, pad(plus), layer).sub(residualAt(model, pad(minus), layer)));
}

/** One contrastive pair, as token ids. */
export interface ContrastPair {
  positive: readonly number[];
  negative: readonly number[];
}

export interface CaaOptions {
  /** Which position's residual each text contributes: its last token (the paper's answer token, default) or the mean over its tokens. */
  position?: "last" | "mean";
}

/** One text's residual at `layer`, reduced to a d-vector as `position` says. */
function readout(model: HookedTransformer, tokens: readonly number[], layer: number, position: "last" | "mean"): Tensor {
  return tidy(() => {
    const h = residualAt(model, tokens, layer); // (p, d)
    return position === "last" ? h.select(0, tokens.length - 1) : h.mean(0);
  });
}

/** CAA's steering vector: the mean over pairs of h_L(positive) − h_L(negative) at the last token (d). */
export function caaVector(model: HookedTransformer, pairs: readonly ContrastPair[], layer: number, opts: CaaOptions = {}): Tensor {
  const position = opts.position ?? "last";
  if (position !== "last" && position !== "mean") throw new Error(`caaVector: position must be "last" or "mean", got ${JSON.stringify(position)}`);
  if (pairs.length === 0) throw new Error("caaVector: no pairs");
  residHook(model, layer);
  pairs.forEach((pair, i) => {
    if (pair.positive.length === 0 || pair.negative.length === 0) throw new Error(`caaVector: pair ${i} has an empty ${pair.positive.length === 0 ? "positive" : "negative"} text`);
  });
  return tidy(() => stack(pairs.map((pair) => tidy(() => readout(model, pair.positive, layer, position).sub(readout(model, pair.negative, layer, position))))).mean(0));
}

/** r̂ = r / ‖r‖ (a direction to ablate); a zero or non-finite vector is an error. */
export function unitDirection(r: Tensor): Tensor {
  if (r.ndim !== 1) throw new Error(`a direction must be one vector (d_model), got shape [${r.shape}]`);
  const norm = tidy(() => r.to("float64").norm().item());
  if (!(norm > 0 && Number.isFinite(norm))) throw new Error(`a direction must have a finite, non-zero length, got ‖r‖ = ${norm}`);
  return r.div(norm);
}
