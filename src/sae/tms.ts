// Toy Models of Superposition (Elhage et al. 2022, Anthropic;
// https://transformer-circuits.pub/2022/toy_model/index.html): the model, its data, its
// training, and the analyses the paper draws — all over the trained weights, no plotting here.
//
// Shape letters: i instances, b batch, n features, m hidden dimensions (m < n is the
// interesting case: more features than dimensions).
//
// The ReLU output model. Each feature i has a direction W_i in the m-dimensional hidden space
// (a column of W); the input is squeezed into those m dimensions and read back with the same
// W, transposed:
//
//   h  = W x                 W: (m, n)
//   x' = ReLU(Wᵀ h + b)      b: (n)         i.e. x' = ReLU(Wᵀ W x + b)
//
// The linear model x' = Wᵀ W x + b (activation "linear") is the baseline: it can only keep the
// m most important features (PCA), never more, whatever the sparsity.
//
// Data. Each feature is, independently, x_i ~ U[0, 1] with probability p = 1 − S and 0 otherwise
// (S is the sparsity). Correlated groups of features are all present or all absent together;
// of an anticorrelated group at most one feature is present (the paper's "correlated and
// anticorrelated features").
//
// Loss. Feature i matters with importance I_i (here I_i = decay^i); the model minimises the
// importance-weighted squared error
//
//   L = E_x [ Σ_i I_i (x_i − x'_i)² ]
//
// (as the paper's notebook: the mean over the batch and the n features, which is the sum above
// divided by n).
//
// Instances. As in the paper's notebook, many small models are trained at once as one batched
// model with an instance dimension — W: (i, m, n), b: (i, n) — each with its own feature
// probability (and its own importance vector, or a shared one). The total loss is the *sum* of
// the instances' losses, so each instance gets exactly the gradient it would get alone.
//
// Analyses (pure functions over one instance's W and b):
//   WᵀW (n × n)                    which features interfere: (WᵀW)_ij = W_i · W_j
//   ‖W_i‖                          is feature i represented (≈ 1) or dropped (≈ 0)?
//   Σ_{j≠i} (Ŵ_i · W_j)²           how much other features share feature i's direction
//                                   (0: a dedicated dimension; 1: an antipodal pair; more: a
//                                   polygon), Ŵ_i = W_i / ‖W_i‖
//   m / ‖W‖²_F                     dimensions per feature (1 when each of m features has its own)
//   D_i = ‖W_i‖² / Σ_j (Ŵ_i · W_j)²  the fraction of a dimension feature i gets: 1, 1/2 (antipodal
//                                   pair), 2/3 (triangle), 2/5 (pentagon), 3/4 (tetrahedron), …
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import type { DType } from "../tensor/dtype.js";
import { einsum } from "../tensor/ops/linalg.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { Module, parameter } from "../nn/module.js";
import { AdamW } from "../optim/adam.js";

// ---------------------------------------------------------------------------------------------
// configuration

export type ToyActivation = "relu" | "linear";

export interface ToyModelConfig {
  /** n: features. */
  nFeatures: number;
  /** m: hidden dimensions. m ≥ n is allowed (then no feature needs to share a dimension). */
  nHidden: number;
  /** p = 1 − S per instance, each in (0, 1]; their count is the number of instances. */
  featureProbability: readonly number[];
  /** I_i: one vector of n importances for every instance, or one per instance (default all 1). */
  importance?: readonly number[] | readonly (readonly number[])[];
  /** "relu" (default): x' = ReLU(WᵀWx + b); "linear": x' = WᵀWx + b. */
  activation?: ToyActivation;
  /** Features 0 … groups·size − 1 come in correlated groups of `groupSize`: all present or none. */
  correlatedGroups?: number;
  /** The next groups·size features: anticorrelated groups, at most one feature of each present. */
  anticorrelatedGroups?: number;
  /** Features per (anti)correlated group (default 2: the paper's pairs). */
  groupSize?: number;
  /** Seeds the initial weights (default 0). */
  seed?: number;
  /** float32 (default) or float64 (gradient checks). */
  dtype?: DType;
}

/** The configuration with every field checked and filled in. */
export interface ToyModelSpec {
  nInstances: number;
  nFeatures: number;
  nHidden: number;
  featureProbability: number[];
  /** One row of n importances per instance. */
  importance: number[][];
  activation: ToyActivation;
  correlatedGroups: number;
  anticorrelatedGroups: number;
  groupSize: number;
  seed: number;
  dtype: DType;
}

const isCount = (v: unknown, min: number): v is number => typeof v === "number" && Number.isInteger(v) && v >= min;

/** Checks a configuration; every error names the field that is wrong. */
export function toyModelSpec(cfg: ToyModelConfig): ToyModelSpec {
  const fn = "ToyModel";
  if (typeof cfg !== "object" || cfg === null) throw new Error(`${fn}: expected a configuration object`);
  const { nFeatures: n, nHidden: m } = cfg;
  if (!isCount(n, 1)) throw new Error(`${fn}: nFeatures must be an integer ≥ 1, got ${String(n)}`);
  if (!isCount(m, 1)) throw new Error(`${fn}: nHidden must be an integer ≥ 1, got ${String(m)}`);
  const probs = cfg.featureProbability;
  if (!Array.isArray(probs) || probs.length === 0) throw new Error(`${fn}: featureProbability must be a non-empty array (one p = 1 − S per instance), got ${Array.isArray(probs) ? "[]" : String(probs)}`);
  probs.forEach((p, k) => {
    if (typeof p !== "number" || !(p > 0 && p <= 1)) throw new Error(`${fn}: featureProbability[${k}] must be in (0, 1] (sparsity S = 1 − p in [0, 1)), got ${String(p)}`);
  });
  const nInstances = probs.length;
  let importance: number[][];
  const imp = cfg.importance;
  if (imp === undefined) importance = probs.map(() => new Array<number>(n).fill(1));
  else if (Array.isArray(imp) && imp.length > 0 && imp.every((r) => Array.isArray(r))) {
    if (imp.length !== nInstances) throw new Error(`${fn}: importance has ${imp.length} rows but there are ${nInstances} instances (one per featureProbability)`);
    importance = (imp as number[][]).map((r) => [...r]);
  } else if (Array.isArray(imp)) importance = probs.map(() => [...(imp as number[])]);
  else throw new Error(`${fn}: importance must be an array of n numbers or one such array per instance`);
  importance.forEach((row, k) => {
    if (row.length !== n) throw new Error(`${fn}: importance${imp !== undefined && Array.isArray(imp[0]) ? `[${k}]` : ""} has ${row.length} values but nFeatures is ${n}`);
    row.forEach((v, j) => {
      if (typeof v !== "number" || !(v >= 0 && Number.isFinite(v))) throw new Error(`${fn}: importance${Array.isArray(imp?.[0]) ? `[${k}]` : ""}[${j}] must be a finite number ≥ 0, got ${String(v)}`);
    });
  });
  const activation = cfg.activation ?? "relu";
  if (activation !== "relu" && activation !== "linear") throw new Error(`${fn}: activation must be "relu" or "linear", got ${JSON.stringify(activation)}`);
  const correlatedGroups = cfg.correlatedGroups ?? 0;
  const anticorrelatedGroups = cfg.anticorrelatedGroups ?? 0;
  const groupSize = cfg.groupSize ?? 2;
  if (!isCount(correlatedGroups, 0)) throw new Error(`${fn}: correlatedGroups must be an integer ≥ 0, got ${String(correlatedGroups)}`);
  if (!isCount(anticorrelatedGroups, 0)) throw new Error(`${fn}: anticorrelatedGroups must be an integer ≥ 0, got ${String(anticorrelatedGroups)}`);
  if (!isCount(groupSize, 2)) throw new Error(`${fn}: groupSize must be an integer ≥ 2, got ${String(groupSize)}`);
  if ((correlatedGroups + anticorrelatedGroups) * groupSize > n) {
    throw new Error(`${fn}: ${correlatedGroups} correlated and ${anticorrelatedGroups} anticorrelated groups of ${groupSize} need ${(correlatedGroups + anticorrelatedGroups) * groupSize} features, but nFeatures is ${n}`);
  }
  const seed = cfg.seed ?? 0;
  if (!isCount(seed, 0)) throw new Error(`${fn}: seed must be an integer ≥ 0, got ${String(seed)}`);
  const dtype = cfg.dtype ?? "float32";
  if (dtype !== "float32" && dtype !== "float64") throw new Error(`${fn}: dtype must be float32 or float64, got ${String(dtype)}`);
  return { nInstances, nFeatures: n, nHidden: m, featureProbability: [...probs], importance, activation, correlatedGroups, anticorrelatedGroups, groupSize, seed, dtype };
}

/** I_i = decay^i for i = 0 … n − 1 (the paper: 0.9 for n = 20, 0.7 for n = 5). */
export function importanceDecay(n: number, decay: number): number[] {
  if (!(decay > 0 && Number.isFinite(decay))) throw new Error(`importanceDecay: decay must be a positive number, got ${decay}`);
  return Array.from({ length: n }, (_, i) => decay ** i);
}

/**
 * Sparsities on a log scale of 1/(1 − S), from S = 0 (dense) to `maxSparsity`: instance k of N
 * has 1/(1 − S_k) = (1/(1 − S_max))^(k/(N−1)), i.e. p_k = (1 − S_max)^(k/(N−1)). (The notebook's
 * p = 20^(−linspace(0, 1, N)) is S_max = 0.95.)
 */
export function sparsityGrid(nInstances: number, maxSparsity: number): number[] {
  if (!isCount(nInstances, 1)) throw new Error(`sparsityGrid: nInstances must be an integer ≥ 1, got ${nInstances}`);
  if (!(maxSparsity >= 0 && maxSparsity < 1)) throw new Error(`sparsityGrid: maxSparsity must be in [0, 1), got ${maxSparsity}`);
  if (nInstances === 1) return [0];
  return Array.from({ length: nInstances }, (_, k) => 1 - (1 - maxSparsity) ** (k / (nInstances - 1)));
}

// ---------------------------------------------------------------------------------------------
// the model

/**
 * The forward pass, x' = ReLU(Wᵀ W x + b) for every instance at once.
 *   x: (i, b, n)   W: (i, m, n)   b: (i, n)   →   x': (i, b, n)
 */
export function toyForward(x: Tensor, W: Tensor, b: Tensor, activation: ToyActivation = "relu"): Tensor {
  // h = W x: each sample's n features squeezed into m hidden dimensions
  const h = einsum("ibn,imn->ibm", x, W);
  // Wᵀ h + b: read back with the same directions, plus a per-feature bias
  const out = einsum("ibm,imn->ibn", h, W).add(b.unsqueeze(1));
  return activation === "relu" ? out.relu() : out;
}

/**
 * Each instance's loss, E_x [ (1/n) Σ_i I_i (x_i − x'_i)² ] estimated on the batch: (i).
 *   x, xHat: (i, b, n)   importance: (i, n)
 */
export function toyLossPerInstance(x: Tensor, xHat: Tensor, importance: Tensor): Tensor {
  return x.sub(xHat).square().mul(importance.unsqueeze(1)).mean([1, 2]);
}

/** The ReLU output model, many instances in one: W (i, m, n), b (i, n). */
export class ToyModel extends Module {
  readonly spec: ToyModelSpec;
  /** W[k] is instance k's m × n matrix; its column i is feature i's direction W_i. */
  readonly W: Tensor;
  readonly b: Tensor;
  /** I (i, n), a constant of the loss. */
  readonly importance: Tensor;

  constructor(cfg: ToyModelConfig) {
    super();
    const s = (this.spec = toyModelSpec(cfg));
    const { nInstances: I, nFeatures: n, nHidden: m } = s;
    // Xavier-normal per instance, std = √(2 / (m + n)); the bias starts at 0
    const gen = new Generator(s.seed);
    const std = Math.sqrt(2 / (m + n));
    const w = Float64Array.from({ length: I * m * n }, () => std * gen.normal());
    this.W = parameter(tensor(w, { dtype: s.dtype, shape: [I, m, n] }));
    this.b = parameter(tensor(new Float64Array(I * n), { dtype: s.dtype, shape: [I, n] }));
    this.importance = tensor(Float64Array.from(s.importance.flat()), { dtype: s.dtype, shape: [I, n] });
  }

  /** x: (i, b, n) → x': (i, b, n). */
  forward(x: Tensor): Tensor {
    return toyForward(x, this.W, this.b, this.spec.activation);
  }

  /** Each instance's loss on a batch: (i). */
  lossPerInstance(x: Tensor): Tensor {
    return toyLossPerInstance(x, this.forward(x), this.importance);
  }

  /** The weights of every instance as plain numbers, for the analyses below. */
  weights(): ToyWeights[] {
    return noGrad(() => {
      const { nInstances: I, nFeatures: n, nHidden: m } = this.spec;
      const W = this.W.dataSync();
      const b = this.b.dataSync();
      return Array.from({ length: I }, (_, k) => ({
        W: Array.from({ length: m }, (_, r) => Array.from(W.subarray((k * m + r) * n, (k * m + r + 1) * n))),
        b: Array.from(b.subarray(k * n, (k + 1) * n)),
      }));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// data

/** Uniform in [0, 1) from 32 random bits (the data needs millions of draws per second). */
const uniform = (gen: Generator): number => gen.nextUint32() * 2.3283064365386963e-10;

/**
 * A batch of inputs, (i, b, n) row-major: x_i ~ U[0, 1] with probability p (the instance's
 * feature probability), else 0. Correlated groups draw one presence for the whole group;
 * an anticorrelated group is present with probability min(1, size·p) and then exactly one of its
 * features, chosen uniformly, is (so each feature keeps probability p while size·p ≤ 1).
 */
export function sampleToyBatch(spec: ToyModelSpec, batch: number, gen: Generator): Float32Array {
  if (!isCount(batch, 1)) throw new Error(`sampleToyBatch: batch must be an integer ≥ 1, got ${batch}`);
  const { nInstances: I, nFeatures: n, correlatedGroups: cg, anticorrelatedGroups: ag, groupSize: k } = spec;
  const x = new Float32Array(I * batch * n);
  const firstFree = (cg + ag) * k;
  for (let inst = 0; inst < I; inst++) {
    const p = spec.featureProbability[inst]!;
    const pGroup = Math.min(1, k * p);
    for (let s = 0; s < batch; s++) {
      const row = (inst * batch + s) * n;
      for (let g = 0; g < cg; g++) {
        if (uniform(gen) >= p) continue;
        for (let j = 0; j < k; j++) x[row + g * k + j] = uniform(gen);
      }
      for (let g = 0; g < ag; g++) {
        if (uniform(gen) >= pGroup) continue;
        x[row + (cg + g) * k + Math.min(k - 1, Math.floor(uniform(gen) * k))] = uniform(gen);
      }
      // independent features: one draw u decides both — present when u < p, and then u/p is U[0, 1)
      if (p < SKIP_BELOW) continue;
      for (let f = firstFree; f < n; f++) {
        const u = uniform(gen);
        if (u < p) x[row + f] = u / p;
      }
    }
    // Sparse instances: the same Bernoulli(p) presences, drawn as the gaps between present
    // entries (a gap of g absent entries has probability (1 − p)^g p, so g = ⌊ln u / ln(1 − p)⌋),
    // over the instance's (sample, independent feature) entries in order: about p draws per
    // entry instead of one (at S = 0.99, a hundred times fewer).
    const nFree = n - firstFree;
    if (p < SKIP_BELOW && nFree > 0) {
      const logq = Math.log1p(-p);
      const total = batch * nFree;
      for (let t = Math.floor(Math.log(1 - uniform(gen)) / logq); t < total; t += 1 + Math.floor(Math.log(1 - uniform(gen)) / logq)) {
        const s = Math.floor(t / nFree);
        x[(inst * batch + s) * n + firstFree + (t - s * nFree)] = uniform(gen);
      }
    }
  }
  return x;
}

/** Below this feature probability, presences are drawn as gaps (sampleToyBatch). */
const SKIP_BELOW = 0.25;

// ---------------------------------------------------------------------------------------------
// training

export interface ToyTrainOptions {
  /** Optimizer steps (the paper: 10 000). */
  steps?: number;
  /** Samples per step per instance (the paper: 1024). */
  batchSize?: number;
  /** AdamW learning rate, constant (the paper: 1e-3). */
  lr?: number;
  /** AdamW's decoupled weight decay (default 0.01, PyTorch's default, which the notebook keeps). */
  weightDecay?: number;
  /** Seeds the data (default: the model's seed + 1). */
  seed?: number;
  /** Record each instance's training loss every this many steps (default 100; and at the last step). */
  logEvery?: number;
  /** Called with each recorded step and its per-instance losses (progress bars). */
  onLog?: (step: number, losses: number[]) => void;
}

export interface ToyTrainResult {
  /** The steps at which losses were recorded. */
  steps: number[];
  /** losses[t][k]: instance k's training loss at steps[t]. */
  losses: number[][];
  seconds: number;
}

/** Trains every instance of the model in place with AdamW on fresh batches (seeded: same run, same weights). */
export function trainToyModel(model: ToyModel, opts: ToyTrainOptions = {}): ToyTrainResult {
  const fn = "trainToyModel";
  const steps = opts.steps ?? 10_000;
  const batchSize = opts.batchSize ?? 1024;
  const lr = opts.lr ?? 1e-3;
  const weightDecay = opts.weightDecay ?? 0.01;
  const logEvery = opts.logEvery ?? 100;
  if (!isCount(steps, 0)) throw new Error(`${fn}: steps must be an integer ≥ 0, got ${String(steps)}`);
  if (!isCount(batchSize, 1)) throw new Error(`${fn}: batchSize must be an integer ≥ 1, got ${String(batchSize)}`);
  if (!(lr > 0 && Number.isFinite(lr))) throw new Error(`${fn}: lr must be a positive number, got ${String(lr)}`);
  if (!(weightDecay >= 0 && Number.isFinite(weightDecay))) throw new Error(`${fn}: weightDecay must be a number ≥ 0, got ${String(weightDecay)}`);
  if (!isCount(logEvery, 1)) throw new Error(`${fn}: logEvery must be an integer ≥ 1, got ${String(logEvery)}`);
  const spec = model.spec;
  const gen = new Generator(opts.seed ?? spec.seed + 1);
  const opt = new AdamW(model.parameters(), { lr, weightDecay });
  const t0 = performance.now();
  const result: ToyTrainResult = { steps: [], losses: [], seconds: 0 };
  for (let step = 0; step < steps; step++) {
    const log = step % logEvery === 0 || step === steps - 1;
    tidy(() => {
      const x = tensor(sampleToyBatch(spec, batchSize, gen), { dtype: spec.dtype, shape: [spec.nInstances, batchSize, spec.nFeatures] });
      const perInstance = model.lossPerInstance(x);
      opt.zeroGrad();
      perInstance.sum().backward();
      opt.step();
      if (log) {
        const losses = Array.from(perInstance.dataSync());
        result.steps.push(step);
        result.losses.push(losses);
        opts.onLog?.(step, losses);
      }
    });
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/** Each instance's loss on `batches` fresh batches of `batchSize` (a held-out estimate). */
export function evaluateToyModel(model: ToyModel, opts: { batchSize?: number; batches?: number; seed?: number } = {}): number[] {
  const { batchSize = 1024, batches = 4, seed = 0x7e57 } = opts;
  const spec = model.spec;
  const gen = new Generator(seed);
  const total = new Array<number>(spec.nInstances).fill(0);
  for (let t = 0; t < batches; t++) {
    const losses = tidy(() =>
      noGrad(() => {
        const x = tensor(sampleToyBatch(spec, batchSize, gen), { dtype: spec.dtype, shape: [spec.nInstances, batchSize, spec.nFeatures] });
        return Array.from(model.lossPerInstance(x).dataSync());
      }),
    );
    losses.forEach((l, k) => (total[k] += l / batches));
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// analyses: pure functions of one instance's weights

/** One instance's weights: W as m rows of n numbers (column i = W_i), b as n numbers. */
export interface ToyWeights {
  W: number[][];
  b: number[];
}

/** Column i of W: feature i's direction in the hidden space (m numbers). */
export function featureDirection(W: readonly (readonly number[])[], i: number): number[] {
  return W.map((row) => row[i]!);
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, k) => s + v * b[k]!, 0);

/** WᵀW (n × n): (WᵀW)_ij = W_i · W_j — the diagonal is ‖W_i‖², the rest is interference. */
export function gramMatrix(W: readonly (readonly number[])[]): number[][] {
  const n = W[0]?.length ?? 0;
  const cols = Array.from({ length: n }, (_, i) => featureDirection(W, i));
  return cols.map((wi) => cols.map((wj) => dot(wi, wj)));
}

/** ‖W_i‖ for every feature: ≈ 1 represented, ≈ 0 not. */
export function featureNorms(W: readonly (readonly number[])[]): number[] {
  return gramMatrix(W).map((row, i) => Math.sqrt(row[i]!));
}

/**
 * Σ_{j≠i} (Ŵ_i · W_j)² for every feature: how much of the other features lies along W_i
 * (0 for a dedicated dimension, 1 for an antipodal pair). 0 for a feature with W_i = 0.
 */
export function featureSuperposition(W: readonly (readonly number[])[]): number[] {
  const G = gramMatrix(W);
  return G.map((row, i) => {
    const sq = row[i]!;
    if (!(sq > 1e-12)) return 0;
    // (Ŵ_i · W_j)² = (W_i · W_j)² / ‖W_i‖²
    return row.reduce((s, g, j) => (j === i ? s : s + (g * g) / sq), 0);
  });
}

/** Dimensions per feature, m / ‖W‖²_F: 1 when m features each own a dimension, 1/2 for antipodal pairs, … */
export function dimensionsPerFeature(W: readonly (readonly number[])[]): number {
  const frob = W.reduce((s, row) => s + row.reduce((t, v) => t + v * v, 0), 0);
  return W.length / frob;
}

/**
 * Feature dimensionality D_i = ‖W_i‖² / Σ_j (Ŵ_i · W_j)² (the sum includes j = i): the share of
 * a hidden dimension feature i gets. 1 for a dedicated dimension, 1/2 for an antipodal pair, 2/5
 * for a pentagon; 0 for a feature that is not represented.
 */
export function featureDimensionality(W: readonly (readonly number[])[]): number[] {
  const G = gramMatrix(W);
  return G.map((row, i) => {
    const sq = row[i]!;
    if (!(sq > 1e-12)) return 0;
    const total = row.reduce((s, g) => s + (g * g) / sq, 0);
    return sq / total;
  });
}

/** ‖W_i‖ above this counts as "represented" (the paper's figures: ≈ 1 or ≈ 0, little between). */
export const REPRESENTED_NORM = 0.5;
/** Σ_{j≠i} (Ŵ_i · W_j)² above this counts as "in superposition" (an antipodal partner gives 1). */
export const SUPERPOSED = 0.1;

export interface ToyInstanceAnalysis {
  /** WᵀW, n × n. */
  gram: number[][];
  b: number[];
  norms: number[];
  superposition: number[];
  dimensionality: number[];
  dimensionsPerFeature: number;
  /** Features with ‖W_i‖ > REPRESENTED_NORM. */
  represented: number;
  /** Represented features with Σ_{j≠i} (Ŵ_i · W_j)² > SUPERPOSED. */
  inSuperposition: number;
}

/** Every analysis of one instance. */
export function analyzeInstance({ W, b }: ToyWeights): ToyInstanceAnalysis {
  const norms = featureNorms(W);
  const superposition = featureSuperposition(W);
  return {
    gram: gramMatrix(W),
    b: [...b],
    norms,
    superposition,
    dimensionality: featureDimensionality(W),
    dimensionsPerFeature: dimensionsPerFeature(W),
    represented: norms.filter((v) => v > REPRESENTED_NORM).length,
    inSuperposition: norms.filter((v, i) => v > REPRESENTED_NORM && superposition[i]! > SUPERPOSED).length,
  };
}

// ---------------------------------------------------------------------------------------------
// the phase diagram: does one extra feature get a dimension, share one, or get none?

export type PhaseKind = "not represented" | "dedicated dimension" | "superposition";

/**
 * The paper's classification of one trained cell of the phase diagram, for feature k (the
 * extra feature whose relative importance varies; the last one by default):
 *   "not represented"      ‖W_k‖ < REPRESENTED_NORM: the model ignores it;
 *   "dedicated dimension"  represented, and no other feature lies along it —
 *                          Σ_{j≠k} (Ŵ_k · W_j)² < 1/4 (with n = 2, m = 1: feature 1 gave way);
 *   "superposition"        represented and sharing its direction: with n = 2, m = 1, W_1 and
 *                          W_2 antipodal (W_1 ≈ −W_2).
 */
export function classifyPhase(W: readonly (readonly number[])[], k = (W[0]?.length ?? 1) - 1): PhaseKind {
  const norm = featureNorms(W)[k]!;
  if (!(norm >= REPRESENTED_NORM)) return "not represented";
  return featureSuperposition(W)[k]! < 0.25 ? "dedicated dimension" : "superposition";
}

/** The cosine of the angle between W_i and W_j (0 when either is 0): −1 for an antipodal pair. */
export function featureCosine(W: readonly (readonly number[])[], i: number, j: number): number {
  const a = featureDirection(W, i);
  const c = featureDirection(W, j);
  const d = Math.sqrt(dot(a, a) * dot(c, c));
  return d > 1e-12 ? dot(a, c) / d : 0;
}
