// How sure is a fit? The bootstrap (Efron 1979): draw n runs with replacement from the n runs,
// refit, and repeat; the spread of the refitted quantities over the resamples estimates their
// sampling spread. A 95% interval is the 2.5th to 97.5th percentile of the resampled values
// (the percentile interval). It shows the uncertainty that comes from which runs were made and
// their loss noise; not the modelling error of the law's form itself.
import { Generator } from "../tensor/random.js";
import { fitScalingLaw, type LawFit, type Observation } from "./fit.js";
import { fitIsoFlop, type BudgetRun } from "./isoflop.js";
import { computeOptimal, hasComputeOptimum, optimalExponents, type ScalingLaw } from "./law.js";

export interface Interval {
  /** The estimate from all runs. */
  estimate: number;
  /** The interval's ends (percentiles of the resampled values); NaN when no resample gave a value. */
  lo: number;
  hi: number;
  /** Resamples that gave a finite value. */
  n: number;
}

/** The q-quantile of sorted values, interpolating between neighbours (NumPy's default, "linear"). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  const frac = pos - i;
  return i + 1 < sorted.length ? sorted[i]! * (1 - frac) + sorted[i + 1]! * frac : sorted[i]!;
}

/** The percentile interval of `level` (e.g. 0.95) of the finite values. */
export function percentileInterval(estimate: number, values: readonly number[], level = 0.95): Interval {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return { estimate, lo: quantile(finite, tail), hi: quantile(finite, 1 - tail), n: finite.length };
}

export interface BootstrapOptions {
  /** Resamples (default 200). */
  samples?: number;
  seed?: number;
  /** Interval level (default 0.95). */
  level?: number;
  /** Budgets (FLOPs) at which to give the compute-optimal N, D and D/N with intervals. */
  budgets?: number[];
  /** Called after each resample (for a progress bar). */
  onSample?: (done: number, total: number) => void;
}

export interface LawBootstrap {
  samples: number;
  level: number;
  /** The refitted law of each resample. */
  laws: ScalingLaw[];
  E: Interval;
  A: Interval;
  B: Interval;
  alpha: Interval;
  beta: Interval;
  /** Compute-optimal exponents N_opt ∝ C^a, D_opt ∝ C^b (a = β/(α+β), b = α/(α+β)). */
  a: Interval;
  b: Interval;
  /** Per budget: N_opt, D_opt and tokens per parameter D_opt / N_opt. */
  optimal: { C: number; N: Interval; D: Interval; tokensPerParameter: Interval }[];
}

/** The compute optimum, or NaNs where the law has none (α ≤ 0 or β ≤ 0, or a coefficient overflowed). */
function optimumOrNaN(law: ScalingLaw, C: number): { N: number; D: number; tokensPerParameter: number } {
  if (!hasComputeOptimum(law)) return { N: NaN, D: NaN, tokensPerParameter: NaN };
  return computeOptimal(law, C);
}

/**
 * Bootstrap intervals of the approach-3 fit. Each resample is refitted from the distinct optima
 * that the full grid found (fit.optima) rather than from the whole grid again: the grid's job is
 * to find the basins, and a resample's optimum lies in one of them (200 resamples × 4500 starts
 * would take minutes).
 */
export function bootstrapLawFit(obs: readonly Observation[], fit: LawFit, opts: BootstrapOptions = {}): LawBootstrap {
  const samples = opts.samples ?? 200;
  const level = opts.level ?? 0.95;
  if (!(Number.isSafeInteger(samples) && samples >= 1)) throw new Error(`bootstrap: samples must be an integer ≥ 1, got ${samples}`);
  if (!(level > 0 && level < 1)) throw new Error(`bootstrap: level must be in (0, 1), got ${level}`);
  const gen = new Generator(opts.seed ?? 0);
  const laws: ScalingLaw[] = [];
  for (let s = 0; s < samples; s++) {
    const resample = Array.from({ length: obs.length }, () => obs[gen.randint(0, obs.length)]!);
    laws.push(fitScalingLaw(resample, { starts: fit.optima }).law);
    opts.onSample?.(s + 1, samples);
  }
  const interval = (estimate: number, pick: (l: ScalingLaw) => number) => percentileInterval(estimate, laws.map(pick), level);
  const exps = optimalExponents(fit.law);
  const law = fit.law;
  return {
    samples,
    level,
    laws,
    E: interval(law.E, (l) => l.E),
    A: interval(law.A, (l) => l.A),
    B: interval(law.B, (l) => l.B),
    alpha: interval(law.alpha, (l) => l.alpha),
    beta: interval(law.beta, (l) => l.beta),
    a: interval(exps.a, (l) => (hasComputeOptimum(l) ? optimalExponents(l).a : NaN)),
    b: interval(exps.b, (l) => (hasComputeOptimum(l) ? optimalExponents(l).b : NaN)),
    optimal: (opts.budgets ?? []).map((C) => {
      const best = optimumOrNaN(law, C);
      const each = laws.map((l) => optimumOrNaN(l, C));
      return {
        C,
        N: percentileInterval(best.N, each.map((o) => o.N), level),
        D: percentileInterval(best.D, each.map((o) => o.D), level),
        tokensPerParameter: percentileInterval(best.tokensPerParameter, each.map((o) => o.tokensPerParameter), level),
      };
    }),
  };
}

export interface IsoFlopBootstrap {
  samples: number;
  level: number;
  /** Exponents of N_opt ∝ C^a and D_opt ∝ C^b. */
  a: Interval;
  b: Interval;
}

/**
 * Bootstrap intervals of the IsoFLOP exponents: runs are resampled within each budget (so every
 * budget keeps its number of runs); a resample where fewer than two budgets have a valley
 * gives no value, and the intervals' n says how many did.
 */
export function bootstrapIsoFlop(runs: readonly BudgetRun[], opts: Omit<BootstrapOptions, "budgets"> = {}): IsoFlopBootstrap {
  const samples = opts.samples ?? 200;
  const level = opts.level ?? 0.95;
  const gen = new Generator(opts.seed ?? 0);
  const full = fitIsoFlop(runs);
  const groups = full.profiles.map((p) => p.runs);
  const aValues: number[] = [];
  const bValues: number[] = [];
  for (let s = 0; s < samples; s++) {
    const resample = groups.flatMap((g) => Array.from({ length: g.length }, () => g[gen.randint(0, g.length)]!));
    const fit = fitIsoFlop(resample);
    aValues.push(fit.N?.exponent ?? NaN);
    bValues.push(fit.D?.exponent ?? NaN);
    opts.onSample?.(s + 1, samples);
  }
  return { samples, level, a: percentileInterval(full.N?.exponent ?? NaN, aValues, level), b: percentileInterval(full.D?.exponent ?? NaN, bValues, level) };
}
