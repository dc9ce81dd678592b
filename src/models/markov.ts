// A bigram model is a Markov chain on tokens: P[i][j] = P(next = j | current = i). This file
// studies its transition matrix — the course's intro project ("train a Markov chain with the
// GPT-2 tokenizer and study its matrix"):
//   - the matrix itself, sparse (CSR), over the tokens that occur ("states");
//   - its stationary distribution π = π P: by power iteration, as the eigenvector of Pᵀ with
//     eigenvalue 1 (Arnoldi), and by a direct solve of (Pᵀ − I) π = 0, Σ π = 1;
//   - sparsity: how few of the V² transitions ever happen, row entropies, row support sizes;
//   - its singular values and numerical rank (dense for small vocabularies, randomized top-k SVD
//     otherwise).
import { solve } from "../linalg/dense.js";
import { arnoldiEigenvector, powerIteration } from "../linalg/eigen.js";
import { CsrMatrix } from "../linalg/sparse.js";
import { denseSvd, numericalRank, randomizedSvd, type NumericalRank } from "../linalg/svd.js";
import type { NgramModel } from "./ngram.js";

export interface MarkovChain {
  vocabSize: number;
  /** states[s] = the token id of state s: the tokens seen in training, ascending. */
  states: Int32Array;
  /** Bigram counts between states: counts[s][t] = c(states[s], states[t]). */
  counts: CsrMatrix;
  /** Maximum-likelihood transitions P = diag(1 / rowsum) · counts, row-stochastic. */
  P: CsrMatrix;
  /** States never followed by anything (e.g. the corpus's last token). A chain must go somewhere,
   *  so their rows are the unigram distribution: "restart the text". */
  dangling: number[];
  /** Unigram frequencies of the states (sum 1). */
  unigram: Float64Array;
}

/** The bigram transition matrix of an n-gram model (n ≥ 2), from its raw counts. */
export function markovChain(model: NgramModel): MarkovChain {
  if (model.n < 2) throw new Error(`markovChain: a unigram model (n = 1) has no transitions; train with n ≥ 2`);
  const uni = model.tables[0].rows.get(model.codec.empty);
  if (uni === undefined || uni.total === 0) throw new Error("markovChain: the model has no counts; train it first");
  const states = Int32Array.from([...uni.next.keys()].sort((a, b) => a - b));
  const stateOf = new Map<number, number>();
  states.forEach((id, s) => stateOf.set(id, s));
  const unigram = Float64Array.from(states, (id) => uni.next.get(id)! / uni.total);

  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (const [key, row] of model.tables[1].rows) {
    const from = stateOf.get(model.codec.decode(key, 1)[0])!;
    for (const [to, count] of row.next) {
      r.push(from);
      c.push(stateOf.get(to)!);
      v.push(count);
    }
  }
  const n = states.length;
  const counts = CsrMatrix.fromTriplets(n, n, r, c, v);
  const sums = counts.rowSums();
  const dangling: number[] = [];
  for (let s = 0; s < n; s++) if (sums[s] === 0) dangling.push(s);
  let P = counts.scaleRows(Array.from(sums, (x) => (x > 0 ? 1 / x : 0)));
  if (dangling.length > 0) {
    // rebuild with the unigram row in place of each empty one
    const rr: number[] = [];
    const cc: number[] = [];
    const vv: number[] = [];
    const put = (s: number, t: number, p: number) => {
      rr.push(s);
      cc.push(t);
      vv.push(p);
    };
    for (let s = 0; s < n; s++) {
      if (sums[s] === 0) for (let t = 0; t < n; t++) put(s, t, unigram[t]);
      else for (let k = P.rowPtr[s]; k < P.rowPtr[s + 1]; k++) put(s, P.colIdx[k], P.values[k]);
    }
    P = CsrMatrix.fromTriplets(n, n, rr, cc, vv);
  }
  return { vocabSize: model.vocabSize, states, counts, P, dangling, unigram };
}

// ---------------------------------------------------------------------------- stationary distribution

export type StationaryMethod = "power" | "arnoldi" | "solve";

export interface StationaryOptions {
  method?: StationaryMethod;
  /** Power iteration and Arnoldi stop below this (default 1e-12). */
  tol?: number;
  maxIterations?: number;
  /** Power iteration on the lazy chain (I + P) / 2: same π, but converges for periodic chains too. */
  lazy?: boolean;
}

export interface Stationary {
  /** π over the states, Σ π = 1. */
  pi: Float64Array;
  method: StationaryMethod;
  /** ‖π P − π‖₁: how far π is from stationary. */
  residual: number;
  /** Mat-vecs with P used (0 for the direct solve). */
  matvecs: number;
  converged: boolean;
}

/**
 * The stationary distribution π of a row-stochastic P, π P = π, i.e. Pᵀ π = π: the eigenvector of
 * Pᵀ with eigenvalue 1, scaled to sum 1. Unique when the chain is irreducible (every state reaches
 * every other), which a chain built from one text with dangling rows restarted always is.
 */
export function stationaryDistribution(P: CsrMatrix, opts: StationaryOptions = {}): Stationary {
  const { method = "power", tol = 1e-12, maxIterations = 100_000, lazy = false } = opts;
  const n = P.rows;
  if (P.cols !== n || n === 0) throw new Error(`stationaryDistribution: P must be square and non-empty, got ${P.rows} × ${P.cols}`);
  const uniform = new Float64Array(n).fill(1 / n);
  let pi: Float64Array;
  let matvecs = 0;
  let converged = true;
  if (method === "power") {
    const step = (x: Float64Array, y: Float64Array) => {
      P.applyT(x, y); // y = Pᵀ x, i.e. the row vector x P
      if (lazy) for (let i = 0; i < n; i++) y[i] = 0.5 * (x[i] + y[i]);
    };
    const r = powerIteration(step, uniform, { tol, maxIterations, norm: "l1" });
    pi = r.x;
    matvecs = r.iterations;
    converged = r.converged;
  } else if (method === "arnoldi") {
    const r = arnoldiEigenvector((x, y) => P.applyT(x, y), uniform, { target: 1, tol, maxRestarts: Math.max(1, Math.ceil(maxIterations / 30)) });
    pi = r.x;
    matvecs = r.matvecs;
    converged = r.converged;
  } else if (method === "solve") {
    if (n > 4000) throw new Error(`stationaryDistribution: "solve" is dense O(n³); ${n} states is too many, use "arnoldi" or "power"`);
    // (Pᵀ − I) π = 0 has rank n − 1; swap its last equation for Σ π = 1 to pin the solution down
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let k = P.rowPtr[i]; k < P.rowPtr[i + 1]; k++) a[P.colIdx[k] * n + i] += P.values[k];
      a[i * n + i] -= 1;
    }
    a.fill(1, (n - 1) * n, n * n);
    const b = new Float64Array(n);
    b[n - 1] = 1;
    pi = solve(a, b, n);
  } else {
    throw new Error(`stationaryDistribution: unknown method ${JSON.stringify(method)}; use "power", "arnoldi" or "solve"`);
  }
  // an eigenvector is defined up to scale (and sign): make it a probability vector
  let total = 0;
  for (let i = 0; i < n; i++) total += pi[i];
  for (let i = 0; i < n; i++) pi[i] /= total;
  return { pi, method, residual: stationaryResidual(P, pi), matvecs, converged };
}

/** ‖π P − π‖₁. */
export function stationaryResidual(P: CsrMatrix, pi: Float64Array): number {
  const y = new Float64Array(P.cols);
  P.applyT(pi, y);
  let r = 0;
  for (let i = 0; i < y.length; i++) r += Math.abs(y[i] - pi[i]);
  return r;
}

// ---------------------------------------------------------------------------- sparsity

export interface SparsityStats {
  vocabSize: number;
  /** Tokens seen in training. */
  states: number;
  /** Distinct bigrams seen: the stored entries of the V × V count matrix. */
  nnz: number;
  /** nnz / V². */
  density: number;
  /** Rows of the V × V count matrix with no entry (unseen tokens and dangling states). */
  zeroRowFraction: number;
  /** Share of the seen bigrams seen exactly once (what smoothing must guess about). */
  singletonFraction: number;
  /** Number of distinct successors per non-empty row. */
  support: { min: number; median: number; mean: number; max: number; histogram: { upTo: number; rows: number }[] };
  /** Entropy of each non-empty row of P, in bits: H(next | current = i). */
  entropy: { min: number; mean: number; max: number; rows: Float64Array };
  /** The chain's entropy rate Σᵢ πᵢ H(Pᵢ) in bits per token with π the unigram frequencies: the
   *  training-set cross-entropy of the maximum-likelihood bigram model. */
  entropyRate: number;
}

export function sparsityStats(chain: MarkovChain): SparsityStats {
  const { counts, vocabSize: V, unigram } = chain;
  const n = counts.rows;
  const supports: number[] = [];
  const entropies: number[] = [];
  let singletons = 0;
  let entropyRate = 0;
  let weight = 0;
  for (let i = 0; i < n; i++) {
    const start = counts.rowPtr[i];
    const end = counts.rowPtr[i + 1];
    if (end === start) continue;
    let total = 0;
    for (let k = start; k < end; k++) total += counts.values[k];
    let h = 0;
    for (let k = start; k < end; k++) {
      const p = counts.values[k] / total;
      h -= p * Math.log2(p);
      if (counts.values[k] === 1) singletons++;
    }
    supports.push(end - start);
    entropies.push(h);
    entropyRate += unigram[i] * h;
    weight += unigram[i];
  }
  const sorted = [...supports].sort((a, b) => a - b);
  const histogram: { upTo: number; rows: number }[] = [];
  for (let upTo = 1; histogram.length === 0 || upTo / 2 < (sorted.at(-1) ?? 0); upTo *= 2) {
    const lo = upTo / 2;
    histogram.push({ upTo, rows: sorted.filter((s) => s > lo && s <= upTo).length });
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return {
    vocabSize: V,
    states: n,
    nnz: counts.nnz,
    density: counts.nnz / (V * V),
    zeroRowFraction: (V - supports.length) / V,
    singletonFraction: counts.nnz ? singletons / counts.nnz : 0,
    support: { min: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0, mean: mean(supports), max: sorted.at(-1) ?? 0, histogram },
    entropy: { min: Math.min(...entropies), mean: mean(entropies), max: Math.max(...entropies), rows: Float64Array.from(entropies) },
    // renormalise by the weight of the non-dangling rows
    entropyRate: weight > 0 ? entropyRate / weight : 0,
  };
}

// ---------------------------------------------------------------------------- singular values

export interface SpectrumOptions {
  /** How many singular values the randomized SVD computes (default 100); the dense SVD gives all. */
  k?: number;
  /** Up to this many states the full SVD is computed densely (default 400). */
  denseLimit?: number;
  seed?: number;
  powerIterations?: number;
}

export interface Spectrum {
  /** Singular values of P, descending. */
  singularValues: Float64Array;
  method: "dense" | "randomized";
  rank: NumericalRank;
}

/**
 * Singular values of the transition matrix and its numerical rank. The rank says how many
 * independent "next-token profiles" the chain has: a low-rank P is what a model with a small
 * embedding (logits = onehot(x) E U, E: V × d) can represent exactly.
 */
export function transitionSpectrum(P: CsrMatrix, opts: SpectrumOptions = {}): Spectrum {
  const n = Math.min(P.rows, P.cols);
  const { denseLimit = 400, seed = 0, powerIterations = 4 } = opts;
  if (n <= denseLimit) {
    const svd = denseSvd(P);
    return { singularValues: svd.s, method: "dense", rank: numericalRank(svd.s, P.rows, P.cols, true) };
  }
  const k = Math.min(opts.k ?? 100, n);
  const svd = randomizedSvd(P, k, { seed, powerIterations });
  return { singularValues: svd.s, method: "randomized", rank: numericalRank(svd.s, P.rows, P.cols, k === n) };
}
