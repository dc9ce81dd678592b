// Scaling laws: counting parameters and FLOPs, the Chinchilla law and its fits (approach 3:
// Huber on log-loss with L-BFGS; approach 2: IsoFLOP parabolas), bootstrap intervals, and the
// record of a run. The sweep that trains the runs is an experiment: src/experiments/scaling-sweep.ts.
export { countParameters, chinchillaFlops, kaplanFlops, type ParameterCounts, type ForwardFlops } from "./counting.js";
export { predictLoss, computeOptimal, optimalExponents, hasComputeOptimum, checkLaw, type ScalingLaw, type ComputeOptimal } from "./law.js";
export { CHINCHILLA, GOPHER_BUDGET, chinchillaOptimal } from "./chinchilla.js";
export { lbfgs, type Objective, type LbfgsOptions, type LbfgsResult } from "./lbfgs.js";
export { fitScalingLaw, huberObjective, huber, gridStarts, lawFromTheta, checkObservations, CHINCHILLA_GRID, COARSE_GRID, type Observation, type LawFit, type FitOptions, type StartGrid } from "./fit.js";
export { fitIsoFlop, isoFlopProfile, fitParabola, fitLine, groupByBudget, type BudgetRun, type IsoFlopFit, type IsoFlopProfile, type Parabola, type PowerLaw } from "./isoflop.js";
export { bootstrapLawFit, bootstrapIsoFlop, percentileInterval, quantile, type Interval, type LawBootstrap, type IsoFlopBootstrap, type BootstrapOptions } from "./bootstrap.js";
export { parseRuns, formatRuns, checkRunRecord, observations, budgetRuns, runParams, type RunRecord, type ParamCount } from "./runs.js";
export { analyzeRuns, type ScalingAnalysis, type AnalysisOptions } from "./analysis.js";
