// Chinchilla's approach 3 (Hoffmann et al. 2022, section 3.3 and appendix D.2): fit
// L(N, D) = E + A/N^α + B/D^β to the final losses L_i of runs (N_i, D_i) by minimising
//
//   Σ_i Huber_δ( L̂_i − log L_i ),   L̂_i = LSE(a − α log N_i, b − β log D_i, e),   δ = 10⁻³,
//
// over θ = (a, b, e, α, β), with A = eᵃ, B = eᵇ, E = eᵉ. LSE (log-sum-exp) is the log of the
// law's loss, so the fit compares log-losses and A, B, E stay positive. The Huber loss is
// quadratic for residuals under δ and linear beyond, so one bad run cannot pull the fit far.
// The objective has many local minima: the paper starts L-BFGS from every point of a grid and
// keeps the best end point, and so does fitScalingLaw.
import { lbfgs, type LbfgsOptions } from "./lbfgs.js";
import type { ScalingLaw } from "./law.js";

/** One training run: N parameters, D tokens, its final loss L (nats per token). */
export interface Observation {
  N: number;
  D: number;
  loss: number;
}

/** The grid of starting points of Hoffmann et al. (appendix D.2): 6 × 6 × 5 × 5 × 5 = 4500 starts. */
export const CHINCHILLA_GRID = {
  a: [0, 5, 10, 15, 20, 25],
  b: [0, 5, 10, 15, 20, 25],
  e: [-1, -0.5, 0, 0.5, 1],
  alpha: [0, 0.5, 1, 1.5, 2],
  beta: [0, 0.5, 1, 1.5, 2],
};

export type StartGrid = typeof CHINCHILLA_GRID;

/** A coarser grid (4 × 4 × 3 × 3 × 3 = 432 starts), ten times quicker, for quick looks and tests. */
export const COARSE_GRID: StartGrid = {
  a: [0, 5, 10, 15],
  b: [0, 5, 10, 15],
  e: [-1, 0, 1],
  alpha: [0.25, 0.75, 1.5],
  beta: [0.25, 0.75, 1.5],
};

export interface FitOptions {
  /** Huber's δ (default 1e-3, the paper's). */
  delta?: number;
  /** Starting points: a grid (default CHINCHILLA_GRID) or an explicit list of θ = [a, b, e, α, β]. */
  starts?: StartGrid | number[][];
  lbfgs?: LbfgsOptions;
}

export interface LawFit {
  law: ScalingLaw;
  /** θ = [a, b, e, α, β] = [log A, log B, log E, α, β] at the best end point. */
  theta: number[];
  /** The objective Σ Huber_δ at θ. */
  objective: number;
  /** How many starts were run, and how many of those L-BFGS runs converged. */
  starts: number;
  converged: number;
  /** Distinct end points of the starts, best first (at most 10): good starts for refits (the bootstrap). */
  optima: number[][];
}

/** Huber_δ(r) = r²/2 for |r| ≤ δ, δ(|r| − δ/2) beyond; and its derivative. */
export function huber(r: number, delta: number): { value: number; slope: number } {
  const abs = Math.abs(r);
  return abs <= delta ? { value: 0.5 * r * r, slope: r } : { value: delta * (abs - 0.5 * delta), slope: delta * Math.sign(r) };
}

/**
 * The objective and its gradient at θ = [a, b, e, α, β]. With the three terms
 *   t₁ = a − α log N,  t₂ = b − β log D,  t₃ = e,  L̂ = LSE(t₁, t₂, t₃),  wⱼ = exp(tⱼ − L̂) (softmax),
 * the chain rule gives ∂L̂/∂a = w₁, ∂L̂/∂α = −w₁ log N, ∂L̂/∂b = w₂, ∂L̂/∂β = −w₂ log D, ∂L̂/∂e = w₃,
 * each multiplied by Huber′(L̂ − log L).
 */
export function huberObjective(obs: readonly Observation[], delta = 1e-3): (theta: Float64Array) => { f: number; g: Float64Array } {
  const logN = obs.map((o) => Math.log(o.N));
  const logD = obs.map((o) => Math.log(o.D));
  const logL = obs.map((o) => Math.log(o.loss));
  return (theta) => {
    const [a, b, e, alpha, beta] = theta as unknown as [number, number, number, number, number];
    let f = 0;
    const g = new Float64Array(5);
    for (let i = 0; i < obs.length; i++) {
      const t1 = a - alpha * logN[i]!;
      const t2 = b - beta * logD[i]!;
      const t3 = e;
      const top = Math.max(t1, t2, t3);
      const [x1, x2, x3] = [Math.exp(t1 - top), Math.exp(t2 - top), Math.exp(t3 - top)];
      const sum = x1 + x2 + x3;
      const lse = top + Math.log(sum);
      const { value, slope } = huber(lse - logL[i]!, delta);
      f += value;
      const [w1, w2, w3] = [x1 / sum, x2 / sum, x3 / sum];
      g[0] += slope * w1;
      g[1] += slope * w2;
      g[2] += slope * w3;
      g[3] -= slope * w1 * logN[i]!;
      g[4] -= slope * w2 * logD[i]!;
    }
    return { f, g };
  };
}

/** θ = [a, b, e, α, β] as the law it stands for. */
export const lawFromTheta = (theta: ArrayLike<number>): ScalingLaw => ({ A: Math.exp(theta[0]!), B: Math.exp(theta[1]!), E: Math.exp(theta[2]!), alpha: theta[3]!, beta: theta[4]! });

/** Every combination of the grid's values, as θ = [a, b, e, α, β]. */
export function gridStarts(grid: StartGrid): number[][] {
  const out: number[][] = [];
  for (const a of grid.a) for (const b of grid.b) for (const e of grid.e) for (const alpha of grid.alpha) for (const beta of grid.beta) out.push([a, b, e, alpha, beta]);
  return out;
}

/** Throws unless every observation has N, D, loss finite and positive; `name(i)` says which run. */
export function checkObservations(obs: readonly Observation[], name: (i: number) => string = (i) => `observation ${i}`): void {
  if (!Array.isArray(obs)) throw new Error("scaling fit: expected an array of {N, D, loss}");
  obs.forEach((o, i) => {
    for (const k of ["N", "D", "loss"] as const) {
      if (typeof o?.[k] !== "number" || !(o[k] > 0) || !Number.isFinite(o[k])) throw new Error(`${name(i)}: ${k} must be a positive number, got ${JSON.stringify(o?.[k])}`);
    }
  });
}

/**
 * The Chinchilla approach-3 fit: L-BFGS from every start, the best end point kept. Needs at least
 * 5 runs (5 unknowns); with few runs, or runs that do not vary N and D enough, the law is not
 * identified and the fit is one of many equally good ones (the bootstrap shows how wide).
 */
export function fitScalingLaw(obs: readonly Observation[], opts: FitOptions = {}): LawFit {
  checkObservations(obs);
  if (obs.length < 5) throw new Error(`scaling fit: the law has 5 unknowns (E, A, B, α, β), so it needs at least 5 runs; got ${obs.length}`);
  const delta = opts.delta ?? 1e-3;
  if (!(delta > 0)) throw new Error(`scaling fit: delta must be positive, got ${delta}`);
  const starts = Array.isArray(opts.starts) ? opts.starts : gridStarts(opts.starts ?? CHINCHILLA_GRID);
  if (starts.length === 0) throw new Error("scaling fit: no starting points");
  const objective = huberObjective(obs, delta);
  const ends: { theta: number[]; f: number }[] = [];
  let converged = 0;
  for (const start of starts) {
    if (start.length !== 5) throw new Error(`scaling fit: a start must be [a, b, e, α, β], got [${start}]`);
    const r = lbfgs(objective, start, opts.lbfgs);
    if (r.converged) converged++;
    if (Number.isFinite(r.f) && r.x.every(Number.isFinite)) ends.push({ theta: Array.from(r.x), f: r.f });
  }
  if (ends.length === 0) throw new Error("scaling fit: no start reached a finite objective");
  ends.sort((p, q) => p.f - q.f);
  const best = ends[0]!;
  return { law: lawFromTheta(best.theta), theta: best.theta, objective: best.f, starts: starts.length, converged, optima: distinctOptima(ends, 10) };
}

/** The best `max` end points that differ from each better one by more than 1e-3 in some coordinate. */
function distinctOptima(ends: { theta: number[]; f: number }[], max: number): number[][] {
  const out: number[][] = [];
  for (const { theta } of ends) {
    if (out.length >= max) break;
    if (out.every((o) => o.some((v, i) => Math.abs(v - theta[i]!) > 1e-3))) out.push(theta);
  }
  return out;
}
