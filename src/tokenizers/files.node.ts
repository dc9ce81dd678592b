// Node-only file edge for tokenizers: read and write tokenizer files. The formats live in
// load.ts / hf.ts, which run in browsers too.
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../io/files.node.js";
import { TokenizerError } from "./errors.js";
import type { BpeTokenizer } from "./bpe.js";
import { loadTokenizer, loadVocabMerges, serializeTokenizer } from "./load.js";
import type { Tokenizer } from "./types.js";

/** Files larger than this are refused before they are read whole (GPT-2's tokenizer.json is 1.4 MB,
 * large multilingual ones about 20 MB). */
const MAX_BYTES = 256 * 1024 * 1024;

async function readText(path: string): Promise<string> {
  const bytes = await readFile(path);
  if (bytes.length > MAX_BYTES) throw new TokenizerError(`${path}: ${bytes.length} bytes is too large for a tokenizer file`);
  return new TextDecoder("utf-8").decode(bytes);
}

function withPath<T>(path: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof TokenizerError) throw new TokenizerError(`${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Loads tokenizer.json, or our char/word tokenizer JSON, from a file. */
export async function loadTokenizerFile(path: string): Promise<Tokenizer> {
  const text = await readText(path);
  return withPath(path, () => loadTokenizer(text));
}

/** Loads GPT-2-style vocab.json + merges.txt files. */
export async function loadVocabMergesFiles(vocabPath: string, mergesPath: string, options: { specialTokens?: readonly string[] } = {}): Promise<BpeTokenizer> {
  const [vocab, merges] = await Promise.all([readText(vocabPath), readText(mergesPath)]);
  return withPath(`${vocabPath} + ${mergesPath}`, () => loadVocabMerges(vocab, merges, options));
}

/** Writes a tokenizer file atomically (a BPE tokenizer as a Hugging Face tokenizer.json). */
export async function saveTokenizerFile(path: string, tokenizer: Tokenizer): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(serializeTokenizer(tokenizer) + "\n"));
}
