// Node-only: a reward model on disk. The folder is a model folder for the body (config.json +
// model.safetensors, so any command that takes --model reads it as a GPT), the scalar head in
// score.safetensors ("score.weight", (1, d_model), Hugging Face's GPT2ForSequenceClassification
// name), extra files such as tokenizer.json, and reward_model.json, the marker that says what the
// folder is. Every file is written atomically; the marker is written last, so a folder that has
// it has everything.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadSafetensors, saveSafetensors } from "../io/checkpoint.node.js";
import { writeFileAtomic } from "../io/files.node.js";
import { withoutInit } from "../nn/init.js";
import { loadModelDir, saveModelDir } from "../models/gpt/io.node.js";
import { RewardModel } from "./reward.js";

export const REWARD_MODEL_MARKER = "reward_model.json";
export const REWARD_HEAD_FILE = "score.safetensors";
const FORMAT = "decoding-gpt-reward-model";

/** Writes the reward model into `dir` (created if needed), with extra text files (e.g. tokenizer.json) and metadata for the marker. */
export async function saveRewardModel(dir: string, rm: RewardModel, extraFiles: Record<string, string> = {}, info: Record<string, unknown> = {}): Promise<void> {
  await saveModelDir(dir, rm.body);
  await saveSafetensors(join(dir, REWARD_HEAD_FILE), { "score.weight": rm.score.weight }, { format: FORMAT });
  for (const [name, text] of Object.entries(extraFiles)) await writeFileAtomic(join(dir, name), new TextEncoder().encode(text));
  const marker = { format: FORMAT, version: 1, head: REWARD_HEAD_FILE, d_model: rm.body.cfg.d_model, d_vocab: rm.body.cfg.d_vocab, ...info };
  await writeFileAtomic(join(dir, REWARD_MODEL_MARKER), new TextEncoder().encode(JSON.stringify(marker, null, 2) + "\n"));
}

/** True when `dir` holds a reward model (its marker). */
export function isRewardModelDir(dir: string): boolean {
  return existsSync(join(dir, REWARD_MODEL_MARKER));
}

/** A reward model folder written by saveRewardModel; errors say which file is wrong. */
export async function loadRewardModel(dir: string): Promise<RewardModel> {
  const markerPath = join(dir, REWARD_MODEL_MARKER);
  if (!existsSync(dir)) throw new Error(`${dir}: no such folder`);
  if (!existsSync(markerPath)) throw new Error(`${dir} is not a reward model folder: it has no ${REWARD_MODEL_MARKER} (\`dgpt align rm\` writes one)`);
  let marker: Record<string, unknown>;
  try {
    marker = JSON.parse(await readFile(markerPath, "utf8"));
  } catch (err) {
    throw new Error(`${markerPath}: ${(err as Error).message}`, { cause: err });
  }
  if (marker?.format !== FORMAT) throw new Error(`${markerPath}: expected "format": "${FORMAT}", got ${JSON.stringify(marker?.format)}`);
  const head = join(dir, typeof marker.head === "string" ? marker.head : REWARD_HEAD_FILE);
  if (!existsSync(head)) throw new Error(`${dir}: ${REWARD_MODEL_MARKER} is there but the head ${head} is missing`);
  const body = await loadModelDir(dir);
  const rm = withoutInit(() => new RewardModel(body));
  const { tensors } = await loadSafetensors(head);
  try {
    rm.score.loadStateDict({ weight: tensors["score.weight"] ?? tensors.weight });
  } catch (err) {
    throw new Error(`${head}: ${(err as Error).message}`, { cause: err });
  }
  return rm;
}
