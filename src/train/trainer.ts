// The training loop, ours and readable, with nanoGPT's recipe as the default: AdamW with linear
// warmup then cosine decay, global-norm gradient clipping, gradient accumulation, evaluation on
// train and val every N steps, NaN/Inf detection, and everything a resume needs to continue the
// exact same run (step, best val loss, optimizer state and both random generators).
// File I/O (checkpoints, metrics, plots) lives in the Node edge, train.node.ts.
import type { Module } from "../nn/module.js";
import { AdamW } from "../optim/adam.js";
import type { OptimizerStateDict } from "../optim/optimizer.js";
import { clipGradNorm_, warmupCosine } from "../optim/schedule.js";
import { noGrad } from "../tensor/autograd.js";
import { defaultGenerator, Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";

export interface TrainConfig {
  maxIters: number;
  batchSize: number;
  /** Context length of a training window. */
  blockSize: number;
  lr: number;
  minLr: number;
  warmupIters: number;
  lrDecayIters: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** Clip the global gradient norm to this (0 = off). */
  gradClip: number;
  gradAccumSteps: number;
  evalInterval: number;
  /** Batches averaged for each evaluation. */
  evalIters: number;
  seed: number;
}

/** nanoGPT's shakespeare_char recipe on CPU (its README): val loss ≈ 1.88 after 2000 steps. */
export const NANOGPT_CPU_TRAIN: TrainConfig = {
  maxIters: 2000,
  batchSize: 12,
  blockSize: 64,
  lr: 1e-3,
  minLr: 1e-4,
  warmupIters: 100,
  lrDecayIters: 2000,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.99,
  gradClip: 1.0,
  gradAccumSteps: 1,
  evalInterval: 250,
  evalIters: 20,
  seed: 1337,
};

export function checkTrainConfig(c: TrainConfig): TrainConfig {
  const int = (k: keyof TrainConfig, min: number) => {
    if (!Number.isSafeInteger(c[k]) || (c[k] as number) < min) throw new Error(`train config: ${k} must be an integer ≥ ${min}, got ${JSON.stringify(c[k])}`);
  };
  const num = (k: keyof TrainConfig, lo: number, hi = Infinity) => {
    if (typeof c[k] !== "number" || !((c[k] as number) >= lo && (c[k] as number) <= hi)) throw new Error(`train config: ${k} must be a number in [${lo}, ${hi}], got ${JSON.stringify(c[k])}`);
  };
  int("maxIters", 0);
  int("batchSize", 1);
  int("blockSize", 1);
  int("warmupIters", 0);
  int("lrDecayIters", 0);
  int("gradAccumSteps", 1);
  int("evalInterval", 1);
  int("evalIters", 1);
  int("seed", 0);
  num("lr", 0);
  num("minLr", 0);
  num("weightDecay", 0);
  num("beta1", 0, 1);
  num("beta2", 0, 1);
  num("gradClip", 0);
  return c;
}

/** What a model must offer to be trained: parameters and a loss on a batch. */
export interface Trainable extends Module {
  loss(x: Tensor, y: Tensor): Tensor;
  parameterGroups?(weightDecay: number): { params: Tensor[]; weightDecay: number }[];
}

export interface BatchSource {
  /** A batch (x, y) of the split, drawn with the given generator (so resumes replay it). */
  getBatch(split: "train" | "val", gen: Generator): { x: Tensor; y: Tensor };
  /** Tokens per batch, for tokens/s. */
  tokensPerBatch: number;
}

export interface StepMetrics {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  ms: number;
  tokensPerSec: number;
}

export interface EvalMetrics {
  step: number;
  train: number;
  val: number;
}

export interface TrainerState {
  step: number;
  bestVal: number;
  rng: number[];
  dataRng: number[];
  /** Absent in checkpoints written before evaluation had its own generator. */
  evalRng?: number[];
  history: { steps: StepMetrics[]; evals: EvalMetrics[] };
}

export class Trainer {
  readonly optimizer: AdamW;
  readonly schedule: (step: number) => number;
  /** Draws batches; separate from the global generator (dropout, init) so both replay on resume. */
  readonly dataGen: Generator;
  /** Draws evaluation batches, so evaluating (e.g. at the end of a run that is resumed later) never shifts the training batches. */
  readonly evalGen: Generator;
  step = 0;
  bestVal = Infinity;
  history: TrainerState["history"] = { steps: [], evals: [] };

  constructor(
    readonly model: Trainable,
    readonly data: BatchSource,
    readonly config: TrainConfig,
  ) {
    checkTrainConfig(config);
    const groups = model.parameterGroups ? model.parameterGroups(config.weightDecay) : [{ params: model.parameters(), weightDecay: config.weightDecay }];
    this.optimizer = new AdamW(groups, { lr: config.lr, betas: [config.beta1, config.beta2], weightDecay: config.weightDecay });
    this.schedule = warmupCosine({ maxLr: config.lr, minLr: config.minLr, warmupSteps: config.warmupIters, decaySteps: Math.max(config.warmupIters, config.lrDecayIters) });
    this.dataGen = new Generator(config.seed + 1);
    this.evalGen = new Generator(config.seed + 2);
  }

  /** Mean loss over evalIters batches of each split, in eval mode and without gradients. */
  evaluate(): EvalMetrics {
    const wasTraining = this.model.training;
    this.model.eval();
    const mean = (split: "train" | "val") => {
      let sum = 0;
      for (let i = 0; i < this.config.evalIters; i++) {
        sum += tidy(() => noGrad(() => {
          const { x, y } = this.data.getBatch(split, this.evalGen);
          return this.model.loss(x, y).item();
        }));
      }
      return sum / this.config.evalIters;
    };
    const m = { step: this.step, train: mean("train"), val: mean("val") };
    this.model.train(wasTraining);
    this.history.evals.push(m);
    return m;
  }

  /** One optimizer step (gradAccumSteps micro-batches); throws on a non-finite loss or gradient. */
  trainStep(): StepMetrics {
    const t0 = performance.now();
    const lr = this.schedule(this.step);
    this.optimizer.setLr(lr);
    this.model.train();
    let loss = 0;
    let gradNorm = 0;
    tidy(() => {
      this.optimizer.zeroGrad();
      for (let micro = 0; micro < this.config.gradAccumSteps; micro++) {
        tidy(() => {
          const { x, y } = this.data.getBatch("train", this.dataGen);
          const l = this.model.loss(x, y);
          const v = l.item();
          if (!Number.isFinite(v)) throw new Error(`training diverged: loss is ${v} at step ${this.step} (try a lower learning rate, or gradient clipping)`);
          loss += v / this.config.gradAccumSteps;
          (this.config.gradAccumSteps > 1 ? l.div(this.config.gradAccumSteps) : l).backward();
        });
      }
      gradNorm = this.config.gradClip > 0 ? clipGradNorm_(this.model.parameters(), this.config.gradClip) : 0;
      if (!Number.isFinite(gradNorm)) throw new Error(`training diverged: gradient norm is ${gradNorm} at step ${this.step}`);
      this.optimizer.step();
    });
    const ms = performance.now() - t0;
    const m: StepMetrics = { step: this.step, loss, lr, gradNorm, ms, tokensPerSec: (this.data.tokensPerBatch * this.config.gradAccumSteps * 1000) / ms };
    this.history.steps.push(m);
    this.step++;
    return m;
  }

  state(): TrainerState {
    return { step: this.step, bestVal: this.bestVal, rng: defaultGenerator.getState(), dataRng: this.dataGen.getState(), evalRng: this.evalGen.getState(), history: this.history };
  }

  optimizerState(): OptimizerStateDict {
    return this.optimizer.stateDict();
  }

  /**
   * Frees the run's memory now rather than when the garbage collector gets to it: the optimizer's
   * moments and the model's weights and gradients (a sweep or a page that trains model after
   * model). The model cannot be used afterwards.
   */
  dispose(): void {
    for (const st of this.optimizer.state.values()) for (const v of Object.values(st)) if (typeof v !== "number") v.dispose();
    for (const p of this.model.parameters()) {
      p.grad = null;
      p.dispose();
    }
  }

  /** Continues from a saved state (the model's weights are loaded separately). */
  restore(state: TrainerState, optimizer: OptimizerStateDict): void {
    if (!state || typeof state.step !== "number") throw new Error("resume: the trainer state is missing or malformed");
    this.step = state.step;
    this.bestVal = state.bestVal ?? Infinity;
    defaultGenerator.setState(state.rng);
    this.dataGen.setState(state.dataRng);
    if (state.evalRng) this.evalGen.setState(state.evalRng);
    this.history = state.history ?? { steps: [], evals: [] };
    this.optimizer.loadStateDict(optimizer);
  }
}
