// The training schedule the synthetic-task experiments share (addition, mazes): a fixed number of
// steps with no periodic evaluation (each experiment measures its own way afterwards), warm-up
// over a tenth of the run (at most 100 steps), cosine decay to lr/10, weight decay 0.1.
import { NANOGPT_CPU_TRAIN, type TrainConfig } from "../train/trainer.js";

export function shortRunConfig(o: { steps: number; lr: number; batchSize: number; blockSize: number; seed: number }): TrainConfig {
  return {
    ...NANOGPT_CPU_TRAIN,
    maxIters: o.steps,
    batchSize: o.batchSize,
    blockSize: o.blockSize,
    lr: o.lr,
    minLr: o.lr / 10,
    warmupIters: Math.min(100, Math.floor(o.steps / 10)),
    lrDecayIters: o.steps,
    weightDecay: 0.1,
    evalIters: 1,
    evalInterval: o.steps + 1,
    seed: o.seed,
  };
}
