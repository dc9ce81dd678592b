// One loader for every tokenizer file this project reads: Hugging Face tokenizer.json (BPE),
// and the small JSON files of our char and word tokenizers.
import type { BpeTokenizer } from "./bpe.js";
import { CharTokenizer } from "./char.js";
import { TokenizerError, describe } from "./errors.js";
import { parseJsonText, tokenizerFromHfJson, tokenizerFromVocabMerges } from "./hf.js";
import type { Tokenizer } from "./types.js";
import { WordTokenizer } from "./word.js";

/**
 * A tokenizer from the text of a tokenizer file (or its parsed JSON): a Hugging Face
 * tokenizer.json (GPT-2, GPT-Neo, Pythia/GPT-NeoX, or one saved by trainBpe), or a char/word
 * tokenizer saved with JSON.stringify(tokenizer). Throws a TokenizerError that names the field
 * for files that do not parse or that use something unsupported.
 */
export function loadTokenizer(json: string | object): Tokenizer {
  const o = typeof json === "string" ? parseJsonText(json, "tokenizer file") : json;
  if (typeof o !== "object" || o === null || Array.isArray(o)) throw new TokenizerError(`tokenizer file: expected a JSON object, got ${describe(o)}`);
  const rec = o as Record<string, unknown>;
  if ("model" in rec) return CharTokenizer.isHfCharLevel(rec) ? CharTokenizer.fromHfJSON(rec) : tokenizerFromHfJson(rec);
  if (rec.type === "char") return CharTokenizer.fromJSON(rec);
  if (rec.type === "word") return WordTokenizer.fromJSON(rec);
  throw new TokenizerError(`tokenizer file: not a tokenizer: expected a Hugging Face tokenizer.json (with a "model" field) or a char/word tokenizer (with "type": "char" or "word"), got fields ${Object.keys(rec).slice(0, 8).join(", ") || "(none)"}`);
}

/** GPT-2-style vocab.json + merges.txt (their texts). */
export function loadVocabMerges(vocabJson: string, mergesTxt: string, options: { specialTokens?: readonly string[] } = {}): BpeTokenizer {
  return tokenizerFromVocabMerges(vocabJson, mergesTxt, options);
}

/** The text of a tokenizer file: tokenizer.json for BPE (readable by Hugging Face's tokenizers),
 * our JSON for char and word tokenizers. */
export function serializeTokenizer(tokenizer: Tokenizer): string {
  if (typeof tokenizer.toJSON !== "function") throw new TokenizerError(`serializeTokenizer: the ${tokenizer.kind} tokenizer has no toJSON()`);
  return JSON.stringify(tokenizer.toJSON(), null, 2);
}
