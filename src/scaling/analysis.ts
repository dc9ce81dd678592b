// Everything `dgpt scaling fit` reports about a sweep's runs, in one object (also its JSON):
// the approach-3 law with bootstrap intervals, the compute-optimal allocation at chosen budgets,
// the IsoFLOP profiles (approach 2) when the sweep had budgets, and the published Chinchilla law
// for comparison.
import { bootstrapIsoFlop, bootstrapLawFit, type IsoFlopBootstrap, type LawBootstrap } from "./bootstrap.js";
import { CHINCHILLA } from "./chinchilla.js";
import { fitScalingLaw, type LawFit, type StartGrid } from "./fit.js";
import { fitIsoFlop, type IsoFlopFit } from "./isoflop.js";
import type { ScalingLaw } from "./law.js";
import { budgetRuns, observations, type ParamCount, type RunRecord } from "./runs.js";

export interface AnalysisOptions {
  /** N as every parameter (Chinchilla) or without embeddings (Kaplan). Default "total". */
  count?: ParamCount;
  /** Bootstrap resamples (0: none). Default 200. */
  bootstrap?: number;
  seed?: number;
  /** Budgets for the compute-optimal allocation; default: the sweep's budgets, else its smallest and largest C. */
  budgets?: number[];
  /** Starting grid of the fit (default: the paper's 4500 starts). */
  starts?: StartGrid;
  onSample?: (done: number, total: number) => void;
}

export interface ScalingAnalysis {
  count: ParamCount;
  runs: RunRecord[];
  /** C = 6 N D of each run, N as counted. */
  compute: number[];
  fit: LawFit;
  bootstrap: LawBootstrap | null;
  /** The budgets of bootstrap.optimal (also without a bootstrap). */
  budgets: number[];
  isoflop: IsoFlopFit | null;
  isoflopBootstrap: IsoFlopBootstrap | null;
  chinchilla: ScalingLaw;
}

export function analyzeRuns(runs: readonly RunRecord[], opts: AnalysisOptions = {}): ScalingAnalysis {
  const count = opts.count ?? "total";
  const obs = observations(runs, count);
  const compute = obs.map((o) => 6 * o.N * o.D);
  const tagged = budgetRuns(runs, count);
  const sweepBudgets = [...new Set(tagged.map((r) => r.C))].sort((a, b) => a - b);
  const budgets = opts.budgets ?? (sweepBudgets.length > 0 ? sweepBudgets : [Math.min(...compute), Math.max(...compute)]);
  for (const C of budgets) if (!(C > 0) || !Number.isFinite(C)) throw new Error(`budgets must be positive numbers of FLOPs, got ${C}`);
  const fit = fitScalingLaw(obs, opts.starts ? { starts: opts.starts } : {});
  const samples = opts.bootstrap ?? 200;
  const bootstrap = samples > 0 ? bootstrapLawFit(obs, fit, { samples, seed: opts.seed ?? 0, budgets, onSample: opts.onSample }) : null;
  const isoflop = tagged.length > 0 ? fitIsoFlop(tagged) : null;
  const isoflopBootstrap = isoflop?.N && samples > 0 ? bootstrapIsoFlop(tagged, { samples, seed: opts.seed ?? 0 }) : null;
  return { count, runs: [...runs], compute, fit, bootstrap, budgets, isoflop, isoflopBootstrap, chinchilla: { ...CHINCHILLA } };
}
