// fromPretrained: TransformerLens's HookedTransformer.from_pretrained. A local directory (a Hugging
// Face checkpoint of a supported family, or one saved by saveModelDir) loads as it is; any other
// name is a TransformerLens model name or a hub repo id, found in the Hugging Face cache or
// downloaded into it (hub.node.ts).
import { existsSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { loadModelDir } from "../gpt/io.node.js";
import type { HookedTransformer } from "../gpt/model.js";
import { type ProcessingOptions, processWeightsConsuming } from "../gpt/processing.js";
import type { Tokenizer } from "../../tokenizers/types.js";
import { type PretrainedHubOptions, pretrainedSnapshot } from "./hub.node.js";
import { loadModelDirTokenizer } from "./tokenizer.node.js";

export interface FromPretrainedOptions extends PretrainedHubOptions {
  /**
   * TransformerLens's weight processing (processWeights): by default every step, as
   * from_pretrained does (fold the norms, centre writing weights and unembedding, fold value
   * biases); false loads the weights as they are, as from_pretrained_no_processing does.
   */
  processing?: ProcessingOptions | false;
}

/**
 * The model at `pathOrName`: a local model directory, or a name — "gpt2-small", "pythia-70m",
 * "tiny-stories-1M" (TransformerLens's names) or a hub repo id ("openai-community/gpt2") — loaded
 * from the Hugging Face cache, which is filled from the hub first if needed ($HF_ENDPOINT,
 * $HF_TOKEN, $HF_HUB_CACHE / $HF_HOME, $HF_HUB_OFFLINE; `options.revision` for a branch, tag or commit).
 */
export async function fromPretrained(pathOrName: string, options: FromPretrainedOptions = {}): Promise<HookedTransformer> {
  const model = await loadPretrained(pathOrName, options);
  // the loaded model is ours alone: its weights are freed as they are copied into the processed one
  return options.processing === false ? model : processWeightsConsuming(model, options.processing ?? {});
}

/** fromPretrained without weight processing (TransformerLens's from_pretrained_no_processing). */
export function fromPretrainedNoProcessing(pathOrName: string, options: PretrainedHubOptions = {}): Promise<HookedTransformer> {
  return fromPretrained(pathOrName, { ...options, processing: false });
}

/**
 * The tokenizer of the model at `pathOrName` (a local model directory or a name, as
 * fromPretrained takes), with its BOS and EOS tokens: toTokens(tokenizer, text) gives the ids
 * the model expects, TransformerLens's model.to_tokens(text).
 */
export async function pretrainedTokenizer(pathOrName: string, options: PretrainedHubOptions = {}): Promise<Tokenizer> {
  const dir = await modelFolder(pathOrName, options, "pretrainedTokenizer");
  const tok = loadModelDirTokenizer(dir);
  if (tok === null) throw new Error(`pretrainedTokenizer: ${pathOrName} has no tokenizer files (tokenizer.json, or vocab.json and merges.txt)`);
  return tok;
}

/** A local model directory as it is, or a name's folder in the hub cache (downloaded if needed). */
async function modelFolder(pathOrName: string, options: PretrainedHubOptions, fn: string): Promise<string> {
  if (typeof pathOrName !== "string" || pathOrName === "") throw new Error(`${fn}: expected a model directory or name, got ${JSON.stringify(pathOrName)}`);
  if (existsSync(pathOrName)) {
    if (!statSync(pathOrName).isDirectory()) throw new Error(`${fn}: ${pathOrName} is a file; pass the model's directory (with config.json and its weights)`);
    return pathOrName;
  }
  if (isAbsolute(pathOrName) || /^\.{1,2}([/\\]|$)|^~/.test(pathOrName)) throw new Error(`${fn}: no such directory: ${pathOrName}`);
  return (await pretrainedSnapshot(pathOrName, options)).dir;
}

async function loadPretrained(pathOrName: string, options: PretrainedHubOptions): Promise<HookedTransformer> {
  return loadModelDir(await modelFolder(pathOrName, options, "fromPretrained"));
}
