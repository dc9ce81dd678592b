// One eigenvector of a large sparse matrix: the one whose eigenvalue is nearest a known target.
// For a Markov chain the target is 1 and the matrix is Pᵀ: its eigenvector is the stationary
// distribution. Two ways, both through mat-vecs only:
//   powerIteration — x ← A x, normalised; converges like |λ₂/λ₁|^t.
//   arnoldiEigenvector — build an orthonormal Krylov basis V of span{x, Ax, A²x, …}; A V = V H
//     with H small and upper Hessenberg; find H's eigenvector for the eigenvalue nearest the
//     target (inverse iteration on the small H), lift it back with V; restart from it until the
//     residual ‖A x − θ x‖ is small. Usually far fewer mat-vecs than power iteration.
import { dot, solve } from "./dense.js";

/** y ← A x for a square operator. */
export type MatVec = (x: Float64Array, y: Float64Array) => void;

export interface PowerIterationOptions {
  /** Stop when ‖x_{t+1} − x_t‖₁ < tol (default 1e-12). */
  tol?: number;
  maxIterations?: number;
  /** Scale x to unit L1 norm (default: keeps a probability vector a probability vector). */
  norm?: "l1" | "l2";
}

export interface PowerIterationResult {
  x: Float64Array;
  iterations: number;
  /** ‖x_{t+1} − x_t‖₁ at the last step. */
  delta: number;
  converged: boolean;
}

export function powerIteration(matvec: MatVec, x0: Float64Array, opts: PowerIterationOptions = {}): PowerIterationResult {
  const { tol = 1e-12, maxIterations = 10000, norm = "l1" } = opts;
  let x = Float64Array.from(x0);
  scale(x, norm);
  let y = new Float64Array(x.length);
  let delta = Infinity;
  let it = 0;
  while (it < maxIterations) {
    matvec(x, y);
    scale(y, norm);
    delta = 0;
    for (let i = 0; i < x.length; i++) delta += Math.abs(y[i] - x[i]);
    [x, y] = [y, x];
    it++;
    if (delta < tol) break;
  }
  return { x, iterations: it, delta, converged: delta < tol };
}

function scale(x: Float64Array, norm: "l1" | "l2"): void {
  let s = 0;
  if (norm === "l1") for (let i = 0; i < x.length; i++) s += Math.abs(x[i]);
  else {
    for (let i = 0; i < x.length; i++) s += x[i] * x[i];
    s = Math.sqrt(s);
  }
  if (s === 0 || !Number.isFinite(s)) throw new Error(`powerIteration: the iterate's ${norm} norm is ${s}; start from another vector`);
  for (let i = 0; i < x.length; i++) x[i] /= s;
}

export interface ArnoldiOptions {
  /** The eigenvalue to look for (default 1). */
  target?: number;
  /** Krylov subspace dimension per cycle (default 30). */
  subspace?: number;
  /** Restart cycles (default 100). */
  maxRestarts?: number;
  /** Stop when ‖A x − θ x‖₂ < tol with ‖x‖₂ = 1 (default 1e-12). */
  tol?: number;
}

export interface ArnoldiResult {
  /** The eigenvector, unit L2 norm. */
  x: Float64Array;
  /** The Rayleigh quotient θ = xᵀAx ≈ the eigenvalue. */
  eigenvalue: number;
  residual: number;
  matvecs: number;
  converged: boolean;
}

export function arnoldiEigenvector(matvec: MatVec, x0: Float64Array, opts: ArnoldiOptions = {}): ArnoldiResult {
  const n = x0.length;
  const { target = 1, maxRestarts = 100, tol = 1e-12 } = opts;
  const m = Math.min(opts.subspace ?? 30, n);
  let x = Float64Array.from(x0);
  normalize2(x);
  let matvecs = 0;
  let eigenvalue = NaN;
  let residual = Infinity;
  const w = new Float64Array(n);
  for (let restart = 0; restart < maxRestarts; restart++) {
    // Arnoldi process: A V_k = V_{k+1} H̄_k with V orthonormal, H̄ (k+1) × k upper Hessenberg
    const basis: Float64Array[] = [Float64Array.from(x)];
    const h = new Float64Array((m + 1) * m);
    let k = 0;
    for (; k < m; k++) {
      matvec(basis[k], w);
      matvecs++;
      for (let pass = 0; pass < 2; pass++) {
        for (let i = 0; i <= k; i++) {
          const d = dot(basis[i], w);
          h[i * m + k] += d;
          for (let t = 0; t < n; t++) w[t] -= d * basis[i][t];
        }
      }
      const beta = Math.sqrt(dot(w, w));
      h[(k + 1) * m + k] = beta;
      if (beta < 1e-14) {
        k++; // the Krylov space is invariant: H's eigenpairs are exact
        break;
      }
      basis.push(w.map((v) => v / beta));
    }
    // eigenvector y of the k × k leading block of H, eigenvalue nearest the target
    const hk = new Float64Array(k * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) hk[i * k + j] = h[i * m + j];
    const y = inverseIteration(hk, k, target);
    x = new Float64Array(n);
    for (let j = 0; j < k; j++) for (let t = 0; t < n; t++) x[t] += y[j] * basis[j][t];
    normalize2(x);
    // the true residual, one more mat-vec: θ = xᵀAx / xᵀx (the Rayleigh quotient), r = ‖Ax − θx‖.
    // Dividing by xᵀx, though x is unit, cancels the round-off of summing n squares (~n·ε).
    matvec(x, w);
    matvecs++;
    eigenvalue = dot(x, w) / dot(x, x);
    residual = 0;
    for (let t = 0; t < n; t++) residual += (w[t] - eigenvalue * x[t]) ** 2;
    residual = Math.sqrt(residual);
    if (residual < tol) return { x, eigenvalue, residual, matvecs, converged: true };
  }
  return { x, eigenvalue, residual, matvecs, converged: false };
}

/** Unit eigenvector of a small dense matrix for its eigenvalue nearest σ: solve (H − σ'I) y ← y. */
function inverseIteration(hk: Float64Array, k: number, sigma: number): Float64Array {
  // shift slightly off σ: if σ is an exact eigenvalue, H − σI is singular
  const shift = sigma + 1e-8 * Math.max(1, Math.abs(sigma));
  const a = Float64Array.from(hk);
  for (let i = 0; i < k; i++) a[i * k + i] -= shift;
  let y: Float64Array = new Float64Array(k).fill(1 / Math.sqrt(k));
  for (let it = 0; it < 3; it++) {
    y = solve(a, y, k);
    normalize2(y);
  }
  return y;
}

function normalize2(x: Float64Array): void {
  const s = Math.sqrt(dot(x, x));
  if (s === 0 || !Number.isFinite(s)) throw new Error(`arnoldiEigenvector: vector norm is ${s}; start from another vector`);
  for (let i = 0; i < x.length; i++) x[i] /= s;
}
