// Chinchilla's approach 2 (Hoffmann et al. 2022, section 3.2): IsoFLOP profiles. For each compute
// budget C, several model sizes are trained with D = C / (6N) tokens each; the final loss against
// log N is a valley, and a parabola through it,
//
//   L ≈ c₀ + c₁ x + c₂ x²,   x = log N,   minimum at x* = −c₁ / (2 c₂)  (needs c₂ > 0),
//
// gives the loss-optimal size N_opt(C) = e^{x*} for that budget. Power laws through the optima of
// several budgets, log N_opt = log k + a log C (and the same for D_opt, exponent b), are the
// compute-optimal frontier (the paper finds a = 0.49, b = 0.51).

/** A run of an IsoFLOP sweep: its budget C (FLOPs), N, D and final loss. */
export interface BudgetRun {
  C: number;
  N: number;
  D: number;
  loss: number;
}

export interface Parabola {
  /** L ≈ c0 + c1 x + c2 x², x = log N. */
  c0: number;
  c1: number;
  c2: number;
}

export interface IsoFlopProfile {
  C: number;
  /** The runs of this budget, by N. */
  runs: BudgetRun[];
  /** The least-squares parabola in log N (null with fewer than 3 distinct sizes). */
  parabola: Parabola | null;
  /** The parabola's minimum, or null when it has none (c₂ ≤ 0: the losses do not form a valley). */
  optimum: { N: number; D: number; loss: number; extrapolated: boolean } | null;
  /** Why there is no optimum, when there is none. */
  note?: string;
}

export interface PowerLaw {
  /** y = k · C^exponent, fitted as log y = log k + exponent · log C by least squares. */
  k: number;
  exponent: number;
  /** Standard error of the exponent (NaN with only 2 points). */
  stderr: number;
}

export interface IsoFlopFit {
  profiles: IsoFlopProfile[];
  /** N_opt ∝ C^a and D_opt ∝ C^b, over the budgets that have an optimum (null with fewer than 2). */
  N: PowerLaw | null;
  D: PowerLaw | null;
}

/** Least squares y ≈ c0 + c1 x + c2 x² (x centred for conditioning, then shifted back). */
export function fitParabola(x: readonly number[], y: readonly number[]): Parabola {
  if (x.length !== y.length || x.length < 3) throw new Error(`fitParabola: needs 3 or more (x, y) pairs of equal length, got ${x.length} and ${y.length}`);
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  // normal equations MᵀM c = Mᵀy for rows [1, u, u²], u = x − mx
  const S = new Array<number>(5).fill(0);
  const T = new Array<number>(3).fill(0);
  for (let i = 0; i < n; i++) {
    const u = x[i]! - mx;
    for (let p = 0; p < 5; p++) S[p] += u ** p;
    for (let p = 0; p < 3; p++) T[p] += y[i]! * u ** p;
  }
  const M = [[S[0]!, S[1]!, S[2]!], [S[1]!, S[2]!, S[3]!], [S[2]!, S[3]!, S[4]!]];
  const [q0, q1, q2] = solve3(M, T);
  if (![q0, q1, q2].every(Number.isFinite)) throw new Error("fitParabola: the x values do not determine a parabola (fewer than 3 distinct values)");
  // q0 + q1 (x − m) + q2 (x − m)² expanded in powers of x
  return { c0: q0 - q1 * mx + q2 * mx * mx, c1: q1 - 2 * q2 * mx, c2: q2 };
}

/** Solves a 3×3 system by Gaussian elimination with partial pivoting (NaN when singular). */
function solve3(M: number[][], rhs: number[]): [number, number, number] {
  const A = M.map((row, i) => [...row, rhs[i]!]);
  for (let col = 0; col < 3; col++) {
    let piv = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(A[r]![col]!) > Math.abs(A[piv]![col]!)) piv = r;
    [A[col], A[piv]] = [A[piv]!, A[col]!];
    const scale = Math.max(...A.map((r) => Math.abs(r[col]!)));
    if (Math.abs(A[col]![col]!) <= 1e-12 * scale || scale === 0) return [NaN, NaN, NaN];
    for (let r = col + 1; r < 3; r++) {
      const m = A[r]![col]! / A[col]![col]!;
      for (let c = col; c < 4; c++) A[r]![c] -= m * A[col]![c]!;
    }
  }
  const x = [0, 0, 0];
  for (let r = 2; r >= 0; r--) {
    let s = A[r]![3]!;
    for (let c = r + 1; c < 3; c++) s -= A[r]![c]! * x[c]!;
    x[r] = s / A[r]![r]!;
  }
  return x as [number, number, number];
}

/** Least squares y ≈ intercept + slope x, with the slope's standard error. */
export function fitLine(x: readonly number[], y: readonly number[]): { intercept: number; slope: number; stderr: number } {
  const n = x.length;
  if (n < 2 || y.length !== n) throw new Error(`fitLine: needs 2 or more (x, y) pairs of equal length, got ${x.length} and ${y.length}`);
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - mx) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
  }
  if (!(sxx > 0)) throw new Error("fitLine: all x values are equal; a line through them has no slope");
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (y[i]! - intercept - slope * x[i]!) ** 2;
  return { intercept, slope, stderr: n > 2 ? Math.sqrt(sse / (n - 2) / sxx) : NaN };
}

/**
 * One budget's profile: the parabola in log N and its minimum. D at the minimum comes from the
 * line log D = u + v log N through the budget's runs (v = −1 exactly when N is the N of C = 6ND;
 * with another count of N, e.g. without embeddings, the line still says which D goes with N).
 */
export function isoFlopProfile(C: number, runs: readonly BudgetRun[]): IsoFlopProfile {
  const sorted = [...runs].sort((p, q) => p.N - q.N);
  const sizes = new Set(sorted.map((r) => r.N));
  if (sizes.size < 3) return { C, runs: sorted, parabola: null, optimum: null, note: `${sizes.size} model size${sizes.size === 1 ? "" : "s"}; a parabola needs 3` };
  const x = sorted.map((r) => Math.log(r.N));
  const parabola = fitParabola(x, sorted.map((r) => r.loss));
  if (!(parabola.c2 > 0)) return { C, runs: sorted, parabola, optimum: null, note: "the losses do not form a valley (the parabola opens downwards)" };
  const xStar = -parabola.c1 / (2 * parabola.c2);
  const line = fitLine(x, sorted.map((r) => Math.log(r.D)));
  const loss = parabola.c0 + parabola.c1 * xStar + parabola.c2 * xStar * xStar;
  const extrapolated = xStar < x[0]! || xStar > x[x.length - 1]!;
  return { C, runs: sorted, parabola, optimum: { N: Math.exp(xStar), D: Math.exp(line.intercept + line.slope * xStar), loss, extrapolated } };
}

/** Runs grouped by budget (budgets equal to 1 part in 10⁶ are one budget), in increasing C. */
export function groupByBudget(runs: readonly BudgetRun[]): Map<number, BudgetRun[]> {
  const groups = new Map<number, BudgetRun[]>();
  for (const r of runs) {
    if (!(r.C > 0)) throw new Error(`IsoFLOP fit: a run's budget C must be positive, got ${r.C}`);
    const key = [...groups.keys()].find((c) => Math.abs(c - r.C) <= 1e-6 * c) ?? r.C;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return new Map([...groups.entries()].sort((p, q) => p[0] - q[0]));
}

/** Approach 2: a profile per budget, then N_opt ∝ C^a and D_opt ∝ C^b through the profiles' optima. */
export function fitIsoFlop(runs: readonly BudgetRun[]): IsoFlopFit {
  const profiles = [...groupByBudget(runs)].map(([C, rs]) => isoFlopProfile(C, rs));
  const withOptimum = profiles.filter((p) => p.optimum !== null);
  if (withOptimum.length < 2) return { profiles, N: null, D: null };
  const logC = withOptimum.map((p) => Math.log(p.C));
  const power = (values: number[]): PowerLaw => {
    const line = fitLine(logC, values.map(Math.log));
    return { k: Math.exp(line.intercept), exponent: line.slope, stderr: line.stderr };
  };
  return { profiles, N: power(withOptimum.map((p) => p.optimum!.N)), D: power(withOptimum.map((p) => p.optimum!.D)) };
}
