// A model directory, as Hugging Face lays it out: config.json (our GPTConfig fields) and
// model.safetensors (the state dict with TransformerLens names). Both written atomically.
// loadModelDir also loads Hugging Face's own checkpoints (GPT-2 …): see ../pretrained/.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { loadSafetensors, saveSafetensors } from "../../io/checkpoint.node.js";
import { writeFileAtomic } from "../../io/files.node.js";
import { makeConfig } from "./config.js";
import { HookedTransformer } from "./model.js";
import { withoutInit } from "../../nn/init.js";
import { type ProcessingOptions, processWeightsConsuming } from "./processing.js";
import { isHfConfig } from "../pretrained/families.js";
import { loadPretrainedDir, readConfigJson } from "../pretrained/load.node.js";

export async function saveModelDir(dir: string, model: HookedTransformer, metadata: Record<string, string> = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  await saveSafetensors(join(dir, "model.safetensors"), model.stateDict(), { format: "decoding-gpt", ...metadata });
  await writeFileAtomic(join(dir, "config.json"), new TextEncoder().encode(JSON.stringify({ model_type: "decoding-gpt", ...model.cfg }, null, 2) + "\n"));
}

export interface LoadModelDirOptions {
  /**
   * TransformerLens's weight processing for a Hugging Face checkpoint (as from_pretrained does;
   * see processWeights); a model saved by saveModelDir loads as it was saved. Default false.
   */
  processing?: ProcessingOptions | false;
}

/** A model directory saved by saveModelDir, or a Hugging Face checkpoint directory of a supported family. */
export async function loadModelDir(dir: string, opts: LoadModelDirOptions = {}): Promise<HookedTransformer> {
  const json = await readConfigJson(dir);
  if (isHfConfig(json)) {
    const model = await loadPretrainedDir(dir, json);
    return opts.processing ? processWeightsConsuming(model, opts.processing) : model;
  }
  const { model_type: _type, ...fields } = json;
  let model: HookedTransformer;
  try {
    // no random initialisation: the state dict is loaded next
    model = withoutInit(() => new HookedTransformer(makeConfig(fields as never)));
  } catch (err) {
    throw new Error(`${join(dir, "config.json")}: ${(err as Error).message}`);
  }
  const { tensors } = await loadSafetensors(join(dir, "model.safetensors"));
  try {
    model.loadStateDict(tensors);
  } catch (err) {
    throw new Error(`${join(dir, "model.safetensors")}: ${(err as Error).message}`);
  } finally {
    // the file's tensors are ours alone and now copied into the model: free them at once
    for (const t of Object.values(tensors)) t.dispose();
  }
  return model;
}
