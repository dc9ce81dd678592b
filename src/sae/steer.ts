// Interventions on one SAE latent while the model runs: what the latent *does*, where the
// dashboard (features.ts) shows what it *responds to*. Each is a forward hook at the SAE's hook
// that moves the activation x along the latent's decoder direction d_i = W_dec[i] (divided by the
// SAE's input scaling, so it is in the hook's units):
//
//   add (steering)   x' = x + α d_i                  (Turner et al. 2023's activation addition,
//                                                     with an SAE latent as the vector)
//   ablate           x' = x − f_i(x) d_i
//   clamp            x' = x + (c − f_i(x)) d_i       (Templeton et al. 2024's feature clamping)
//
// Ablating and clamping keep the SAE's error term. The SAE writes x = x̂ + e with x̂ = f W_dec + b_dec
// its reconstruction and e = x − x̂ what it misses. Splicing x̂ with f_i changed would also delete e
// (the SAE's whole reconstruction error, often a large change on its own); splicing x̂' + e instead,
// with x̂' = x̂ + (c − f_i) d_i, changes only latent i's contribution:
//   x̂' + e = x̂ + (c − f_i) d_i + x − x̂ = x + (c − f_i) d_i,
// which is what the hook computes (without forming x̂ or e). So when latent i is not active
// (f_i = 0) ablation leaves x exactly as it was, and every other latent's reading is untouched
// as far as the SAE's own code goes (though layers after the hook see the change).
//
// Positions: all of them, or chosen absolute token positions of the sequence. During generation
// with a KV cache a forward pass sees only the newest position(s), so the hook is told where the
// pass starts (positionOffset).
import { generate, type GenerateOptions } from "../models/gpt/generate.js";
import { type HookFn, markScopeSafe } from "../models/gpt/hooks.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { stack } from "../tensor/ops/shape.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { hookStopLayer, saeInput } from "./features.js";
import type { SparseAutoencoder } from "./sae.js";

export const INTERVENTION_MODES = ["add", "ablate", "clamp"] as const;
export type InterventionMode = (typeof INTERVENTION_MODES)[number];

export interface Intervention {
  latent: number;
  mode: InterventionMode;
  /** add: α, the multiple of W_dec[i] added; clamp: the value f_i is set to; ablate: unused. */
  value?: number;
  /** Absolute token positions to change (default: every position). */
  positions?: readonly number[];
}

export interface InterventionHookOptions {
  /** For hooks with a head axis: the head the SAE reads (default: the SAE's hook_head_index). */
  headIndex?: number;
  /** The absolute position of the first of the p positions a forward pass sees (default 0). */
  positionOffset?: (p: number) => number;
}

/** Checks an intervention against the SAE; returns the value it uses (α or c; 0 for ablate). */
export function checkIntervention(sae: SparseAutoencoder, iv: Intervention): number {
  const { d_sae } = sae.cfg;
  if (!(Number.isInteger(iv.latent) && iv.latent >= 0 && iv.latent < d_sae)) throw new Error(`intervention: latent ${iv.latent} is out of range [0, ${d_sae})`);
  if (!INTERVENTION_MODES.includes(iv.mode)) throw new Error(`intervention: mode must be one of ${INTERVENTION_MODES.join(", ")}, got ${JSON.stringify(iv.mode)}`);
  if (iv.mode !== "ablate" && !Number.isFinite(iv.value)) throw new Error(`intervention: ${iv.mode} needs a finite value (${iv.mode === "add" ? "α" : "the clamped activation"}), got ${iv.value}`);
  for (const p of iv.positions ?? []) if (!(Number.isInteger(p) && p >= 0)) throw new Error(`intervention: positions must be integers ≥ 0, got ${p}`);
  return iv.mode === "ablate" ? 0 : iv.value!;
}

/** The forward hook that applies `iv` at the SAE's hook (see the header); it keeps no tensors. */
export function interventionHook(sae: SparseAutoencoder, iv: Intervention, opts: InterventionHookOptions = {}): HookFn {
  const value = checkIntervention(sae, iv);
  const head = opts.headIndex ?? sae.cfg.hook_head_index ?? undefined;
  const chosen = iv.positions ? new Set(iv.positions) : null;
  return markScopeSafe((act: Tensor) => {
    const x = saeInput(act, sae, head); // (b, p, d_in)
    const p = x.shape[1];
    // the multiple of d_i to add at each position: α, −f_i or c − f_i
    let coef: Tensor;
    if (iv.mode === "add") coef = x.narrow(-1, 0, 1).zerosLike().add(value);
    else {
      const fi = sae.encode(x).narrow(-1, iv.latent, 1); // (b, p, 1)
      coef = iv.mode === "ablate" ? fi.neg() : fi.neg().add(value);
    }
    if (chosen) {
      const start = opts.positionOffset?.(p) ?? 0;
      const mask = Float32Array.from({ length: p }, (_, j) => (chosen.has(start + j) ? 1 : 0));
      coef = coef.mul(tensor(mask, { shape: [1, p, 1] }));
    }
    let dir = sae.W_dec.select(0, iv.latent); // (d_in)
    if (sae.scalingFactor !== 1) dir = dir.div(sae.scalingFactor);
    const moved = x.add(coef.mul(dir));
    return restore(act, moved, head);
  });
}

/** The hook's activation with the SAE's view of it replaced (one head's slice, or the flattened heads). */
function restore(act: Tensor, x: Tensor, head: number | undefined): Tensor {
  if (head === undefined) return x.reshape(act.shape);
  const slice = x.reshape(act.select(2, head).shape);
  return stack(Array.from({ length: act.shape[2] }, (_, h) => (h === head ? slice : act.select(2, h))), 2);
}

/**
 * Continues `prompt` with the intervention active at every forward pass (null: none). With the
 * same options (and a fresh generator from the same seed) the two runs differ only by it.
 */
export function generateWithIntervention(model: HookedTransformer, sae: SparseAutoencoder, prompt: readonly number[], iv: Intervention | null, opts: GenerateOptions = {}): number[] {
  if (iv === null) return generate(model, prompt, opts);
  let length = prompt.length; // tokens in the sequence when the next forward pass runs
  const hook = interventionHook(sae, iv, { positionOffset: (p) => length - p });
  const remove = model.hookPoint(sae.cfg.hook_name).addHook(hook);
  try {
    return generate(model, prompt, {
      ...opts,
      onToken: (id) => {
        length++;
        opts.onToken?.(id);
      },
    });
  } finally {
    remove();
  }
}

export interface SteerGenerations {
  before: number[];
  after: number[];
}

/** The prompt continued without and with the intervention, each sampled from Generator(seed). */
export function steerGenerations(model: HookedTransformer, sae: SparseAutoencoder, prompt: readonly number[], iv: Intervention, opts: Omit<GenerateOptions, "generator"> & { seed?: number } = {}): SteerGenerations {
  const { seed = 0, ...rest } = opts;
  const before = generateWithIntervention(model, sae, prompt, null, { ...rest, generator: new Generator(seed) });
  const after = generateWithIntervention(model, sae, prompt, iv, { ...rest, generator: new Generator(seed) });
  return { before, after };
}

export interface TokenShift {
  token: number;
  /** Next-token probability without and with the intervention. */
  before: number;
  after: number;
}

export interface NextTokenEffect {
  /** KL(clean ‖ intervened) of the next-token distribution after the last token, in nats. */
  kl: number;
  /** The same, averaged over every position of the tokens. */
  meanKl: number;
  /** At the last position: the k tokens whose probability rose most, and the k that fell most. */
  gains: TokenShift[];
  losses: TokenShift[];
  /** The most likely next token without and with the intervention. */
  topBefore: number;
  topAfter: number;
}

/** How the intervention changes the next-token distribution on `tokens` (one sequence). */
export function nextTokenEffect(model: HookedTransformer, sae: SparseAutoencoder, tokens: readonly number[], iv: Intervention, k = 10): NextTokenEffect {
  if (tokens.length === 0) throw new Error("nextTokenEffect: no tokens");
  const hook = interventionHook(sae, iv);
  const logProbs = (hooked: boolean) =>
    noGrad(() =>
      tidy(() => {
        const input = [Array.from(tokens)];
        const was = model.training;
        model.eval();
        try {
          const logits = hooked ? model.runWithHooks(input, { fwdHooks: [[sae.cfg.hook_name, hook]] }) : model.forward(input);
          return logits.logSoftmax(-1).to("float64").dataSync() as Float64Array;
        } finally {
          model.train(was);
        }
      }),
    );
  const lp = logProbs(false);
  const lq = logProbs(true);
  const v = model.cfg.d_vocab;
  const p = tokens.length;
  const klAt = (t: number) => {
    let kl = 0;
    for (let j = t * v; j < (t + 1) * v; j++) if (lp[j] > -Infinity) kl += Math.exp(lp[j]) * (lp[j] - lq[j]);
    return Math.max(0, kl);
  };
  let sum = 0;
  for (let t = 0; t < p; t++) sum += klAt(t);
  const last = (p - 1) * v;
  const shifts = Array.from({ length: v }, (_, t): TokenShift => ({ token: t, before: Math.exp(lp[last + t]), after: Math.exp(lq[last + t]) }));
  const delta = (s: TokenShift) => s.after - s.before;
  const argmax = (a: Float64Array) => {
    let best = 0;
    for (let t = 1; t < v; t++) if (a[last + t] > a[last + best]) best = t;
    return best;
  };
  return {
    kl: klAt(p - 1),
    meanKl: sum / p,
    gains: [...shifts].sort((a, b) => delta(b) - delta(a)).slice(0, k).filter((s) => delta(s) > 0),
    losses: [...shifts].sort((a, b) => delta(a) - delta(b)).slice(0, k).filter((s) => delta(s) < 0),
    topBefore: argmax(lp),
    topAfter: argmax(lq),
  };
}

/** f_i at every position of one sequence (what the latent reads there, before any intervention). */
export function latentActivations(model: HookedTransformer, sae: SparseAutoencoder, tokens: readonly number[], latent: number): Float32Array {
  const hook = sae.cfg.hook_name;
  return noGrad(() =>
    tidy(() => {
      const act = model.runWithCache([Array.from(tokens)], { namesFilter: [hook], stopAtLayer: hookStopLayer(hook) }).cache.get(hook)!;
      return sae.encode(saeInput(act, sae, sae.cfg.hook_head_index ?? undefined)).select(-1, latent).reshape([-1]).dataSync() as Float32Array;
    }),
  );
}
