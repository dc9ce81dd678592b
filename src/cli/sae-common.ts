// What the `dgpt sae` commands share: the model with its tokenizer, and the corpus as tokens.
import { loadCorpus } from "../data/corpus.node.js";
import { loadModelDir } from "../models/gpt/io.node.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { LOCAL_DATA, dirTokenizer, encodeText, forFlag, modelDir } from "./common.js";

/** The model (processed as TransformerLens's from_pretrained unless --no-processing) and its tokenizer. */
export async function loadSaeModel(name: string, processing: unknown): Promise<{ model: HookedTransformer; tokenizer: Tokenizer; dir: string }> {
  const dir = await modelDir(name);
  const model = await loadModelDir(dir, { processing: processing === false ? false : {} });
  model.eval();
  const tokenizer = dirTokenizer(dir);
  if (!tokenizer) throw new Error(`--model ${name}: the model folder has no tokenizer (tokenizer.json, or vocab.json and merges.txt); SAEs read activations on tokenized text`);
  return { model, tokenizer, dir };
}

/** The corpus as token ids, split 90 % / 10 % (training / evaluation) like `dgpt train`. */
export async function corpusTokens(data: string, tokenizer: Tokenizer, replaceInvalid: unknown): Promise<{ train: Int32Array; val: Int32Array; name: string }> {
  const corpus = await forFlag("--data", data, () => loadCorpus(data, { localDirs: LOCAL_DATA, invalid: replaceInvalid ? "replace" : "error" }));
  const ids = Int32Array.from(encodeText(tokenizer, corpus.text, "--data"));
  const cut = Math.floor(ids.length * 0.9);
  return { train: ids.subarray(0, cut), val: ids.subarray(cut), name: corpus.name };
}

