// Node-only: an aligned policy on disk, replaced as a whole or not at all. The folder is a model
// folder (config.json + model.safetensors, plus tokenizer.json and other extra files), so
// `dgpt generate --model DIR` reads it; a PPO policy's value head goes beside it in
// value_head.safetensors, and state.json records the step it was saved at.
//
// As training checkpoints (src/train/checkpoint.node.ts), it is written into a hidden staging
// folder and swapped in with two renames (DIR → .DIR.old, .DIR.partial → DIR): a crash or a
// diverging run never leaves a half-written policy, and the last good one stays.
import { existsSync } from "node:fs";
import { readFile, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { saveSafetensors } from "../io/checkpoint.node.js";
import { writeFileAtomic } from "../io/files.node.js";
import { saveModelDir } from "../models/gpt/io.node.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import type { Linear } from "../nn/linear.js";

export const VALUE_HEAD_FILE = "value_head.safetensors";
export const POLICY_STATE_FILE = "state.json";

export interface PolicyCheckpoint {
  model: HookedTransformer;
  /** PPO's value head (saved as "v_head.weight", "v_head.bias"). */
  valueHead?: Linear;
  /** Text files to put beside the model, e.g. { "tokenizer.json": … }. */
  extraFiles?: Record<string, string>;
  /** Written as state.json: the step, the KL coefficient, … */
  state: Record<string, unknown>;
}

/** Writes the policy to `dir`, replacing what is there atomically. */
export async function savePolicyCheckpoint(dir: string, c: PolicyCheckpoint): Promise<void> {
  const tmp = join(dirname(dir), `.${basename(dir)}.partial`);
  const old = join(dirname(dir), `.${basename(dir)}.old`);
  await rm(tmp, { recursive: true, force: true });
  await saveModelDir(tmp, c.model);
  if (c.valueHead) {
    const head = c.valueHead;
    await saveSafetensors(join(tmp, VALUE_HEAD_FILE), { "v_head.weight": head.weight, ...(head.bias ? { "v_head.bias": head.bias } : {}) });
  }
  for (const [name, text] of Object.entries(c.extraFiles ?? {})) await writeFileAtomic(join(tmp, name), new TextEncoder().encode(text));
  await writeFileAtomic(join(tmp, POLICY_STATE_FILE), new TextEncoder().encode(JSON.stringify(c.state, null, 2) + "\n"));
  if (existsSync(dir)) {
    await rm(old, { recursive: true, force: true });
    await rename(dir, old);
  }
  await rename(tmp, dir);
  await rm(old, { recursive: true, force: true });
}

/** The state.json of a saved policy, or null when there is none. */
export async function policyCheckpointState(dir: string): Promise<Record<string, unknown> | null> {
  for (const d of [dir, join(dirname(dir), `.${basename(dir)}.old`)]) {
    const p = join(d, POLICY_STATE_FILE);
    if (existsSync(p)) return JSON.parse(await readFile(p, "utf8")) as Record<string, unknown>;
  }
  return null;
}
