// Training checkpoints on disk: a folder with the model (config.json + model.safetensors), the
// optimizer's state, extra files (the tokenizer) and trainer.json (step, RNG states, history).
//
// A checkpoint is replaced as a whole or not at all. It is written into a hidden staging folder
// beside its final place, then swapped in with two renames:
//   DIR → .DIR.old,   .DIR.partial → DIR,   then .DIR.old is removed.
// A crash at any moment leaves either DIR or .DIR.old complete, and readCheckpointDir finds
// whichever is there, so a kill during a save never costs the previous checkpoint.
import { existsSync } from "node:fs";
import { readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { loadSafetensors, saveSafetensors } from "../io/checkpoint.node.js";
import { writeFileAtomic } from "../io/files.node.js";
import { saveModelDir } from "../models/gpt/io.node.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import type { OptimizerStateDict } from "../optim/optimizer.js";
import { keep } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import type { Trainer, TrainerState } from "./trainer.js";

type SavedState = TrainerState & { optimizer: { paramGroups: OptimizerStateDict["paramGroups"]; scalars: Record<string, Record<string, number>> } };

const staging = (dir: string) => join(dirname(dir), `.${basename(dir)}.partial`);
const previous = (dir: string) => join(dirname(dir), `.${basename(dir)}.old`);

/** The folder holding the complete checkpoint meant by `dir` (it, or the copy a crash mid-swap left), or null. */
export function findCheckpoint(dir: string): string | null {
  for (const d of [dir, previous(dir)]) if (existsSync(join(d, "trainer.json"))) return d;
  return null;
}

/** The step a checkpoint was saved at, or null when there is none. */
export async function checkpointStep(dir: string): Promise<number | null> {
  const found = findCheckpoint(dir);
  if (!found) return null;
  try {
    const step = (JSON.parse(await readFile(join(found, "trainer.json"), "utf8")) as { step?: unknown }).step;
    return typeof step === "number" ? step : null;
  } catch {
    return null;
  }
}

/** Writes a complete checkpoint of the trainer and its model to `dir`, replacing the old one atomically (see the header). */
export async function saveCheckpoint(dir: string, trainer: Trainer, model: HookedTransformer, extraFiles: Record<string, string>): Promise<void> {
  const tmp = staging(dir);
  await rm(tmp, { recursive: true, force: true }); // a crash's leftovers
  await saveModelDir(tmp, model);
  const opt = trainer.optimizerState();
  const { tensors, scalars } = splitOptimizerState(opt.state);
  await saveSafetensors(join(tmp, "optimizer.safetensors"), tensors);
  for (const [name, text] of Object.entries(extraFiles)) await writeFileAtomic(join(tmp, name), new TextEncoder().encode(text));
  const state = { ...trainer.state(), config: trainer.config, optimizer: { paramGroups: opt.paramGroups, scalars } };
  await writeFileAtomic(join(tmp, "trainer.json"), new TextEncoder().encode(JSON.stringify(state)));
  // the swap: from here on one complete copy always exists
  const old = previous(dir);
  if (existsSync(dir)) {
    await rm(old, { recursive: true, force: true });
    await rename(dir, old);
  }
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
}

/** Loads a checkpoint's weights into the model and the rest into the trainer. */
export async function loadCheckpoint(dir: string, trainer: Trainer, model: HookedTransformer): Promise<void> {
  const found = findCheckpoint(dir);
  if (!found) throw new Error(`${dir} holds no complete checkpoint (no trainer.json)`);
  const state = JSON.parse(await readFile(join(found, "trainer.json"), "utf8")) as SavedState;
  const { tensors: weights } = await loadSafetensors(join(found, "model.safetensors"));
  model.loadStateDict(weights);
  const { tensors } = await loadSafetensors(join(found, "optimizer.safetensors"));
  const st = joinOptimizerState(tensors, state.optimizer.scalars);
  trainer.restore(state, { state: st, paramGroups: state.optimizer.paramGroups });
}

/** An optimizer's per-parameter state as a safetensors dict ("i.name") plus its numbers (step counts). */
export function splitOptimizerState(state: OptimizerStateDict["state"]): { tensors: Record<string, Tensor>; scalars: Record<string, Record<string, number>> } {
  const tensors: Record<string, Tensor> = {};
  const scalars: Record<string, Record<string, number>> = {};
  for (const [i, s] of Object.entries(state)) {
    for (const [name, v] of Object.entries(s)) {
      if (typeof v === "number") (scalars[i] ??= {})[name] = v;
      else tensors[`${i}.${name}`] = v;
    }
  }
  return { tensors, scalars };
}

/** splitOptimizerState's inverse (the tensors kept alive for the optimizer to copy). */
export function joinOptimizerState(tensors: Record<string, Tensor>, scalars: Record<string, Record<string, number>>): OptimizerStateDict["state"] {
  const st: OptimizerStateDict["state"] = {};
  for (const [key, t] of Object.entries(tensors)) {
    const [i, name] = key.split(".");
    (st[Number(i)] ??= {})[name] = keep(t);
  }
  for (const [i, s] of Object.entries(scalars)) Object.assign((st[Number(i)] ??= {}), s);
  return st;
}
