// Does an SAE find the features? On activations built from a known sparse dictionary
// (src/sae/synthetic.ts: 256 unit directions in 64 dimensions, about 5 active per sample) the
// answer can be measured: each true direction's best cosine similarity with a decoder row (mean
// max cosine similarity, Sharkey et al. 2022). This sweep trains one SAE per sparsity setting —
// k for TopK, the coefficient λ for the others — and reports recovery beside the usual
// reconstruction metrics, which shows the trade-off the real-model runs cannot: too little
// sparsity (large k, small λ) reconstructs best while its latents are mixtures of features;
// too much leaves features unrepresented, and latents die.
import { noGrad } from "../tensor/autograd.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { type SaeArchitecture, SparseAutoencoder } from "../sae/sae.js";
import { SyntheticFeatures, dictionaryRecovery } from "../sae/synthetic.js";
import { trainSae } from "../sae/train.js";

export interface DictionarySweepOptions {
  architecture: SaeArchitecture;
  /** The settings swept: k for topk, λ (the sparsity coefficient) for the others. */
  values: readonly number[];
  /** True features (default 256), their dimension (64), SAE latents (2 × nFeatures). */
  nFeatures?: number;
  dIn?: number;
  dSae?: number;
  /** Probability that a feature is active in a sample (default 5 / nFeatures). */
  featureProbability?: number;
  steps?: number;
  batchSize?: number;
  lr?: number;
  /** JumpReLU: the thresholds' starting value (default 0.1). */
  initThreshold?: number;
  /** Seeds the dictionary and its samples (the same for every run), and the SAEs' weights. */
  seed?: number;
  /** Samples of held-out activations the metrics are measured on (default 8192). */
  evalSamples?: number;
  /** Called after each training step of each run. */
  onProgress?: (run: number, step: number, steps: number) => void;
}

export interface DictionarySweepRow {
  /** k or λ. */
  value: number;
  /** Mean over true features of the best cosine similarity with a decoder row. */
  mmcs: number;
  /** Fraction of true features with a decoder row at cosine similarity > 0.9. */
  recovered: number;
  /** On held-out samples: latents active per sample, explained variance, latents that never fired. */
  l0: number;
  explainedVariance: number;
  dead: number;
  seconds: number;
}

export interface DictionarySweepResult {
  architecture: SaeArchitecture;
  /** "k" or "λ": what `value` is. */
  parameter: "k" | "λ";
  nFeatures: number;
  dIn: number;
  dSae: number;
  featureProbability: number;
  steps: number;
  rows: DictionarySweepRow[];
}

/** The defaults: 1000 steps of 1024 samples, lr 3e-3 — about 10–25 s per run here. */
export const DICTIONARY_SWEEP_DEFAULTS = { nFeatures: 256, dIn: 64, steps: 1000, batchSize: 1024, lr: 3e-3, seed: 1, evalSamples: 8192 } as const;

/** Default sweeps: around the true number of active features (5) for k, around a good λ for the rest. */
export const DICTIONARY_SWEEP_VALUES: Record<SaeArchitecture, number[]> = {
  topk: [2, 5, 10, 20, 40],
  standard: [0.03, 0.1, 0.3, 1, 3],
  gated: [0.1, 0.3, 1, 3],
  jumprelu: [0.01, 0.03, 0.1, 0.3],
};

export function dictionarySweep(opts: DictionarySweepOptions): DictionarySweepResult {
  const D = DICTIONARY_SWEEP_DEFAULTS;
  const { architecture } = opts;
  const nFeatures = opts.nFeatures ?? D.nFeatures;
  const dIn = opts.dIn ?? D.dIn;
  const dSae = opts.dSae ?? 2 * nFeatures;
  const steps = opts.steps ?? D.steps;
  const seed = opts.seed ?? D.seed;
  const evalSamples = opts.evalSamples ?? D.evalSamples;
  if (opts.values.length === 0) throw new Error("dictionarySweep: values is empty: give at least one k or λ");
  for (const v of opts.values) {
    const ok = architecture === "topk" ? Number.isSafeInteger(v) && v > 0 && v <= dSae : Number.isFinite(v) && v >= 0;
    if (!ok) throw new Error(`dictionarySweep: ${architecture === "topk" ? `k must be an integer in [1, d_sae = ${dSae}]` : "λ must be a number ≥ 0"}, got ${v}`);
  }
  const rows: DictionarySweepRow[] = [];
  let featureProbability = 0;
  opts.values.forEach((value, run) => {
    const t0 = performance.now();
    // the same dictionary and the same stream of samples for every run: only the setting differs
    const source = new SyntheticFeatures({ nFeatures, dIn, featureProbability: opts.featureProbability, seed });
    featureProbability = source.p;
    const sae = new SparseAutoencoder({ d_in: dIn, d_sae: dSae, architecture, ...(architecture === "topk" ? { k: value } : {}), seed: seed + 1 });
    trainSae(sae, source, {
      steps,
      batchSize: opts.batchSize ?? D.batchSize,
      lr: opts.lr ?? D.lr,
      ...(architecture === "topk" ? {} : { sparsityCoefficient: value }),
      ...(architecture === "jumprelu" ? { initThreshold: opts.initThreshold ?? 0.1 } : {}),
      logEvery: 1,
      onLog: (m) => opts.onProgress?.(run, m.step, steps),
    });
    const { mmcs, recovered } = dictionaryRecovery(sae.W_dec, source.dictionary, nFeatures);
    rows.push({ value, mmcs, recovered, ...heldOut(sae, source.next(evalSamples)), seconds: (performance.now() - t0) / 1000 });
  });
  return { architecture, parameter: architecture === "topk" ? "k" : "λ", nFeatures, dIn, dSae, featureProbability, steps, rows };
}

/** L0, explained variance and never-firing latents of `sae` on the samples x (which it frees). */
function heldOut(sae: SparseAutoencoder, x: Tensor): { l0: number; explainedVariance: number; dead: number } {
  try {
    return noGrad(() =>
      tidy(() => {
        const { featureActs, reconstruction } = sae.run(x);
        const active = featureActs.gt(0);
        const l0 = active.sum(1).to("float32").mean().item();
        const fired = active.sum(0).dataSync();
        let dead = 0;
        for (const c of fired) if (c === 0) dead++;
        const residual = x.sub(reconstruction).square().sum().item();
        const total = x.sub(x.mean(0, true)).square().sum().item();
        return { l0, explainedVariance: 1 - residual / total, dead };
      }),
    );
  } finally {
    x.dispose();
  }
}
