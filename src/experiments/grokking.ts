// Grokking modular addition (Power et al. 2022; Nanda et al. 2023): a one-layer transformer is
// trained full-batch on a fraction of all p² sums a + b mod p. It memorises the training pairs
// first (train loss falls, test loss rises), then — with weight decay — much later generalises
// (test accuracy jumps to ~100%), having built a circuit that adds by rotating waves of a few key
// frequencies. This file trains the model and measures Nanda et al.'s progress measures over
// training (src/interp/fourier.ts has the Fourier analysis itself):
//
//   trainGrokking    the paper's setup: prompt "a b =", answer (a + b) mod p at the last position,
//                    1 layer, no LayerNorm, ReLU MLP, learned positions, untied embed/unembed,
//                    full-batch AdamW; train/test loss and accuracy and Σ‖θ‖² every evalEvery
//                    steps, and the weights every snapshotEvery steps for the analysis below
//   analyzeGrokking  key frequencies (from the final logits), W_E's Fourier spectrum, and the
//                    restricted and excluded losses of every snapshot
import { modularArithmetic } from "../data/tasks/modular.js";
import { excludedLogits, frequencyNorms, gridLossAccuracy, logitFourierNorms2d, restrictedLogits, sumFrequencyNorms } from "../interp/fourier.js";
import { HookedTransformer } from "../models/gpt/model.js";
import { AdamW } from "../optim/adam.js";
import { noGrad } from "../tensor/autograd.js";
import { tensor } from "../tensor/creation.js";
import { crossEntropy } from "../tensor/ops/nn.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";

export interface GrokkingConfig {
  /** The modulus (odd, so every frequency has a cos and a sin; the paper: the prime 113). */
  p: number;
  /** Share of the p² pairs used for training (the paper: 0.3). */
  trainFrac: number;
  dModel: number;
  nHeads: number;
  dMlp: number;
  /** Std of the normal initialisation of every weight matrix (the paper: 1/√d_model). */
  initStd: number;
  lr: number;
  /** AdamW's decoupled weight decay, on every parameter as torch.optim.AdamW(model.parameters()) does. */
  weightDecay: number;
  betas: [number, number];
  /** Linear warmup of the learning rate over this many steps (the paper: 10). */
  warmupSteps: number;
  /** Full-batch steps, one per epoch (the paper: 40 000). */
  steps: number;
  evalEvery: number;
  /** Keep the weights every this many steps for the restricted/excluded losses (0 = never). */
  snapshotEvery: number;
  seed: number;
}

/** Nanda et al.'s mainline run (§3, Appendix A). */
export const GROKKING_FULL: GrokkingConfig = {
  p: 113,
  trainFrac: 0.3,
  dModel: 128,
  nHeads: 4,
  dMlp: 512,
  initStd: 1 / Math.sqrt(128),
  lr: 1e-3,
  weightDecay: 1,
  betas: [0.9, 0.98],
  warmupSteps: 10,
  steps: 40_000,
  evalEvery: 100,
  snapshotEvery: 500,
  seed: 0,
};

/**
 * The quick scale: minutes on a 2-core laptop. A smaller p and model, 40% of the pairs for
 * training, and 9× the paper's weight decay per step (lr 3e-3 × λ 3 against 1e-3 × 1): AdamW
 * shrinks the weights by lr·λ each step, and it is this decay that drives the memorising solution
 * out, so grokking comes ~10× sooner (measured: test accuracy 0.92 at step 750, train accuracy
 * 1.0 by step 250).
 */
export const GROKKING_QUICK: GrokkingConfig = {
  ...GROKKING_FULL,
  p: 53,
  trainFrac: 0.4,
  dModel: 64,
  dMlp: 256,
  initStd: 1 / Math.sqrt(64),
  lr: 3e-3,
  weightDecay: 3,
  steps: 1500,
  evalEvery: 10,
  snapshotEvery: 50,
};

export interface GrokkingPoint {
  step: number;
  trainLoss: number;
  testLoss: number;
  trainAcc: number;
  testAcc: number;
  /** Σ over every parameter of its squared entries (the paper's "total sum of squared weights"). */
  weightNormSq: number;
}

export interface GrokkingRun {
  config: GrokkingConfig;
  model: HookedTransformer;
  /** Inputs as a·p + b (the row of a logits grid) and their answers, per split. */
  train: { inputs: Int32Array; labels: Int32Array };
  test: { inputs: Int32Array; labels: Int32Array };
  history: GrokkingPoint[];
  snapshots: { step: number; weights: Map<string, Float32Array> }[];
  seconds: number;
}

/** Checks a config, naming the field that is wrong. */
export function checkGrokkingConfig(c: GrokkingConfig): GrokkingConfig {
  const int = (k: keyof GrokkingConfig, min: number) => {
    if (!Number.isSafeInteger(c[k]) || (c[k] as number) < min) throw new Error(`grokking: ${k} must be an integer ≥ ${min}, got ${JSON.stringify(c[k])}`);
  };
  int("p", 3);
  if (c.p % 2 === 0) throw new Error(`grokking: p must be odd (the Fourier analysis pairs each cos with a sin), got ${c.p}`);
  if (c.p > 257) throw new Error(`grokking: p must be ≤ 257 (the analysis holds p³ logits), got ${c.p}`);
  if (!(c.trainFrac > 0 && c.trainFrac < 1)) throw new Error(`grokking: trainFrac must be in (0, 1), got ${c.trainFrac}`);
  for (const k of ["dModel", "nHeads", "dMlp", "steps", "evalEvery"] as const) int(k, 1);
  for (const k of ["warmupSteps", "snapshotEvery", "seed"] as const) int(k, 0);
  if (c.dModel % c.nHeads !== 0) throw new Error(`grokking: dModel (${c.dModel}) must be a multiple of nHeads (${c.nHeads})`);
  if (!(c.lr > 0 && Number.isFinite(c.lr))) throw new Error(`grokking: lr must be a positive number, got ${c.lr}`);
  if (!(c.weightDecay >= 0 && Number.isFinite(c.weightDecay))) throw new Error(`grokking: weightDecay must be ≥ 0, got ${c.weightDecay}`);
  if (!(c.initStd > 0 && Number.isFinite(c.initStd))) throw new Error(`grokking: initStd must be positive, got ${c.initStd}`);
  return c;
}

/** The paper's model: 1 layer, no LayerNorm, ReLU, learned positions, untied embeddings; vocab 0 … p−1 and "=" (id p). */
export function grokkingModel(c: GrokkingConfig): HookedTransformer {
  return new HookedTransformer({
    n_layers: 1,
    d_model: c.dModel,
    n_heads: c.nHeads,
    d_mlp: c.dMlp,
    d_vocab: c.p + 1,
    n_ctx: 3,
    act_fn: "relu",
    normalization_type: null,
    positional_embedding_type: "standard",
    tie_embeddings: false,
    initializer_range: c.initStd,
    seed: c.seed,
  });
}

/** Every prompt "a b =" in grid order (row a·p + b), as a (p², 3) token tensor. */
export function allPrompts(p: number): Tensor {
  const ids = new Int32Array(p * p * 3);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) ids.set([a, b, p], (a * p + b) * 3);
  return tensor(ids, { shape: [p * p, 3] });
}

/** The logits of the answers 0 … p−1 at the last position ("=" is never an answer): (batch, p). */
function answerLogits(model: HookedTransformer, prompts: Tensor, p: number): Tensor {
  return model.forward(prompts, { lastPositionOnly: true }).reshape(-1, p + 1).narrow(1, 0, p);
}

/** The model's logits grid on all p² prompts (Float32Array, row a·p + b, p answers each). */
export function logitsGrid(model: HookedTransformer, p: number): Float32Array {
  return tidy(() => noGrad(() => answerLogits(model, allPrompts(p), p).dataSync() as Float32Array));
}

/** Σ‖θ‖² over every parameter. */
export function weightNormSq(model: HookedTransformer): number {
  return tidy(() => noGrad(() => model.parameters().reduce((s, q) => s + q.square().sum().item(), 0)));
}

function copyWeights(model: HookedTransformer): Map<string, Float32Array> {
  return new Map([...model.namedParameters()].map(([name, q]) => [name, Float32Array.from(q.dataSync())]));
}

/** Puts saved weights back into the model (its own tensors keep their identity). */
export function loadWeights(model: HookedTransformer, weights: Map<string, Float32Array>): void {
  const state = new Map([...model.namedParameters()].map(([name, q]) => [name, tensor(weights.get(name)!, { shape: q.shape })]));
  model.loadStateDict(state);
}

/**
 * Trains the paper's model on modular addition, full batch. `onEval` sees each evaluation as it
 * happens (for a progress bar).
 */
export function trainGrokking(config: GrokkingConfig, onEval?: (point: GrokkingPoint) => void): GrokkingRun {
  const c = checkGrokkingConfig(config);
  const t0 = performance.now();
  const { p } = c;
  const split = modularArithmetic({ p, op: "+", opToken: false }).split({ trainFraction: c.trainFrac, seed: c.seed });
  const asArrays = (xs: typeof split.train) => ({ inputs: Int32Array.from(xs, (e) => e.a * p + e.b), labels: Int32Array.from(xs, (e) => e.c) });
  const train = asArrays(split.train);
  const test = asArrays(split.test);
  const model = grokkingModel(c);
  model.train();
  const prompts = tensor(Int32Array.from(split.train.flatMap((e) => e.prompt)), { shape: [train.inputs.length, 3] });
  const answers = tensor(train.labels, { shape: [train.labels.length] });
  const optimizer = new AdamW(model.parameters(), { lr: c.lr, betas: c.betas, weightDecay: c.weightDecay });

  const history: GrokkingPoint[] = [];
  const snapshots: GrokkingRun["snapshots"] = [];
  const evaluate = (step: number) => {
    const grid = logitsGrid(model, p); // one forward over all p² prompts serves both splits
    const tr = gridLossAccuracy(grid, p, train.inputs, train.labels);
    const te = gridLossAccuracy(grid, p, test.inputs, test.labels);
    const point = { step, trainLoss: tr.loss, testLoss: te.loss, trainAcc: tr.accuracy, testAcc: te.accuracy, weightNormSq: weightNormSq(model) };
    history.push(point);
    onEval?.(point);
  };
  for (let step = 0; step <= c.steps; step++) {
    if (step % c.evalEvery === 0 || step === c.steps) evaluate(step);
    if (c.snapshotEvery > 0 && (step % c.snapshotEvery === 0 || step === c.steps)) snapshots.push({ step, weights: copyWeights(model) });
    if (step === c.steps) break;
    optimizer.setLr(c.lr * Math.min(1, (step + 1) / Math.max(1, c.warmupSteps)));
    tidy(() => {
      optimizer.zeroGrad();
      const loss = crossEntropy(answerLogits(model, prompts, p), answers);
      loss.backward();
      optimizer.step();
    });
  }
  model.eval();
  return { config: c, model, train, test, history, snapshots, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The key frequencies of a trained model, read from its logits: a frequency is key when its
 * share of the logits' cos/sin(w_k(a+b)) energy, ‖component_k‖² / Σ_j ‖component_j‖², is at least
 * `minShare`. (Nanda et al. find them from the neurons' frequencies; in a model that has grokked
 * the two agree, since the neurons are what write those logit components.)
 */
export function keyFrequencies(grid: ArrayLike<number>, p: number, minShare = KEY_FREQUENCY_SHARE): number[] {
  const norms = sumFrequencyNorms(grid, p);
  const total = norms.reduce((s, n) => s + n * n, 0);
  return norms.flatMap((n, i) => (total > 0 && (n * n) / total >= minShare ? [i + 1] : []));
}

/**
 * A frequency carrying ≥ 1% of the logits' (a+b) Fourier energy is key. (5% missed one at p = 53,
 * seed 1: frequency 12 held 3% beside a dominant 21 with 90%, and the restricted loss without it
 * stalled at 0.05. The frequencies that are not key hold ≤ 0.2% each in both seeds measured.)
 */
export const KEY_FREQUENCY_SHARE = 0.01;

export interface GrokkingAnalysis {
  keyFrequencies: number[];
  /** ‖W_E[:p]‖ per frequency 1 … K (index k − 1), and its constant term. */
  embedNorms: number[];
  embedConstant: number;
  /** Σ_{k key} ‖W_E at k‖² / ‖W_E[:p]‖²: how much of the embedding is the key frequencies. */
  embedKeyShare: number;
  /** ‖final logits' (a+b) component‖ per frequency. */
  logitNorms: number[];
  /** The final logits' norms in the 2-D Fourier basis (p × p, row-major; see logitFourierNorms2d). */
  logitNorms2d: Float64Array;
  /** Per snapshot: restricted loss (all inputs) and excluded loss (training inputs). */
  progress: { step: number; restrictedLoss: number; excludedLoss: number; trainLoss: number; testLoss: number }[];
}

/** The paper's Fourier analysis of the final model and its progress measures over the snapshots. */
export function analyzeGrokking(run: GrokkingRun, onSnapshot?: (done: number, total: number) => void): GrokkingAnalysis {
  const { p } = run.config;
  const { model } = run;
  const final = copyWeights(model);
  const grid = logitsGrid(model, p);
  const keys = keyFrequencies(grid, p);
  const WE = tidy(() => model.embed.W_E.narrow(0, 0, p).dataSync());
  const { norms: embedNorms, constant: embedConstant } = frequencyNorms(WE, p, run.config.dModel);
  const embedTotal = embedConstant ** 2 + embedNorms.reduce((s, n) => s + n * n, 0);
  const embedKeyShare = keys.reduce((s, k) => s + embedNorms[k - 1] ** 2, 0) / embedTotal;

  const all = Int32Array.from({ length: p * p }, (_, i) => i);
  const allLabels = Int32Array.from(all, (i) => (Math.floor(i / p) + (i % p)) % p);
  const progress: GrokkingAnalysis["progress"] = [];
  run.snapshots.forEach((snap, i) => {
    loadWeights(model, snap.weights);
    const g = logitsGrid(model, p);
    progress.push({
      step: snap.step,
      // restricted: how well the key frequencies alone do, on all p² inputs (the paper's trig_loss)
      restrictedLoss: keys.length ? gridLossAccuracy(restrictedLogits(g, p, keys), p, all, allLabels).loss : NaN,
      // excluded: how well the model fits the training data without them
      excludedLoss: gridLossAccuracy(keys.length ? excludedLogits(g, p, keys) : g, p, run.train.inputs, run.train.labels).loss,
      trainLoss: gridLossAccuracy(g, p, run.train.inputs, run.train.labels).loss,
      testLoss: gridLossAccuracy(g, p, run.test.inputs, run.test.labels).loss,
    });
    onSnapshot?.(i + 1, run.snapshots.length);
  });
  loadWeights(model, final);
  return { keyFrequencies: keys, embedNorms, embedConstant, embedKeyShare, logitNorms: sumFrequencyNorms(grid, p), logitNorms2d: logitFourierNorms2d(grid, p), progress };
}

/** The first evaluated step at which `value` reaches `threshold` (≥, or ≤ with below), or null. */
export function firstStep(history: readonly GrokkingPoint[], value: (pt: GrokkingPoint) => number, threshold: number, below = false): number | null {
  const hit = history.find((pt) => (below ? value(pt) <= threshold : value(pt) >= threshold));
  return hit ? hit.step : null;
}
