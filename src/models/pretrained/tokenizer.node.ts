// Node-only: the tokenizer saved in a model folder, with the BOS/EOS tokens the model expects.
//
//   a Hugging Face checkpoint (config.json names a family): tokenizer.json, or GPT-2's
//     vocab.json + merges.txt, with bos/eos from special_tokens_map.json / tokenizer_config.json,
//     else the family's defaults (GPT-2, GPT-Neo, Pythia: "<|endoftext|>"; Llama: "<s>", "</s>");
//     toTokens(tokenizer, text) then puts the BOS in front, as TransformerLens does;
//   a folder `dgpt train` wrote: its tokenizer.json, with no BOS or EOS — the model never saw one.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TokenizerError } from "../../tokenizers/errors.js";
import { loadTokenizer, loadVocabMerges } from "../../tokenizers/load.js";
import { loadPretrainedTokenizer, type PretrainedTokenizerFiles, type SpecialTokenDefaults } from "../../tokenizers/pretrained.js";
import type { Tokenizer } from "../../tokenizers/types.js";
import { familyOf, isHfConfig } from "./families.js";

const FILE_NAMES = /^(tokenizer\.json|vocab\.json|merges\.txt|tokenizer_config\.json|special_tokens_map\.json|config\.json)\b/;

/** config.json of a folder, or null when it has none or it does not parse (loading the model says why). */
function configOf(dir: string): Record<string, unknown> | null {
  try {
    const json = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as unknown;
    return typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * The tokenizer of a model folder (a Hugging Face checkpoint or a `dgpt train` output), with
 * bosTokenId / eosTokenId set for a pretrained model and cleared for one trained here; null when
 * the folder holds no tokenizer files. Errors name the file.
 */
export function loadModelDirTokenizer(dir: string): Tokenizer | null {
  const path = (name: string) => join(dir, name);
  const read = (name: string) => (existsSync(path(name)) ? readFileSync(path(name), "utf8") : undefined);
  const hasJson = existsSync(path("tokenizer.json"));
  const hasPair = existsSync(path("vocab.json")) && existsSync(path("merges.txt"));
  if (!hasJson && !hasPair) return null;
  const config = configOf(dir);
  try {
    if (config !== null && isHfConfig(config)) {
      let defaults: SpecialTokenDefaults = {};
      try {
        defaults = familyOf(config).specialTokens;
      } catch {
        // an architecture no family here loads: its tokenizer still loads, without family defaults
      }
      const files: PretrainedTokenizerFiles = hasJson
        ? { tokenizerJson: read("tokenizer.json")! }
        : { vocabJson: read("vocab.json")!, mergesTxt: read("merges.txt")! };
      return loadPretrainedTokenizer({ ...files, tokenizerConfigJson: read("tokenizer_config.json"), specialTokensMapJson: read("special_tokens_map.json") }, defaults);
    }
    const tok = hasJson ? loadTokenizer(read("tokenizer.json")!) : loadVocabMerges(read("vocab.json")!, read("merges.txt")!);
    // trained here, without a BOS at the start of its windows: none is put in front of prompts
    tok.bosTokenId = undefined;
    tok.eosTokenId = undefined;
    return tok;
  } catch (err) {
    if (!(err instanceof TokenizerError)) throw err;
    const msg = err.message;
    const where = hasJson ? "tokenizer.json" : "vocab.json + merges.txt";
    throw new TokenizerError(FILE_NAMES.test(msg) ? `${join(dir, ".")}/${msg}` : `${path(where)}: ${msg}`, { cause: err });
  }
}
