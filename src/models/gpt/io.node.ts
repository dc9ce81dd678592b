// A model directory, as Hugging Face lays it out: config.json (our GPTConfig fields) and
// model.safetensors (the state dict with TransformerLens names). Both written atomically.
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadSafetensors, saveSafetensors } from "../../io/checkpoint.node.js";
import { writeFileAtomic } from "../../io/files.node.js";
import { makeConfig } from "./config.js";
import { HookedTransformer } from "./model.js";

export async function saveModelDir(dir: string, model: HookedTransformer, metadata: Record<string, string> = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  await saveSafetensors(join(dir, "model.safetensors"), model.stateDict(), { format: "decoding-gpt", ...metadata });
  await writeFileAtomic(join(dir, "config.json"), new TextEncoder().encode(JSON.stringify({ model_type: "decoding-gpt", ...model.cfg }, null, 2) + "\n"));
}

export async function loadModelDir(dir: string): Promise<HookedTransformer> {
  let raw: string;
  try {
    raw = await readFile(join(dir, "config.json"), "utf8");
  } catch (err) {
    throw new Error(`cannot read ${join(dir, "config.json")}: ${(err as Error).message} (is ${dir} a model directory?)`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${join(dir, "config.json")} is not valid JSON: ${(err as Error).message}`);
  }
  const { model_type: _type, ...fields } = json;
  let model: HookedTransformer;
  try {
    model = new HookedTransformer(makeConfig(fields as never));
  } catch (err) {
    throw new Error(`${join(dir, "config.json")}: ${(err as Error).message}`);
  }
  const { tensors } = await loadSafetensors(join(dir, "model.safetensors"));
  try {
    model.loadStateDict(tensors);
  } catch (err) {
    throw new Error(`${join(dir, "model.safetensors")}: ${(err as Error).message}`);
  }
  return model;
}
