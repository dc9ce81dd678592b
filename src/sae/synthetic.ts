// Activations with a known answer: x = Σ_i a_i d_i for a fixed dictionary of unit directions d_i
// (more of them than dimensions: superposition), each feature active independently with a small
// probability, with a random magnitude. An SAE trained on these should recover the d_i as its
// decoder rows (Sharkey et al. 2022, "Taking features out of superposition with sparse
// autoencoders"); `dictionaryRecovery` measures how well.
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";

/** Anything that hands out batches of activations (n, d_in) for SAE training. */
export interface ActivationSource {
  readonly dIn: number;
  /** The next n activations as a float32 (n, d_in) tensor, without gradients. */
  next(n: number): Tensor;
}

export interface SyntheticOptions {
  /** Number of true features (the dictionary size). */
  nFeatures: number;
  dIn: number;
  /** Probability that a feature is active in a sample (default 0.01·… see below). */
  featureProbability?: number;
  /** Magnitudes are U(0, 1)·scale (default scale 1). */
  scale?: number;
  seed?: number;
}

export class SyntheticFeatures implements ActivationSource {
  readonly dIn: number;
  readonly nFeatures: number;
  readonly p: number;
  /** The true dictionary: nFeatures unit rows of length dIn (row-major). */
  readonly dictionary: Float32Array;
  private readonly gen: () => number;
  private readonly scale: number;

  constructor(opts: SyntheticOptions) {
    const { nFeatures, dIn } = opts;
    for (const [name, v] of [["nFeatures", nFeatures], ["dIn", dIn]] as const) {
      if (!(Number.isSafeInteger(v) && v > 0)) throw new Error(`SyntheticFeatures: ${name} must be a positive integer, got ${v}`);
    }
    this.dIn = dIn;
    this.nFeatures = nFeatures;
    // by default about 5 features per sample, whatever the dictionary size
    this.p = opts.featureProbability ?? Math.min(1, 5 / nFeatures);
    if (!(this.p > 0 && this.p <= 1)) throw new Error(`SyntheticFeatures: featureProbability must be in (0, 1], got ${this.p}`);
    this.scale = opts.scale ?? 1;
    const g = new Generator(opts.seed ?? 0);
    this.gen = () => g.random();
    const gaussian = () => g.normal();
    // random unit directions: Gaussian rows, normalised
    this.dictionary = new Float32Array(nFeatures * dIn);
    for (let i = 0; i < nFeatures; i++) {
      let norm = 0;
      for (let j = 0; j < dIn; j++) {
        const v = gaussian();
        this.dictionary[i * dIn + j] = v;
        norm += v * v;
      }
      norm = Math.sqrt(norm);
      for (let j = 0; j < dIn; j++) this.dictionary[i * dIn + j] /= norm;
    }
  }

  next(n: number): Tensor {
    const x = new Float32Array(n * this.dIn);
    const { dIn, dictionary } = this;
    for (let s = 0; s < n; s++) {
      for (let i = 0; i < this.nFeatures; i++) {
        if (this.gen() >= this.p) continue;
        const a = this.gen() * this.scale;
        for (let j = 0; j < dIn; j++) x[s * dIn + j] += a * dictionary[i * dIn + j];
      }
    }
    return tensor(x, { shape: [n, dIn] });
  }
}

/**
 * How well decoder rows recover a known dictionary: for each true feature, the largest cosine
 * similarity with any decoder row; reported as the mean over features (Sharkey et al.'s "mean max
 * cosine similarity", MMCS) and the fraction above 0.9.
 */
export function dictionaryRecovery(W_dec: Tensor, dictionary: Float32Array, nFeatures: number): { mmcs: number; recovered: number; perFeature: Float32Array } {
  const dIn = W_dec.shape[1];
  if (dictionary.length !== nFeatures * dIn) throw new Error(`dictionaryRecovery: the dictionary has ${dictionary.length} values, expected ${nFeatures} × ${dIn}`);
  const best = noGrad(() =>
    tidy(() => {
      const rows = W_dec.detach().to("float32");
      const unit = rows.div(rows.norm(2, 1, true).add(1e-12));
      const cos = tensor(dictionary, { shape: [nFeatures, dIn] }).matmul(unit.mT); // (features, d_sae)
      return Float32Array.from(cos.amax(1).dataSync());
    }),
  );
  let sum = 0;
  let hit = 0;
  for (const c of best) {
    sum += c;
    if (c > 0.9) hit++;
  }
  return { mmcs: sum / nFeatures, recovered: hit / nFeatures, perFeature: best };
}
