// L-BFGS (Nocedal & Wright, "Numerical Optimization", 2nd ed.): quasi-Newton minimisation that
// keeps the last m steps s_i = x_{i+1} − x_i and gradient changes y_i = g_{i+1} − g_i, and from
// them applies an approximation H of the inverse Hessian to the gradient with the two-loop
// recursion (Algorithm 7.4); each step then moves along d = −H g by a step length that satisfies
// the strong Wolfe conditions (Algorithm 3.5 with zoom, 3.6):
//
//   sufficient decrease   f(x + t d) ≤ f(x) + c₁ t ∇f(x)·d
//   curvature             |∇f(x + t d)·d| ≤ c₂ |∇f(x)·d|
//
// The curvature condition guarantees yᵀs > 0, so H stays positive definite. The Chinchilla fit
// (Hoffmann et al. 2022) minimises its Huber objective with L-BFGS; this is the one it uses here.

/** f and its gradient at x. */
export type Objective = (x: Float64Array) => { f: number; g: Float64Array };

export interface LbfgsOptions {
  /** Steps remembered (m). Default 10. */
  memory?: number;
  /** Stop after this many iterations. Default 1000. */
  maxIterations?: number;
  /** Converged when max |∂f/∂x_i| ≤ gradTol. Default 1e-10. */
  gradTol?: number;
  /** Converged when an iteration lowers f by at most fTol · max(|f|, 1). Default 1e-14. */
  fTol?: number;
  /** Sufficient-decrease and curvature constants of the line search. Defaults 1e-4 and 0.9. */
  c1?: number;
  c2?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  g: Float64Array;
  iterations: number;
  /** Calls of the objective. */
  evaluations: number;
  /** Why it stopped: "gradient", "f-change" (both count as converged), "max-iterations", "line-search". */
  reason: "gradient" | "f-change" | "max-iterations" | "line-search";
  converged: boolean;
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const maxAbs = (a: Float64Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** A point on the search line x + t d: step t, f, gradient, and the slope φ'(t) = ∇f·d. */
interface LinePoint {
  t: number;
  f: number;
  g: Float64Array;
  slope: number;
}

/**
 * Minimises f from x0. Non-finite values of f count as +∞ (the line search steps back from them).
 * The starting point must have a finite f and gradient.
 */
export function lbfgs(objective: Objective, x0: ArrayLike<number>, opts: LbfgsOptions = {}): LbfgsResult {
  const m = opts.memory ?? 10;
  const maxIterations = opts.maxIterations ?? 1000;
  const gradTol = opts.gradTol ?? 1e-10;
  const fTol = opts.fTol ?? 1e-14;
  const c1 = opts.c1 ?? 1e-4;
  const c2 = opts.c2 ?? 0.9;
  if (!(m >= 1 && Number.isInteger(m))) throw new Error(`lbfgs: memory must be an integer ≥ 1, got ${m}`);
  if (!(0 < c1 && c1 < c2 && c2 < 1)) throw new Error(`lbfgs: need 0 < c1 < c2 < 1, got c1 = ${c1}, c2 = ${c2}`);
  const n = x0.length;
  let evaluations = 0;
  const evaluate = (x: Float64Array) => {
    evaluations++;
    const r = objective(x);
    if (r.g.length !== n) throw new Error(`lbfgs: the objective returned a gradient of length ${r.g.length} for ${n} variables`);
    return { f: Number.isNaN(r.f) ? Infinity : r.f, g: r.g };
  };
  let x = Float64Array.from(x0);
  let { f, g } = evaluate(x);
  if (!Number.isFinite(f) || !g.every(Number.isFinite)) throw new Error(`lbfgs: f or its gradient is not finite at the starting point (f = ${f})`);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const done = (iterations: number, reason: LbfgsResult["reason"]): LbfgsResult => ({ x, f, g, iterations, evaluations, reason, converged: reason === "gradient" || reason === "f-change" });

  for (let iter = 0; iter < maxIterations; iter++) {
    if (maxAbs(g) <= gradTol) return done(iter, "gradient");
    // two-loop recursion: d = −H g
    const q = Float64Array.from(g);
    const alphas = new Array<number>(S.length);
    for (let i = S.length - 1; i >= 0; i--) {
      alphas[i] = rho[i]! * dot(S[i]!, q);
      for (let j = 0; j < n; j++) q[j] -= alphas[i]! * Y[i]![j]!;
    }
    // H₀ = γ I with γ = sᵀy / yᵀy of the latest pair (N&W eq. 7.20): the step is scaled right at once
    const gamma = S.length > 0 ? dot(S[S.length - 1]!, Y[Y.length - 1]!) / dot(Y[Y.length - 1]!, Y[Y.length - 1]!) : 1;
    for (let j = 0; j < n; j++) q[j] *= gamma;
    for (let i = 0; i < S.length; i++) {
      const beta = rho[i]! * dot(Y[i]!, q);
      for (let j = 0; j < n; j++) q[j] += S[i]![j]! * (alphas[i]! - beta);
    }
    let d = q.map((v) => -v);
    let slope0 = dot(g, d);
    if (!(slope0 < 0)) {
      // not a descent direction (rounding): forget the history and go downhill
      S.length = Y.length = rho.length = 0;
      d = g.map((v) => -v);
      slope0 = dot(g, d);
    }
    // the first step of a run has no scale yet: a step of length 1 in x
    const t0 = S.length === 0 ? Math.min(1, 1 / Math.sqrt(-slope0)) : 1;
    const found = strongWolfe(evaluate, x, f, d, slope0, t0, c1, c2);
    if (found === null) {
      if (S.length === 0) return done(iter, "line-search");
      // retry once along −g with a fresh history before giving up
      S.length = Y.length = rho.length = 0;
      iter--;
      continue;
    }
    const xNew = x.map((v, j) => v + found.t * d[j]!);
    const s = xNew.map((v, j) => v - x[j]!);
    const y = found.g.map((v, j) => v - g[j]!);
    const fOld = f;
    x = xNew;
    f = found.f;
    g = found.g;
    const sy = dot(s, y);
    if (sy > 1e-300) {
      S.push(s);
      Y.push(y);
      rho.push(1 / sy);
      if (S.length > m) {
        S.shift();
        Y.shift();
        rho.shift();
      }
    }
    if (fOld - f <= fTol * Math.max(Math.abs(f), 1)) return done(iter + 1, maxAbs(g) <= gradTol ? "gradient" : "f-change");
  }
  return done(maxIterations, maxAbs(g) <= gradTol ? "gradient" : "max-iterations");
}

/**
 * A step length t along d satisfying the strong Wolfe conditions (N&W Algorithm 3.5): grow t
 * until the conditions hold or a bracket [lo, hi] around an acceptable step is found, then zoom
 * into it. Null when none is found (d is then useless, e.g. at rounding level).
 */
function strongWolfe(evaluate: (x: Float64Array) => { f: number; g: Float64Array }, x: Float64Array, f0: number, d: Float64Array, slope0: number, t0: number, c1: number, c2: number): LinePoint | null {
  const at = (t: number): LinePoint => {
    const { f, g } = evaluate(x.map((v, j) => v + t * d[j]!));
    return { t, f, g, slope: dot(g, d) };
  };
  const sufficient = (p: LinePoint) => p.f <= f0 + c1 * p.t * slope0;
  const flat = (p: LinePoint) => Math.abs(p.slope) <= -c2 * slope0;
  let prev: LinePoint = { t: 0, f: f0, g: new Float64Array(0), slope: slope0 };
  let t = t0;
  for (let i = 0; i < 40; i++) {
    const p = at(t);
    if (!Number.isFinite(p.f) || !p.g.every(Number.isFinite)) {
      // stepped into overflow: come back halfway and try again
      t = (prev.t + t) / 2;
      if (t - prev.t < 1e-20) return null;
      continue;
    }
    if (!sufficient(p) || (i > 0 && p.f >= prev.f)) return zoom(at, prev, p, f0, slope0, c1, c2);
    if (flat(p)) return p;
    if (p.slope >= 0) return zoom(at, p, prev, f0, slope0, c1, c2);
    prev = p;
    t *= 2;
  }
  return null;
}

/**
 * Zoom (N&W Algorithm 3.6): lo is the best point so far satisfying sufficient decrease, and the
 * minimum lies between lo and hi. Each trial is the minimiser of the cubic through both points'
 * values and slopes (N&W eq. 3.59), kept away from the ends, else the midpoint.
 */
function zoom(at: (t: number) => LinePoint, lo: LinePoint, hi: LinePoint, f0: number, slope0: number, c1: number, c2: number): LinePoint | null {
  for (let i = 0; i < 60; i++) {
    const width = hi.t - lo.t;
    if (Math.abs(width) <= 1e-16 * Math.max(1, Math.abs(lo.t))) break;
    let t = cubicMinimizer(lo, hi);
    const [a, b] = lo.t < hi.t ? [lo.t, hi.t] : [hi.t, lo.t];
    const margin = 0.1 * (b - a);
    if (!Number.isFinite(t) || t < a + margin || t > b - margin) t = (lo.t + hi.t) / 2;
    const p = at(t);
    if (!Number.isFinite(p.f) || p.f > f0 + c1 * t * slope0 || p.f >= lo.f) {
      hi = p;
    } else {
      if (Math.abs(p.slope) <= -c2 * slope0) return p;
      if (p.slope * (hi.t - lo.t) >= 0) hi = lo;
      lo = p;
    }
  }
  // the bracket has shrunk to nothing: accept lo if it made progress
  return lo.t > 0 && lo.f < f0 ? lo : null;
}

/** The minimiser of the cubic interpolating (t, f, slope) at two points; NaN when it has none. */
function cubicMinimizer(p: LinePoint, q: LinePoint): number {
  if (!Number.isFinite(q.f) || !Number.isFinite(q.slope)) return NaN;
  const d1 = p.slope + q.slope - (3 * (p.f - q.f)) / (p.t - q.t);
  const disc = d1 * d1 - p.slope * q.slope;
  if (disc < 0) return NaN;
  const d2 = Math.sign(q.t - p.t) * Math.sqrt(disc);
  return q.t - ((q.t - p.t) * (q.slope + d2 - d1)) / (q.slope - p.slope + 2 * d2);
}
