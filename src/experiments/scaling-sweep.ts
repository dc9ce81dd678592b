// A scaling sweep: which small GPTs to train on how many tokens, and one such run. Two designs:
//   - a grid over model size N and tokens D (every size trained on every token count);
//   - IsoFLOP budgets (Chinchilla's approach 2): for each budget C, every size with D = C / (6N).
// Each run uses the same recipe scaled to its length, as Hoffmann et al. insist: a cosine learning
// rate decayed to 10% over exactly the run's steps (a schedule longer than the run overestimates
// its loss). Every run draws the same training batches and is evaluated on the same held-out
// windows, so differences between runs are not differences of luck.
import { HookedTransformer } from "../models/gpt/model.js";
import type { GPTConfigInput } from "../models/gpt/config.js";
import type { IdArray } from "../data/corpus.js";
import { noGrad } from "../tensor/autograd.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import { textBatches } from "../train/data.js";
import { type BatchSource, type TrainConfig, Trainer } from "../train/trainer.js";
import { chinchillaFlops, countParameters } from "../scaling/counting.js";
import type { RunRecord } from "../scaling/runs.js";

/** A model shape of the sweep: layers, width and heads (d_head = d_model / n_heads, d_mlp = 4 d_model). */
export interface ModelSize {
  nLayers: number;
  dModel: number;
  nHeads: number;
}

/** What every run of a sweep shares; a resumed sweep must use the same. */
export interface SweepSettings {
  batchSize: number;
  blockSize: number;
  /** Peak learning rate (AdamW), after a warmup of a tenth of the steps (at most 100). */
  lr: number;
  /** Held-out batches for each run's final loss. */
  evalBatches: number;
  seed: number;
}

export const DEFAULT_SWEEP_SETTINGS: SweepSettings = { batchSize: 16, blockSize: 64, lr: 2e-3, evalBatches: 40, seed: 1337 };

/** The architecture every size shares: nanoGPT's shakespeare_char choices (GELU, tied embeddings, no biases, no dropout). */
export const SWEEP_ARCHITECTURE = { act_fn: "gelu", tie_embeddings: true, use_bias: false, dropout: 0 } as const;

export interface PlannedRun {
  id: string;
  size: ModelSize;
  steps: number;
  /** Tokens the run trains on: steps × batch × block. */
  tokens: number;
  /** The IsoFLOP budget, or null in a grid. */
  budget: number | null;
}

/** "2x64" (layers × d_model, one head per 32 dimensions) or "2x64x4" (× heads). */
export function parseSize(text: string): ModelSize {
  const m = /^\s*(\d+)\s*x\s*(\d+)\s*(?:x\s*(\d+)\s*)?$/i.exec(text);
  if (!m) throw new Error(`"${text}" is not a model size; write layers x d_model, e.g. 2x64, or layers x d_model x heads, e.g. 2x64x4`);
  const nLayers = Number(m[1]);
  const dModel = Number(m[2]);
  const nHeads = m[3] === undefined ? Math.max(1, Math.round(dModel / 32)) : Number(m[3]);
  if (nLayers < 1 || dModel < 1 || nHeads < 1) throw new Error(`"${text}": layers, d_model and heads must each be at least 1`);
  if (nLayers > 64 || dModel > 4096) throw new Error(`"${text}": at most 64 layers and d_model 4096 in a sweep here`);
  if (dModel % nHeads !== 0) throw new Error(`"${text}": d_model ${dModel} is not divisible by ${nHeads} heads; give the heads, e.g. ${nLayers}x${dModel}x${[4, 2, 1].find((h) => dModel % h === 0)}`);
  return { nLayers, dModel, nHeads };
}

/** The GPT config of a size, for a vocabulary and the sweep's block size. */
export function sizeConfig(size: ModelSize, vocabSize: number, settings: SweepSettings): GPTConfigInput {
  return { n_layers: size.nLayers, d_model: size.dModel, n_heads: size.nHeads, d_vocab: vocabSize, n_ctx: settings.blockSize, seed: settings.seed, ...SWEEP_ARCHITECTURE };
}

const runId = (size: ModelSize, tokens: number) => `L${size.nLayers}-d${size.dModel}-h${size.nHeads}-D${tokens}`;

/** Every size on every token count; tokens are rounded to whole steps of batch × block. */
export function planGrid(sizes: readonly ModelSize[], tokens: readonly number[], settings: SweepSettings): PlannedRun[] {
  const perStep = settings.batchSize * settings.blockSize;
  const plans: PlannedRun[] = [];
  for (const size of sizes) {
    for (const D of tokens) {
      if (!(D >= perStep)) throw new Error(`${D} tokens is less than one step of ${settings.batchSize} × ${settings.blockSize} = ${perStep} tokens`);
      const steps = Math.round(D / perStep);
      plans.push({ id: runId(size, steps * perStep), size, steps, tokens: steps * perStep, budget: null });
    }
  }
  return plans;
}

/**
 * For each budget C, every size with D = C / (6N) tokens (N: all parameters). Sizes whose D
 * would be under minSteps steps are left out and listed in `skipped`.
 */
export function planIsoFlop(sizes: readonly ModelSize[], budgets: readonly number[], settings: SweepSettings, vocabSize: number, minSteps = 10): { plans: PlannedRun[]; skipped: { size: ModelSize; budget: number; steps: number }[] } {
  const perStep = settings.batchSize * settings.blockSize;
  const plans: PlannedRun[] = [];
  const skipped: { size: ModelSize; budget: number; steps: number }[] = [];
  for (const C of budgets) {
    if (!(C > 0) || !Number.isFinite(C)) throw new Error(`a budget must be a positive number of FLOPs, got ${C}`);
    for (const size of sizes) {
      const N = countParameters(sizeConfig(size, vocabSize, settings)).total;
      const steps = Math.round(C / (6 * N) / perStep);
      if (steps < minSteps) skipped.push({ size, budget: C, steps });
      else plans.push({ id: `${runId(size, steps * perStep)}-C${C.toExponential(3)}`, size, steps, tokens: steps * perStep, budget: C });
    }
  }
  return { plans, skipped };
}

/** The training recipe of a run of `steps` steps. */
export function runTrainConfig(steps: number, settings: SweepSettings): TrainConfig {
  return {
    maxIters: steps,
    batchSize: settings.batchSize,
    blockSize: settings.blockSize,
    lr: settings.lr,
    minLr: settings.lr / 10,
    warmupIters: Math.min(100, Math.floor(steps / 10)),
    lrDecayIters: steps,
    weightDecay: 0.1,
    beta1: 0.9,
    beta2: 0.99,
    gradClip: 1,
    gradAccumSteps: 1,
    evalInterval: steps + 1,
    evalIters: settings.evalBatches,
    seed: settings.seed,
  };
}

/** Mean loss over `batches` held-out batches, drawn by a generator of its own seed (the same windows for every run). */
export function heldOutLoss(model: HookedTransformer, data: BatchSource, batches: number, seed: number): number {
  const gen = new Generator(seed + 2);
  model.eval();
  let sum = 0;
  for (let i = 0; i < batches; i++) {
    sum += tidy(() => noGrad(() => {
      const { x, y } = data.getBatch("val", gen);
      return model.loss(x, y).item();
    }));
  }
  model.train();
  return sum / batches;
}

/** Trains one planned run on the token stream (90% train, 10% held out) and measures it. */
export function trainScalingRun(plan: PlannedRun, ids: IdArray, vocabSize: number, settings: SweepSettings, onStep?: (step: number, loss: number) => void): RunRecord {
  const t0 = performance.now();
  const cfg = sizeConfig(plan.size, vocabSize, settings);
  const model = new HookedTransformer(cfg);
  const data = textBatches(ids, { batchSize: settings.batchSize, blockSize: settings.blockSize });
  const trainer = new Trainer(model, data, runTrainConfig(plan.steps, settings));
  const losses: number[] = [];
  for (let s = 0; s < plan.steps; s++) {
    const m = trainer.trainStep();
    losses.push(m.loss);
    onStep?.(s + 1, m.loss);
  }
  const valLoss = heldOutLoss(model, data, settings.evalBatches, settings.seed);
  const tail = losses.slice(-Math.max(1, Math.floor(plan.steps / 10)));
  const counts = countParameters(cfg);
  if (counts.total !== model.numParameters()) throw new Error(`internal: counted ${counts.total} parameters but the model has ${model.numParameters()}`);
  const record: RunRecord = {
    id: plan.id,
    nLayers: plan.size.nLayers,
    dModel: plan.size.dModel,
    nHeads: plan.size.nHeads,
    params: counts.total,
    paramsNonEmbedding: counts.nonEmbedding,
    tokens: plan.tokens,
    steps: plan.steps,
    batchSize: settings.batchSize,
    blockSize: settings.blockSize,
    flops6ND: 6 * counts.total * plan.tokens,
    flopsChinchilla: chinchillaFlops(cfg, settings.blockSize).training * plan.tokens,
    budget: plan.budget,
    valLoss,
    trainLoss: tail.reduce((a, b) => a + b, 0) / tail.length,
    seconds: (performance.now() - t0) / 1000,
  };
  trainer.dispose(); // the run's weights, gradients and Adam moments, now
  return record;
}
