// fromPretrained: TransformerLens's HookedTransformer.from_pretrained, for now from a local
// directory only (a Hugging Face checkpoint of a supported family, or one saved by saveModelDir).
import { existsSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { loadModelDir } from "../gpt/io.node.js";
import type { HookedTransformer } from "../gpt/model.js";

/**
 * The model at `pathOrName`: a local model directory. A name that is not a directory here
 * ("gpt2", "openai-community/gpt2") is an error for now: hub download is not implemented yet.
 */
export async function fromPretrained(pathOrName: string): Promise<HookedTransformer> {
  if (typeof pathOrName !== "string" || pathOrName === "") throw new Error(`fromPretrained: expected a model directory, got ${JSON.stringify(pathOrName)}`);
  if (existsSync(pathOrName)) {
    if (!statSync(pathOrName).isDirectory()) throw new Error(`fromPretrained: ${pathOrName} is a file; pass the model's directory (with config.json and its weights)`);
    return loadModelDir(pathOrName);
  }
  if (isAbsolute(pathOrName) || /^\.{1,2}([/\\]|$)|^~/.test(pathOrName)) throw new Error(`fromPretrained: no such directory: ${pathOrName}`);
  throw new Error(`fromPretrained: "${pathOrName}" is not downloaded: there is no directory of that name here (hub download is not implemented yet; pass a local directory)`);
}
