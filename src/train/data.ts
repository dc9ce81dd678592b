// Batch sources for the trainer: random windows of a token stream (nanoGPT's get_batch over a
// 90/10 train/val split), or examples of a synthetic task with the loss on answer tokens only.
import { getBatch } from "../data/batch.js";
import { type IdArray, trainValSplit } from "../data/corpus.js";
import { collate, type SplitOptions, type Task } from "../data/tasks/common.js";
import type { Generator } from "../tensor/random.js";
import type { BatchSource } from "./trainer.js";

/** Windows of `blockSize` tokens: the first (1 − valFraction) of the stream trains, the rest validates. */
export function textBatches(ids: IdArray, opts: { batchSize: number; blockSize: number; valFraction?: number }): BatchSource & { trainTokens: number; valTokens: number } {
  const { batchSize, blockSize, valFraction = 0.1 } = opts;
  if (!(valFraction > 0 && valFraction < 1)) throw new Error(`textBatches: valFraction must be in (0, 1), got ${valFraction}`);
  const { train, val } = trainValSplit(ids, 1 - valFraction);
  for (const [name, part] of [["train", train], ["val", val]] as const) {
    if (part.length <= blockSize) throw new Error(`textBatches: the ${name} split has ${part.length} tokens, not enough for windows of ${blockSize} + 1 (use a longer text or a smaller block size)`);
  }
  return {
    tokensPerBatch: batchSize * blockSize,
    trainTokens: train.length,
    valTokens: val.length,
    getBatch: (split, gen) => {
      const b = getBatch(split === "train" ? train : val, batchSize, blockSize, gen);
      return { x: b.x, y: b.y };
    },
  };
}

/** Batches of task examples; targets outside the answer are -100 (ignored by the loss). */
export function taskBatches(task: Task, opts: { batchSize: number } & SplitOptions): BatchSource & { test: ReturnType<Task["split"]>["test"] } {
  const { batchSize: _b, ...split } = opts;
  const { train, test } = task.split(split);
  if (train.length === 0 || test.length === 0) throw new Error(`taskBatches: the ${task.name} split left an empty train or test set`);
  const pick = (set: typeof train, gen: Generator) => Array.from({ length: opts.batchSize }, () => set[gen.randint(0, set.length)]);
  return {
    tokensPerBatch: opts.batchSize * (task.maxLength - 1),
    test,
    getBatch: (split, gen) => {
      const { x, y } = collate(pick(split === "train" ? train : test, gen), { padId: task.padId, ignoreIndex: -100 });
      return { x, y };
    },
  };
}
