// How good an SAE is, with the metrics SAELens reports (its `run_evals`):
//
//   L0                   mean number of latents active per token
//   MSE                  ‖x − x̂‖² per token (summed over d_in)
//   explained variance   1 − Σ‖x − x̂‖² / Σ‖x − x̄‖²   (fraction of variance explained, FVE)
//   CE loss recovered    splice x̂ in place of x at the hook and run the rest of the model:
//                        (CE_zero − CE_sae) / (CE_zero − CE_clean), with CE_zero the loss when the
//                        hook's activation is zero-ablated: 1 = as good as the model, 0 = as bad as
//                        deleting the activation
//   KL                   KL(clean next-token distribution ‖ spliced one), mean per token
//   density              per latent, the fraction of tokens it fires on: dead latents never fire,
//                        dense ones fire on more than 10 % of tokens; the log₁₀-density histogram
//                        is the standard picture of an SAE's health
//
// Positions holding BOS (or other excluded tokens) are left as they are and not counted, as in
// training (store.ts).
import type { HookedTransformer } from "../models/gpt/model.js";
import { markScopeSafe } from "../models/gpt/hooks.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { stack } from "../tensor/ops/shape.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import type { SparseAutoencoder } from "./sae.js";
import { windowChunks } from "./windows.js";

export interface SaeEvalOptions {
  /** Token windows (rows × positions) to evaluate on. */
  windows: readonly (readonly number[])[] | Int32Array[];
  /** Tokens whose positions are left alone and not counted (e.g. BOS). */
  excludeTokens?: readonly number[];
  /** For hooks with a head axis: the head the SAE reads. */
  headIndex?: number;
  /** Windows per forward pass (default: ~2048 tokens' worth, fewer for a large vocabulary). */
  windowsPerForward?: number;
  /** Density above which a latent counts as dense (default 0.1). */
  denseThreshold?: number;
}

export interface SaeEvalResult {
  tokens: number;
  l0: number;
  mse: number;
  explainedVariance: number;
  ceLossClean: number;
  ceLossWithSae: number;
  ceLossZeroAblation: number;
  ceLossRecovered: number;
  klDivWithSae: number;
  /** Fraction of the evaluated tokens each latent fired on (d_sae). */
  density: Float64Array;
  deadLatents: number;
  denseLatents: number;
  /** log₁₀ density histogram: bin edges (length bins + 1) and counts; dead latents counted apart. */
  densityHistogram: { edges: number[]; counts: number[]; dead: number };
}

/** The SAE's metrics on `windows` (see the header). No gradients; the model in eval mode. */
export function evaluateSae(model: HookedTransformer, sae: SparseAutoencoder, opts: SaeEvalOptions): SaeEvalResult {
  const hook = sae.cfg.hook_name;
  if (!hook) throw new Error("evaluateSae: the SAE's hook_name is empty; set it to the hook it was trained on");
  model.hookPoint(hook);
  const rows = opts.windows.map((w) => Int32Array.from(w));
  if (rows.length === 0) throw new Error("evaluateSae: no windows to evaluate on");
  const len = rows[0].length;
  if (len < 2 || rows.some((r) => r.length !== len)) throw new Error("evaluateSae: windows must all have the same length ≥ 2");
  const excluded = new Set(opts.excludeTokens ?? []);
  // three runs' logits are alive at once: keep each under ~64 MB (GPT-2: ~330 tokens per forward)
  const perForward = opts.windowsPerForward ?? Math.max(1, Math.floor(Math.min(2048, 2 ** 24 / model.cfg.d_vocab) / len));
  const { d_sae, d_in } = sae.cfg;
  const fired = new Float64Array(d_sae);
  let tokens = 0;
  let l0 = 0;
  let sqErr = 0;
  // Σ‖x − x̄‖² = Σ‖x‖² − N‖x̄‖² (in float64)
  let sqNorm = 0;
  const sum = new Float64Array(d_in);
  let ce = { clean: 0, sae: 0, zero: 0, kl: 0, n: 0 };

  const was = model.training;
  model.eval();
  try {
    for (const { ids, count } of windowChunks(rows, len, perForward)) {
      const keepMask = Float32Array.from(ids, (t) => (excluded.has(t) ? 0 : 1));
      noGrad(() =>
        tidy(() => {
          const input = tensor(ids, { shape: [count, len], dtype: "int32" });
          const mask = tensor(keepMask, { shape: [count, len] });
          const clean = model.forward(input);
          const flatMask = mask.reshape([-1]);
          // the SAE's own numbers, read inside the hook (nothing of the forward is kept)
          const measure = (x: Tensor, f: Tensor, xHat: Tensor) => {
            const X = x.reshape([-1, d_in]);
            const active = f.reshape([-1, d_sae]).gt(0).to("float32");
            const fires = active.mul(flatMask.unsqueeze(1)).sum(0).dataSync();
            for (let i = 0; i < d_sae; i++) fired[i] += fires[i];
            l0 += active.sum(-1).mul(flatMask).sum().item();
            sqErr += X.sub(xHat.reshape([-1, d_in])).square().sum(-1).mul(flatMask).sum().item();
            sqNorm += X.square().sum(-1).mul(flatMask).sum().item();
            const colSum = X.mul(flatMask.unsqueeze(1)).sum(0).dataSync();
            for (let j = 0; j < d_in; j++) sum[j] += colSum[j];
          };
          // splice: the SAE's reconstruction (or zeros) at the kept positions, the rest untouched
          const splice = (zero: boolean) =>
            markScopeSafe((act: Tensor) => {
              const x = headSlice(act, opts.headIndex);
              let replacement: Tensor;
              if (zero) replacement = x.zerosLike();
              else {
                const out = sae.run(x);
                replacement = out.reconstruction;
                measure(x, out.featureActs, replacement);
              }
              const m = mask.reshape([...mask.shape, ...x.shape.slice(2).map(() => 1)]);
              return withHead(act, x.mul(m.neg().add(1)).add(replacement.mul(m)), opts.headIndex);
            });
          const spliced = model.runWithHooks(input, { fwdHooks: [[hook, splice(false)]] });
          const zeroed = model.runWithHooks(input, { fwdHooks: [[hook, splice(true)]] });
          const losses = [clean, spliced, zeroed].map((logits) => nextTokenLoss(logits, input, mask));
          const kl = klPerToken(clean, spliced, mask);
          ce = { clean: ce.clean + losses[0].sum, sae: ce.sae + losses[1].sum, zero: ce.zero + losses[2].sum, kl: ce.kl + kl, n: ce.n + losses[0].n };
          tokens += keepMask.reduce((a, b) => a + b, 0);
        }),
      );
    }
  } finally {
    model.train(was);
  }
  if (tokens === 0) throw new Error("evaluateSae: every position is an excluded token");
  let meanSq = 0;
  for (let j = 0; j < d_in; j++) meanSq += (sum[j] / tokens) ** 2;
  const variance = sqNorm - tokens * meanSq;
  const density = Float64Array.from(fired, (c) => c / tokens);
  const denseThreshold = opts.denseThreshold ?? 0.1;
  const [clean, withSae, zero] = [ce.clean / ce.n, ce.sae / ce.n, ce.zero / ce.n];
  return {
    tokens,
    l0: l0 / tokens,
    mse: sqErr / tokens,
    explainedVariance: variance > 0 ? 1 - sqErr / variance : NaN,
    ceLossClean: clean,
    ceLossWithSae: withSae,
    ceLossZeroAblation: zero,
    ceLossRecovered: zero !== clean ? (zero - withSae) / (zero - clean) : NaN,
    klDivWithSae: ce.kl / ce.n,
    density,
    deadLatents: density.filter((d) => d === 0).length,
    denseLatents: density.filter((d) => d > denseThreshold).length,
    densityHistogram: densityHistogram(density),
  };
}

/** One head's slice of a (b, p, h, k) activation, or the activation itself. */
function headSlice(act: Tensor, head: number | undefined): Tensor {
  if (head === undefined) return act;
  if (act.ndim !== 4) throw new Error(`evaluateSae: headIndex given, but the hook's activation has shape [${act.shape}]`);
  if (!(Number.isInteger(head) && head >= 0 && head < act.shape[2])) throw new Error(`evaluateSae: headIndex ${head} is out of range [0, ${act.shape[2]})`);
  return act.select(2, head);
}

/** The activation with one head's slice replaced (or the replacement itself). */
function withHead(act: Tensor, slice: Tensor, head: number | undefined): Tensor {
  if (head === undefined) return slice;
  return stack(Array.from({ length: act.shape[2] }, (_, h) => (h === head ? slice : act.select(2, h))), 2);
}

/** Σ and count of next-token cross-entropy over positions whose target is kept (mask 1). */
function nextTokenLoss(logits: Tensor, tokens: Tensor, mask: Tensor): { sum: number; n: number } {
  const [, p, v] = logits.shape;
  const logp = logits.narrow(1, 0, p - 1).logSoftmax(-1).reshape([-1, v]);
  const target = tokens.narrow(1, 1, p - 1).reshape([-1, 1]);
  const m = mask.narrow(1, 1, p - 1).reshape([-1]);
  const nll = logp.gather(1, target).reshape([-1]).neg();
  return { sum: nll.mul(m).sum().item(), n: m.sum().item() };
}

/** Σ over kept predicting positions of KL(p_clean ‖ p_spliced). */
function klPerToken(clean: Tensor, spliced: Tensor, mask: Tensor): number {
  const p = clean.shape[1];
  const lp = clean.narrow(1, 0, p - 1).logSoftmax(-1);
  const lq = spliced.narrow(1, 0, p - 1).logSoftmax(-1);
  const m = mask.narrow(1, 1, p - 1);
  return lp.exp().mul(lp.sub(lq)).sum(-1).mul(m).sum().item();
}

/** Histogram of log₁₀ density over [-8, 0] in bins of 0.25 (dead latents counted apart). */
export function densityHistogram(density: ArrayLike<number>, lo = -8, hi = 0, width = 0.25): { edges: number[]; counts: number[]; dead: number } {
  const bins = Math.round((hi - lo) / width);
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  const counts = new Array<number>(bins).fill(0);
  let dead = 0;
  for (let i = 0; i < density.length; i++) {
    const d = density[i];
    if (d <= 0) {
      dead++;
      continue;
    }
    const b = Math.min(bins - 1, Math.max(0, Math.floor((Math.log10(d) - lo) / width)));
    counts[b]++;
  }
  return { edges, counts, dead };
}
