// `dgpt train --task NAME`: training on a synthetic task instead of a text. The batches are the
// task's training examples with the loss on the answer tokens only; the model's context is one
// example; beside the checkpoints go the task's tokenizer (its token strings as words, so text
// prompts read back into the training ids) and task.json (name, options, split), from which
// `dgpt evals run NAME --model DIR` rebuilds the same task and evaluates its held-out split.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeTask, parseTaskRecord, parseTaskSpec, TASK_NAMES, type TaskRecord } from "../data/tasks/registry.js";
import { taskTokenizer } from "../data/tasks/text.js";
import type { Task } from "../data/tasks/common.js";
import { taskBatches } from "../train/data.js";
import type { BatchSource } from "../train/trainer.js";
import { forFlag } from "./common.js";

export const TASK_HELP = `train on a synthetic task instead of a text: ${TASK_NAMES.join(", ")} (the loss counts the answer tokens only)`;
export const TASK_OPTIONS_HELP = "the task's options as key=value pairs, e.g. p=13,op=* (modular) or rows=4,cols=4 (maze), and the split's nTrain, nTest, seed (trainFraction for modular); `dgpt evals list` shows them";

/** The task record of a saved model or run folder (its task.json), or null when it has none. */
export function readTaskRecord(dir: string): TaskRecord | null {
  const path = join(dir, "task.json");
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return parseTaskRecord(json, path);
}

/** The task --task and --task-options name (the split: seed 0 and the task's default sizes unless the options say). */
export async function taskRecordFromFlags(name: string, options: string | undefined): Promise<TaskRecord> {
  const spec = await forFlag("--task", name, () => parseTaskSpec(name, options ?? "", "--task-options"));
  return { name, options: spec.options, split: { seed: 0, ...spec.split } };
}

export interface TaskSource {
  task: Task;
  data: BatchSource;
  /** tokenizer.json and task.json, saved with every checkpoint. */
  extraFiles: Record<string, string>;
  /** One line for the terminal. */
  summary: string;
}

/** Batches, tokenizer and files of a task run. */
export async function taskSource(record: TaskRecord, batchSize: number): Promise<TaskSource> {
  const task = await forFlag("--task-options", Object.entries(record.options).map(([k, v]) => `${k}=${v}`).join(",") || record.name, () => makeTask(record.name, record.options));
  const data = taskBatches(task, { batchSize, ...record.split });
  const tokenizer = taskTokenizer(task);
  const opts = Object.entries(record.options).map(([k, v]) => `${k}=${v}`).join(", ");
  return {
    task,
    data,
    extraFiles: { "tokenizer.json": JSON.stringify(tokenizer.toJSON(), null, 2), "task.json": JSON.stringify(record, null, 2) + "\n" },
    summary: `data: task ${task.name}${opts ? ` (${opts})` : ""}, examples up to ${task.maxLength} tokens, ${data.test.length} held out for evaluation, vocabulary ${task.vocab.length}`,
  };
}
