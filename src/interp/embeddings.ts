// The geometry of embeddings: PCA / SVD of the token embedding W_E (d_vocab × d) and of the
// learned positional embedding W_pos (n_ctx × d), and the Fourier analysis of W_pos from the
// course notebook.
//
// PCA: center the rows (X − mean), take the thin SVD X_c = U S Vᵀ; the principal directions are
// the rows of Vᵀ, the variance along direction i is s_i² / (N − 1), and its share of the total
// is s_i² / Σ s_j² (explained variance ratio).
//
// Fourier: learned positional embeddings often come out as sinusoids of position (as if the
// model rediscovered the sinusoidal encoding). For each embedding dimension j the DFT over the
// N positions is  F_j(f) = Σ_p W_pos[p, j] e^{−2πi f p / N},  f = 0 … ⌊N/2⌋ cycles per N positions,
// and the power per frequency is P(f) = Σ_j |F_j(f)|² (f and N − f folded together). A smooth
// embedding puts its power at low f; a sinusoidal one at a few peaks.
import type { HookedTransformer } from "../models/gpt/model.js";
import type { Tensor } from "../tensor/tensor.js";
import { embedMatrix, posEmbedMatrix } from "./circuits.js";
import { type Matrix64, type MatrixInput, svd64, toMatrix64 } from "./factored.js";

export interface PcaResult {
  /** k × D: principal directions (unit rows), by decreasing variance. */
  components: Matrix64;
  /** Variance along each component: s² / (N − 1). */
  explainedVariance: Float64Array;
  /** Share of the total variance of each component. */
  explainedVarianceRatio: Float64Array;
  /** Cumulative share. */
  cumulativeRatio: Float64Array;
  singularValues: Float64Array;
  /** The column means subtracted (zeros when center is false). */
  mean: Float64Array;
  /** N × k: the rows' coordinates on the components. */
  projected: Matrix64;
}

/** PCA of the rows of X (N × D) through the thin SVD of the centered matrix; k components (default min(N, D)). */
export function pca(x: MatrixInput, opts: { k?: number; center?: boolean } = {}): PcaResult {
  const X = toMatrix64(x, "pca");
  const { rows: N, cols: D } = X;
  if (N < 2) throw new Error(`pca: need at least 2 rows, got ${N}`);
  const mean = new Float64Array(D);
  if (opts.center ?? true) {
    for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) mean[j] += X.data[i * D + j] / N;
    for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) X.data[i * D + j] -= mean[j];
  }
  const { U, S, V } = svd64(X);
  const r = S.length;
  const k = Math.min(opts.k ?? r, r);
  let total = 0;
  for (const s of S) total += s * s;
  const components = { rows: k, cols: D, data: new Float64Array(k * D) };
  for (let c = 0; c < k; c++) for (let j = 0; j < D; j++) components.data[c * D + j] = V.data[j * V.cols + c];
  const projected = { rows: N, cols: k, data: new Float64Array(N * k) };
  for (let i = 0; i < N; i++) for (let c = 0; c < k; c++) projected.data[i * k + c] = U.data[i * U.cols + c] * S[c];
  const explainedVariance = Float64Array.from({ length: k }, (_, c) => (S[c] * S[c]) / (N - 1));
  const explainedVarianceRatio = Float64Array.from({ length: k }, (_, c) => (total === 0 ? 0 : (S[c] * S[c]) / total));
  const cumulativeRatio = new Float64Array(k);
  explainedVarianceRatio.reduce((acc, v, c) => (cumulativeRatio[c] = acc + v), 0);
  return { components, explainedVariance, explainedVarianceRatio, cumulativeRatio, singularValues: S.slice(0, k), mean, projected };
}

/** PCA of a model's token embedding W_E or learned positional embedding W_pos. */
export function embeddingPca(model: HookedTransformer, which: "W_E" | "W_pos", opts: { k?: number; center?: boolean } = {}): PcaResult {
  if (which !== "W_E" && which !== "W_pos") throw new Error(`embeddingPca: which must be "W_E" or "W_pos", got ${JSON.stringify(which)}`);
  return pca(which === "W_E" ? embedMatrix(model) : posEmbedMatrix(model), opts);
}

/** Cosine similarity between every pair of rows (N × N), e.g. of positions in W_pos. */
export function cosineSimilarity(x: MatrixInput): number[][] {
  const X = toMatrix64(x, "cosineSimilarity");
  const { rows: N, cols: D } = X;
  const norms = Array.from({ length: N }, (_, i) => Math.hypot(...X.data.subarray(i * D, (i + 1) * D)) || 1);
  return Array.from({ length: N }, (_, i) =>
    Array.from({ length: N }, (_, j) => {
      let s = 0;
      for (let t = 0; t < D; t++) s += X.data[i * D + t] * X.data[j * D + t];
      return s / (norms[i] * norms[j]);
    }),
  );
}

export interface FourierResult {
  /** Frequencies 0 … ⌊N/2⌋ in cycles per N positions. */
  frequencies: number[];
  /** Σ_j |F_j(f)|² per frequency (f and N − f folded). */
  power: number[];
  /** power / Σ power. */
  powerFraction: number[];
  /** The strongest frequency of each embedding dimension. */
  dominantFrequency: number[];
  /** Frequencies sorted by power, strongest first. */
  topFrequencies: number[];
  /** Share of the (non-DC) power in frequencies 1 … ⌊N/8⌋: near 1 for smooth embeddings. */
  lowFrequencyFraction: number;
  /** |F_j(f)|² per [dimension][frequency], for a heatmap. */
  spectrum: number[][];
}

/**
 * The DFT over positions of every column of a positional embedding (N positions × D), the
 * Fourier view of the course notebook. With removeMean (default true) each dimension's mean
 * over positions is subtracted first, so the DC term is 0.
 */
export function positionalFourier(wpos: MatrixInput | HookedTransformer, opts: { removeMean?: boolean } = {}): FourierResult {
  const W = isModel(wpos) ? posEmbedMatrix(wpos) : toMatrix64(wpos as MatrixInput, "positionalFourier");
  const { rows: N, cols: D } = W;
  if (N < 2) throw new Error(`positionalFourier: need at least 2 positions, got ${N}`);
  const F = Math.floor(N / 2);
  const spectrum: number[][] = [];
  for (let j = 0; j < D; j++) {
    let mean = 0;
    if (opts.removeMean ?? true) {
      for (let p = 0; p < N; p++) mean += W.data[p * D + j];
      mean /= N;
    }
    const row: number[] = [];
    for (let f = 0; f <= F; f++) {
      let re = 0;
      let im = 0;
      for (let p = 0; p < N; p++) {
        const v = W.data[p * D + j] - mean;
        const a = (-2 * Math.PI * f * p) / N;
        re += v * Math.cos(a);
        im += v * Math.sin(a);
      }
      // fold the mirror frequency N − f (same magnitude for real input), except DC and Nyquist
      const fold = f === 0 || (N % 2 === 0 && f === F) ? 1 : 2;
      row.push(fold * (re * re + im * im));
    }
    spectrum.push(row);
  }
  const power = Array.from({ length: F + 1 }, (_, f) => spectrum.reduce((s, row) => s + row[f], 0));
  const total = power.reduce((a, b) => a + b, 0);
  const nonDc = total - power[0];
  const low = power.slice(1, Math.max(2, Math.floor(N / 8) + 1)).reduce((a, b) => a + b, 0);
  return {
    frequencies: power.map((_, f) => f),
    power,
    powerFraction: power.map((p) => (total === 0 ? 0 : p / total)),
    dominantFrequency: spectrum.map((row) => row.reduce((best, v, f) => (v > row[best] ? f : best), 0)),
    topFrequencies: power.map((_, f) => f).sort((a, b) => power[b] - power[a]),
    lowFrequencyFraction: nonDc === 0 ? 0 : low / nonDc,
    spectrum,
  };
}

function isModel(x: unknown): x is HookedTransformer {
  return typeof x === "object" && x !== null && "cfg" in x && "blocks" in x;
}

/** A tensor's rows as nested arrays (convenience for plots). */
export function rowsOf(t: Tensor | Matrix64): number[][] {
  const m = toMatrix64(t as MatrixInput);
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}
