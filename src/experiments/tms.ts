// The experiments of "Toy Models of Superposition" (Elhage et al. 2022), scaled so that the
// default runs take about a minute on a laptop CPU; TMS_FULL has the paper's (its notebook's)
// sizes. Each trains a batched ToyModel (src/sae/tms.ts) and returns the analyses of its
// instances.
//
//   superpositionSweep   n = 20 features in m = 5 dimensions, importance 0.9^i, one instance per
//                        sparsity: dense → the m most important features, each in its own
//                        dimension; sparse → more and more features share the dimensions
//                        (the paper's WᵀW / ‖W_i‖ figure). With m = 2 (n = 5) the columns W_i
//                        are drawn in the hidden plane: digons, triangles, pentagons.
//   dimensionalitySweep  many features of equal importance in a few dimensions: the share of a
//                        dimension each feature gets, D_i, sticks at 1, 3/4, 2/3, 1/2, 2/5, …
//                        as sparsity grows (the "feature dimensionality" figure).
//   phaseDiagram         2 features in 1 dimension over (sparsity, relative importance of
//                        feature 2): is feature 2 dropped, given the dimension, or stored in
//                        superposition (antipodal to feature 1)?
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import {
  analyzeInstance,
  classifyPhase,
  evaluateToyModel,
  sampleToyBatch,
  toyModelSpec,
  featureCosine,
  importanceDecay,
  REPRESENTED_NORM,
  sparsityGrid,
  ToyModel,
  trainToyModel,
  type PhaseKind,
  type ToyActivation,
  type ToyInstanceAnalysis,
  type ToyTrainOptions,
  type ToyWeights,
} from "../sae/tms.js";

/** Training settings every experiment takes. */
export interface TmsTrainSettings {
  steps?: number;
  batchSize?: number;
  lr?: number;
  weightDecay?: number;
  seed?: number;
  /** Progress: called with the experiment's name, the step, and the number of steps. */
  onProgress?: (experiment: string, step: number, steps: number) => void;
}

export interface SuperpositionSweepOptions extends TmsTrainSettings {
  nFeatures?: number;
  nHidden?: number;
  /** One instance per sparsity; default nInstances sparsities on a log grid of 1/(1 − S). */
  nInstances?: number;
  maxSparsity?: number;
  sparsities?: number[];
  /** I_i = decay^i (1 = uniform importance). */
  importanceDecay?: number;
  activation?: ToyActivation;
  correlatedGroups?: number;
  anticorrelatedGroups?: number;
  groupSize?: number;
  /** Also train the linear model x' = WᵀWx + b on the same sweep (default false). */
  linearBaseline?: boolean;
}

/** One trained sweep: its settings, and per instance the weights and their analyses. */
export interface SweepResult {
  nFeatures: number;
  nHidden: number;
  activation: ToyActivation;
  sparsities: number[];
  /** The importance vector (the same for every instance). */
  importance: number[];
  correlatedGroups: number;
  anticorrelatedGroups: number;
  groupSize: number;
  steps: number;
  batchSize: number;
  lr: number;
  weights: ToyWeights[];
  analyses: ToyInstanceAnalysis[];
  /** Each instance's loss on held-out batches after training. */
  loss: number[];
  /** Training losses: steps recorded, and losses[t][instance]. */
  lossSteps: number[];
  lossHistory: number[][];
  seconds: number;
  /** The linear model on the same sparsities, when asked for. */
  linear?: SweepResult;
}

/**
 * The two scales: the defaults here (about a minute for all four on a 2-core laptop), and the
 * paper's notebook (`--full`). The quick runs take fewer steps at a higher learning rate (1e-2
 * instead of 1e-3): at 1e-3, 3000 steps leave some dense instances unconverged (measured: n = 5,
 * m = 2 with one seed still had ‖W_0‖ = 0.4), while at 1e-2 the same runs end where 10 000 steps
 * at 1e-3 do.
 */
export const TMS_QUICK = {
  superposition: { nFeatures: 20, nHidden: 5, nInstances: 10, maxSparsity: 0.999, importanceDecay: 0.9, steps: 3000, batchSize: 1024, lr: 1e-2 },
  geometry: { nFeatures: 5, nHidden: 2, nInstances: 8, maxSparsity: 0.99, importanceDecay: 0.9, steps: 3000, batchSize: 1024, lr: 1e-2 },
  dimensionality: { nFeatures: 100, nHidden: 10, nInstances: 12, maxSparsity: 0.95, importanceDecay: 1, steps: 2000, batchSize: 256, lr: 1e-2 },
  phase: { densities: 8, importances: 9, restarts: 4, steps: 2000, batchSize: 256, lr: 1e-2 },
} as const;

export const TMS_FULL = {
  superposition: { nFeatures: 20, nHidden: 5, nInstances: 20, maxSparsity: 0.999, importanceDecay: 0.9, steps: 10_000, batchSize: 1024, lr: 1e-3 },
  geometry: { nFeatures: 5, nHidden: 2, nInstances: 10, maxSparsity: 0.99, importanceDecay: 0.9, steps: 10_000, batchSize: 1024, lr: 1e-3 },
  // the notebook's "feature geometry" section: 200 features in 20 dimensions, p = 20^(−linspace(0, 1, 20))
  dimensionality: { nFeatures: 200, nHidden: 20, nInstances: 20, maxSparsity: 0.95, importanceDecay: 1, steps: 10_000, batchSize: 1024, lr: 1e-3 },
  phase: { densities: 15, importances: 15, restarts: 3, steps: 10_000, batchSize: 1024, lr: 1e-3 },
} as const;

function trainOptions(s: TmsTrainSettings, name: string, fallback: { steps: number; batchSize: number; lr: number }): ToyTrainOptions {
  const steps = s.steps ?? fallback.steps;
  return {
    steps,
    batchSize: s.batchSize ?? fallback.batchSize,
    lr: s.lr ?? fallback.lr,
    weightDecay: s.weightDecay,
    logEvery: Math.max(1, Math.floor(steps / 100)),
    ...(s.onProgress ? { onLog: (step: number) => s.onProgress!(name, step, steps) } : {}),
  };
}

/** Trains one instance per sparsity and analyses each (the paper's main sweep). */
export function superpositionSweep(opts: SuperpositionSweepOptions = {}, name = "superposition"): SweepResult {
  const q = TMS_QUICK.superposition;
  const nFeatures = opts.nFeatures ?? q.nFeatures;
  const nHidden = opts.nHidden ?? q.nHidden;
  const sparsities = opts.sparsities ?? sparsityGrid(opts.nInstances ?? q.nInstances, opts.maxSparsity ?? q.maxSparsity);
  sparsities.forEach((s, k) => {
    if (typeof s !== "number" || !(s >= 0 && s < 1)) throw new Error(`superpositionSweep: sparsities[${k}] must be in [0, 1), got ${String(s)}`);
  });
  const importance = importanceDecay(nFeatures, opts.importanceDecay ?? q.importanceDecay);
  const activation = opts.activation ?? "relu";
  const seed = opts.seed ?? 0;
  const model = new ToyModel({
    nFeatures,
    nHidden,
    featureProbability: sparsities.map((s) => 1 - s),
    importance,
    activation,
    correlatedGroups: opts.correlatedGroups,
    anticorrelatedGroups: opts.anticorrelatedGroups,
    groupSize: opts.groupSize,
    seed,
  });
  const train = trainOptions(opts, name, q);
  const t0 = performance.now();
  const history = trainToyModel(model, train);
  const weights = model.weights();
  const result: SweepResult = {
    nFeatures,
    nHidden,
    activation,
    sparsities,
    importance,
    correlatedGroups: model.spec.correlatedGroups,
    anticorrelatedGroups: model.spec.anticorrelatedGroups,
    groupSize: model.spec.groupSize,
    steps: train.steps!,
    batchSize: train.batchSize!,
    lr: train.lr!,
    weights,
    analyses: weights.map(analyzeInstance),
    loss: evaluateToyModel(model, { batchSize: train.batchSize }),
    lossSteps: history.steps,
    lossHistory: history.losses,
    seconds: (performance.now() - t0) / 1000,
  };
  if (opts.linearBaseline && activation === "relu") {
    result.linear = superpositionSweep({ ...opts, sparsities, activation: "linear", linearBaseline: false }, `${name} (linear)`);
  }
  return result;
}

/** The feature-dimensionality sweep: uniform importance, many features, a few dimensions. */
export function dimensionalitySweep(opts: SuperpositionSweepOptions = {}): SweepResult {
  const q = TMS_QUICK.dimensionality;
  return superpositionSweep(
    {
      nFeatures: q.nFeatures,
      nHidden: q.nHidden,
      nInstances: q.nInstances,
      maxSparsity: q.maxSparsity,
      importanceDecay: 1,
      ...opts,
      steps: opts.steps ?? q.steps,
      batchSize: opts.batchSize ?? q.batchSize,
      lr: opts.lr ?? q.lr,
    },
    "dimensionality",
  );
}

/** The fractions feature dimensionalities stick to (the paper's dimensionality figure). */
export const STICKY_FRACTIONS: { value: number; label: string; shape: string }[] = [
  { value: 1, label: "1", shape: "a dedicated dimension" },
  { value: 3 / 4, label: "3/4", shape: "tetrahedron" },
  { value: 2 / 3, label: "2/3", shape: "triangle" },
  { value: 1 / 2, label: "1/2", shape: "digon (antipodal pair)" },
  { value: 2 / 5, label: "2/5", shape: "pentagon" },
  { value: 1 / 3, label: "1/3", shape: "hexagon" },
];

/** The D_i of the represented features (‖W_i‖ > REPRESENTED_NORM): the others' D_i says nothing. */
export function representedDimensionalities(a: ToyInstanceAnalysis): number[] {
  return a.dimensionality.filter((_, i) => a.norms[i]! > REPRESENTED_NORM);
}

/** How many of the values lie within `tol` of each sticky fraction, and how many elsewhere. */
export function stickyCounts(values: readonly number[], tol = 0.025): { label: string; count: number }[] {
  const counts = STICKY_FRACTIONS.map((f) => ({ label: f.label, count: 0 }));
  let other = 0;
  for (const v of values) {
    const k = STICKY_FRACTIONS.findIndex((f) => Math.abs(f.value - v) <= tol);
    if (k >= 0) counts[k]!.count++;
    else other++;
  }
  return [...counts, { label: "other", count: other }];
}

// ---------------------------------------------------------------------------------------------
// the phase diagram

export interface PhaseDiagramOptions extends TmsTrainSettings {
  /** n (default 2) and m (default 1): features 1 … n − 1 have importance 1, feature n has r. */
  nFeatures?: number;
  nHidden?: number;
  /** Feature densities 1 − S (default: `densities` of them from 1 to 0.01 on a log scale). */
  densities?: number[] | number;
  /** Relative importances r of the last feature (default: `importances` from 0.1 to 10, log scale). */
  importances?: number[] | number;
  /**
   * Instances trained per cell; the one with the lowest held-out loss is kept (default 4). One
   * start is not enough: with sparse features, W_1 ≈ +W_2 (both features along the same
   * direction, a negative bias cutting the overlap) is a local minimum that many random starts
   * fall into.
   */
  restarts?: number;
}

export interface PhaseCell {
  sparsity: number;
  importance: number;
  kind: PhaseKind;
  /** The kept restart's W (m × n) and b. */
  W: number[][];
  b: number[];
  loss: number;
  /** cos(W_1, W_n): −1 when the two are antipodal. */
  cosine: number;
}

export interface PhaseDiagramResult {
  nFeatures: number;
  nHidden: number;
  densities: number[];
  importances: number[];
  /** cells[a][d]: importance a (rows), density d (columns). */
  cells: PhaseCell[][];
  steps: number;
  restarts: number;
  seconds: number;
}

/** A log-spaced grid from a to b with `count` points. */
export function logGrid(a: number, b: number, count: number): number[] {
  if (!(Number.isInteger(count) && count >= 1)) throw new Error(`logGrid: count must be an integer ≥ 1, got ${count}`);
  if (count === 1) return [a];
  return Array.from({ length: count }, (_, k) => a * (b / a) ** (k / (count - 1)));
}

/**
 * Held-out losses of every instance, the restarts of a cell all on the same samples (common
 * random numbers): at S = 0.99 the loss comes from the rare samples with both features present,
 * and restarts scored on different samples would be ranked by luck.
 */
function cellLosses(model: ToyModel, restarts: number, batchSize = 16384, batches = 2): number[] {
  const s = model.spec;
  const cells = s.nInstances / restarts;
  const one = (k: number) => k * restarts;
  const cellSpec = toyModelSpec({ nFeatures: s.nFeatures, nHidden: s.nHidden, featureProbability: Array.from({ length: cells }, (_, c) => s.featureProbability[one(c)]!), importance: Array.from({ length: cells }, (_, c) => s.importance[one(c)]!) });
  const gen = new Generator(0x7e57);
  const total = new Array<number>(s.nInstances).fill(0);
  const cellSize = batchSize * s.nFeatures;
  for (let t = 0; t < batches; t++) {
    const xc = sampleToyBatch(cellSpec, batchSize, gen);
    const x = new Float32Array(s.nInstances * cellSize);
    for (let i = 0; i < s.nInstances; i++) x.set(xc.subarray(Math.floor(i / restarts) * cellSize, (Math.floor(i / restarts) + 1) * cellSize), i * cellSize);
    const losses = tidy(() => noGrad(() => Array.from(model.lossPerInstance(tensor(x, { shape: [s.nInstances, batchSize, s.nFeatures] })).dataSync())));
    losses.forEach((l, i) => (total[i] += l / batches));
  }
  return total;
}

/**
 * Trains every (density, relative importance) cell — restarts instances each, all in one batched
 * model — and classifies the best restart of each cell (classifyPhase).
 */
export function phaseDiagram(opts: PhaseDiagramOptions = {}): PhaseDiagramResult {
  const q = TMS_QUICK.phase;
  const n = opts.nFeatures ?? 2;
  const m = opts.nHidden ?? 1;
  const densities = Array.isArray(opts.densities) ? opts.densities : logGrid(1, 0.01, opts.densities ?? q.densities);
  const importances = Array.isArray(opts.importances) ? opts.importances : logGrid(0.1, 10, opts.importances ?? q.importances);
  const restarts = opts.restarts ?? q.restarts;
  if (!(Number.isInteger(restarts) && restarts >= 1)) throw new Error(`phaseDiagram: restarts must be an integer ≥ 1, got ${String(restarts)}`);
  densities.forEach((p, k) => {
    if (!(p > 0 && p <= 1)) throw new Error(`phaseDiagram: densities[${k}] must be in (0, 1], got ${String(p)}`);
  });
  importances.forEach((r, k) => {
    if (!(r > 0 && Number.isFinite(r))) throw new Error(`phaseDiagram: importances[${k}] must be a positive number, got ${String(r)}`);
  });
  // instance index: ((a · densities) + d) · restarts + k
  const featureProbability: number[] = [];
  const importance: number[][] = [];
  for (const r of importances) {
    for (const p of densities) {
      for (let k = 0; k < restarts; k++) {
        featureProbability.push(p);
        importance.push([...new Array<number>(n - 1).fill(1), r]);
      }
    }
  }
  const model = new ToyModel({ nFeatures: n, nHidden: m, featureProbability, importance, seed: opts.seed ?? 0 });
  const train = trainOptions(opts, "phase", q);
  const t0 = performance.now();
  trainToyModel(model, train);
  const loss = cellLosses(model, restarts);
  const weights = model.weights();
  const cells = importances.map((r, a) =>
    densities.map((p, d) => {
      const first = (a * densities.length + d) * restarts;
      let best = first;
      for (let k = first + 1; k < first + restarts; k++) if (loss[k]! < loss[best]!) best = k;
      const w = weights[best]!;
      return { sparsity: 1 - p, importance: r, kind: classifyPhase(w.W), W: w.W, b: w.b, loss: loss[best]!, cosine: featureCosine(w.W, 0, n - 1) };
    }),
  );
  return { nFeatures: n, nHidden: m, densities, importances, cells, steps: train.steps!, restarts, seconds: (performance.now() - t0) / 1000 };
}
