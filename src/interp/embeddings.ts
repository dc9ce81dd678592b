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
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { matmulT } from "../tensor/ops/linalg.js";
import { tidy } from "../tensor/scope.js";
import { Tensor } from "../tensor/tensor.js";
import { posEmbedMatrix } from "./circuits.js";
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

export interface PcaOptions {
  /** Number of components (default min(N, D)). */
  k?: number;
  /** Subtract the column means first (default true). */
  center?: boolean;
  /** "svd" of the centered data, or eigenvectors of the D × D "covariance"; default: covariance for large inputs. */
  method?: "svd" | "covariance";
}

/** PCA of the rows of X (N × D) through the thin SVD of the centered matrix (large X: its covariance); k components (default min(N, D)). */
export function pca(x: MatrixInput, opts: PcaOptions = {}): PcaResult {
  const [n, dim] = x instanceof Tensor ? x.shape : "rows" in x ? [x.rows, x.cols] : [x.length, x[0]?.length ?? 0];
  if (x instanceof Tensor && x.ndim !== 2) throw new Error(`pca: expected a 2-D tensor, got shape [${x.shape}]`);
  const large = n * dim >= COVARIANCE_MIN_SIZE && dim <= COVARIANCE_MAX_DIM;
  if (n >= 2 && (opts.method === "covariance" || (opts.method === undefined && large))) return pcaByCovariance(x, n, dim, opts);
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

// Above this many entries PCA goes through the D × D covariance instead of the SVD of the data.
const COVARIANCE_MIN_SIZE = 1 << 17;
const COVARIANCE_MAX_DIM = 2048;

/**
 * PCA of a large matrix (e.g. W_E, 50257 × 768) through its covariance: X_cᵀX_c = V S² Vᵀ, so
 * the principal directions are the eigenvectors of the D × D matrix X_cᵀX_c and the singular
 * values the square roots of its eigenvalues; the coordinates are X_c V. The two N-long products
 * run in float32 on the tensor backend (~100 GFLOP/s); the D × D eigenproblem in float64. Same
 * results as the SVD up to float32 rounding and the arbitrary sign of each component.
 */
function pcaByCovariance(x: MatrixInput, N: number, D: number, opts: PcaOptions): PcaResult {
  const data = x instanceof Tensor ? x.dataSync() : toMatrix64(x, "pca").data;
  const mean = new Float64Array(D);
  if (opts.center ?? true) {
    for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) mean[j] += data[i * D + j];
    for (let j = 0; j < D; j++) mean[j] /= N;
  }
  const Xc = new Float32Array(N * D);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) Xc[i * D + j] = data[i * D + j] - mean[j];
  return noGrad(() =>
    tidy(() => {
      const X = tensor(Xc, { shape: [N, D] });
      const cov = Float64Array.from(matmulT(X, X, true, false).dataSync());
      // symmetrise: the float32 product is symmetric only up to rounding
      for (let i = 0; i < D; i++) for (let j = 0; j < i; j++) cov[i * D + j] = cov[j * D + i] = (cov[i * D + j] + cov[j * D + i]) / 2;
      const { values, vectors } = symmetricEigen(cov, D);
      const r = Math.min(N, D);
      const k = Math.min(opts.k ?? r, r);
      const S = Float64Array.from({ length: r }, (_, c) => Math.sqrt(Math.max(0, values[c])));
      let total = 0;
      for (const s of S) total += s * s;
      const components = { rows: k, cols: D, data: new Float64Array(k * D) };
      for (let c = 0; c < k; c++) for (let j = 0; j < D; j++) components.data[c * D + j] = vectors[j * D + c];
      const proj = matmulT(X, tensor(Float32Array.from(components.data), { shape: [k, D] }), false, true).dataSync();
      const projected = { rows: N, cols: k, data: Float64Array.from(proj) };
      const explainedVariance = Float64Array.from({ length: k }, (_, c) => (S[c] * S[c]) / (N - 1));
      const explainedVarianceRatio = Float64Array.from({ length: k }, (_, c) => (total === 0 ? 0 : (S[c] * S[c]) / total));
      const cumulativeRatio = new Float64Array(k);
      explainedVarianceRatio.reduce((acc, v, c) => (cumulativeRatio[c] = acc + v), 0);
      return { components, explainedVariance, explainedVarianceRatio, cumulativeRatio, singularValues: S.slice(0, k), mean, projected };
    }),
  );
}

/** PCA of a model's token embedding W_E or learned positional embedding W_pos. */
export function embeddingPca(model: HookedTransformer, which: "W_E" | "W_pos", opts: PcaOptions = {}): PcaResult {
  if (which !== "W_E" && which !== "W_pos") throw new Error(`embeddingPca: which must be "W_E" or "W_pos", got ${JSON.stringify(which)}`);
  if (which === "W_pos" && !model.pos_embed) posEmbedMatrix(model); // throws: no learned positions
  return pca(which === "W_E" ? model.embed.W_E : model.pos_embed!.W_pos, opts);
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
  // e^{−2πi f p / N} depends only on f·p mod N: one table of N cosines and sines, not N·F calls
  const cos = Float64Array.from({ length: N }, (_, t) => Math.cos((2 * Math.PI * t) / N));
  const sin = Float64Array.from({ length: N }, (_, t) => -Math.sin((2 * Math.PI * t) / N));
  const column = new Float64Array(N);
  const spectrum: number[][] = [];
  for (let j = 0; j < D; j++) {
    let mean = 0;
    if (opts.removeMean ?? true) {
      for (let p = 0; p < N; p++) mean += W.data[p * D + j];
      mean /= N;
    }
    for (let p = 0; p < N; p++) column[p] = W.data[p * D + j] - mean;
    const row: number[] = [];
    for (let f = 0; f <= F; f++) {
      let re = 0;
      let im = 0;
      for (let p = 0, t = 0; p < N; p++) {
        re += column[p] * cos[t];
        im += column[p] * sin[t];
        t += f; // t = f·p mod N (f < N)
        if (t >= N) t -= N;
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

/**
 * Eigen-decomposition of a symmetric matrix (n × n, row-major): Householder reduction to
 * tridiagonal form, then the implicit QL iteration (EISPACK tred2 / tql2, as in JAMA). O(n³)
 * with small constants, so a 768 × 768 covariance takes about a second, where one-sided Jacobi
 * on the data matrix itself would take hours. Eigenvalues descending; vectors are the columns of V.
 */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const V = Array.from({ length: n }, (_, i) => Float64Array.from(a.subarray(i * n, (i + 1) * n)));
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  // tred2: Householder tridiagonalisation, accumulating the transformations in V
  for (let j = 0; j < n; j++) d[j] = V[n - 1][j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[i - 1][j];
        V[i][j] = 0;
        V[j][i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j][i] = f;
        g = e[j] + V[j][j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k][j] * d[k];
          e[k] += V[k][j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k][j] -= f * e[k] + g * d[k];
        d[j] = V[i - 1][j];
        V[i][j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[n - 1][i] = V[i][i];
    V[i][i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k][i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k][i + 1] * V[k][j];
        for (let k = 0; k <= i; k++) V[k][j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k][i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[n - 1][j];
    V[n - 1][j] = 0;
  }
  if (n > 0) V[n - 1][n - 1] = 1;
  e[0] = 0;
  // tql2: implicit QL on the tridiagonal (d, e), rotating V along
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error("symmetricEigen: the QL iteration did not converge");
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (let k = 0; k < n; k++) {
            h = V[k][i + 1];
            V[k][i + 1] = s * V[k][i] + c * h;
            V[k][i] = c * V[k][i] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[y] - d[x]);
  const vectors = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < n; c++) vectors[i * n + c] = V[i][order[c]];
  return { values: Float64Array.from(order, (i) => d[i]), vectors };
}
