// Top-k singular values and vectors of a sparse matrix, and its numerical rank.
//
// Randomized SVD (Halko, Martinsson & Tropp 2011): the range of A is caught by multiplying it with
// l = k + p random vectors, Y = A Ω. q power iterations Y ← A (Aᵀ Y) raise the singular values to
// the power 2q + 1, so the top k dominate even when the spectrum decays slowly. Then with Q an
// orthonormal basis of Y, A ≈ Q (Qᵀ A), and the small l × n matrix B = Qᵀ A has an SVD we can afford.
// Everything touches A only through mat-vecs A x and Aᵀ y: O(nnz) each, never rows × cols memory.
import { Generator } from "../tensor/random.js";
import { orthonormalize, svdJacobi } from "./dense.js";
import type { CsrMatrix, LinearOperator } from "./sparse.js";

const EPS = 2.220446049250313e-16;

export interface SvdResult {
  /** Singular values, descending. */
  s: Float64Array;
  /** Left singular vectors u_i (each of length rows), in the order of s. */
  u: Float64Array[];
  /** Right singular vectors v_i (each of length cols): A v_i = σ_i u_i. */
  v: Float64Array[];
}

export interface RandomizedSvdOptions {
  /** Extra random directions beyond k (default 10): the error bound improves quickly with p. */
  oversample?: number;
  /** Power iterations (default 4). */
  powerIterations?: number;
  seed?: number;
}

/** The k largest singular triplets of a sparse matrix by randomized SVD with power iterations. */
export function randomizedSvd(a: LinearOperator, k: number, opts: RandomizedSvdOptions = {}): SvdResult {
  const { oversample = 10, powerIterations = 4, seed = 0 } = opts;
  const { rows: m, cols: n } = a;
  const full = Math.min(m, n);
  if (!Number.isInteger(k) || k < 1 || k > full) throw new Error(`randomizedSvd: k must be an integer in [1, ${full}] for a ${m} × ${n} matrix, got ${k}`);
  if (!Number.isInteger(oversample) || oversample < 0) throw new Error(`randomizedSvd: oversample must be a non-negative integer, got ${oversample}`);
  if (!Number.isInteger(powerIterations) || powerIterations < 0) throw new Error(`randomizedSvd: powerIterations must be a non-negative integer, got ${powerIterations}`);
  const l = Math.min(k + oversample, full);
  // one block product: a mat-vec per vector, O(nnz) each
  const times = (xs: Float64Array[]) => xs.map((x) => mul(a, x, m));
  const timesT = (xs: Float64Array[]) => xs.map((x) => mulT(a, x, n));

  const gen = new Generator(seed);
  const omega = Array.from({ length: l }, () => Float64Array.from({ length: n }, () => gen.normal()));
  // Q: orthonormal basis for the range of (A Aᵀ)^q A Ω, re-orthonormalized after every product
  // so round-off does not collapse the block onto the top singular vector.
  let q = times(omega);
  orthonormalize(q);
  for (let it = 0; it < powerIterations; it++) {
    const z = timesT(q);
    orthonormalize(z);
    q = times(z);
    orthonormalize(q);
  }
  // Bᵀ = Aᵀ Q (n × l) = Q₂ R, and R = U_R Σ V_Rᵀ, so A ≈ Q B = (Q V_R) Σ (Q₂ U_R)ᵀ.
  const q2 = timesT(q);
  const r = orthonormalize(q2);
  const svd = svdJacobi(r, l, l);
  // column c of (basis · M) for an l × l row-major M: Σ_j M[j][c] basis_j
  const combine = (basis: Float64Array[], mat: Float64Array, c: number) => {
    const out = new Float64Array(basis[0].length);
    basis.forEach((b, j) => {
      const f = mat[j * l + c];
      if (f !== 0) for (let i = 0; i < out.length; i++) out[i] += f * b[i];
    });
    return out;
  };
  const idx = Array.from({ length: k }, (_, c) => c);
  return { s: svd.s.slice(0, k), u: idx.map((c) => combine(q, svd.v, c)), v: idx.map((c) => combine(q2, svd.u, c)) };
}

function mul(a: LinearOperator, x: Float64Array, m: number): Float64Array {
  const y = new Float64Array(m);
  a.apply(x, y);
  return y;
}

function mulT(a: LinearOperator, x: Float64Array, n: number): Float64Array {
  const y = new Float64Array(n);
  a.applyT(x, y);
  return y;
}

/** Full thin SVD of a sparse matrix made dense: only for small matrices (char vocabularies). */
export function denseSvd(a: CsrMatrix): SvdResult {
  const { rows: m, cols: n } = a;
  const dense = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let t = a.rowPtr[i]; t < a.rowPtr[i + 1]; t++) dense[i * n + a.colIdx[t]] = a.values[t];
  }
  const svd = svdJacobi(dense, m, n);
  const k = svd.s.length;
  const column = (x: Float64Array, rows: number, c: number) => Float64Array.from({ length: rows }, (_, i) => x[i * k + c]);
  return { s: svd.s, u: Array.from({ length: k }, (_, c) => column(svd.u, m, c)), v: Array.from({ length: k }, (_, c) => column(svd.v, n, c)) };
}

export interface NumericalRank {
  /** Number of singular values above tol. */
  rank: number;
  tol: number;
  /** True when every computed singular value is above tol but only the top few were computed:
   *  then the true rank is at least `rank`. */
  lowerBound: boolean;
}

/**
 * Numerical rank: how many singular values exceed tol = max(m, n) · ε · σ₁ (NumPy's matrix_rank
 * default), i.e. how many directions survive round-off. `complete` says whether s holds all
 * min(m, n) singular values or only the top k.
 */
export function numericalRank(s: ArrayLike<number>, m: number, n: number, complete: boolean, tol?: number): NumericalRank {
  const sigma1 = s.length > 0 ? s[0] : 0;
  const t = tol ?? Math.max(m, n) * EPS * sigma1;
  let rank = 0;
  for (let i = 0; i < s.length; i++) if (s[i] > t) rank++;
  return { rank, tol: t, lowerBound: !complete && rank === s.length && s.length < Math.min(m, n) };
}
