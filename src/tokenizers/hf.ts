// Reading Hugging Face tokenizer files: tokenizer.json (what `tokenizer.save()` writes, and what
// model repositories ship) and the older pair vocab.json + merges.txt.
//
// Supported: byte-level BPE, i.e. GPT-2, GPT-Neo, GPT-J, Pythia/GPT-NeoX, RoBERTa-style models and
// everything trainBpe writes (bpe.ts); and SentencePiece-style BPE with byte fallback, i.e. Llama 1
// and 2, TinyLlama, Mistral (sentencepiece.ts). Anything we could not reproduce exactly (WordPiece,
// Unigram, dropout, regex normalizers, ...) is refused with the name of the field.
import { BpeTokenizer, type AddedToken } from "./bpe.js";
import { TokenizerError, describe } from "./errors.js";
import { GPT2_PATTERN } from "./pretokenize.js";
import { SentencePieceBpeTokenizer } from "./sentencepiece.js";

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** Parses JSON text, saying where it broke. */
export function parseJsonText(text: string, what: string): unknown {
  if (typeof text !== "string") throw new TokenizerError(`${what}: expected the file's text (a string), got ${describe(text)}`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TokenizerError(`${what}: not valid JSON (${(error as Error).message})`);
  }
}

function readVocab(v: unknown, where: string): Map<string, number> {
  if (!isObject(v)) throw new TokenizerError(`${where} must be an object mapping token → id, got ${describe(v)}`);
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(v)) {
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) throw new TokenizerError(`${where}[${JSON.stringify(token)}] must be an integer id ≥ 0, got ${describe(id)}`);
    vocab.set(token, id);
  }
  return vocab;
}

/** Merges are "a b" strings (all versions) or ["a", "b"] pairs (tokenizers ≥ 0.20). */
function readMerges(v: unknown, where: string): Array<[string, string]> {
  if (!Array.isArray(v)) throw new TokenizerError(`${where} must be an array of merges, got ${describe(v)}`);
  return v.map((m, i) => {
    if (typeof m === "string") {
      const parts = m.split(" ");
      if (parts.length !== 2 || parts[0] === "" || parts[1] === "") throw new TokenizerError(`${where}[${i}] must be two tokens separated by one space, got ${describe(m)}`);
      return [parts[0]!, parts[1]!];
    }
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === "string" && typeof m[1] === "string") return [m[0], m[1]];
    throw new TokenizerError(`${where}[${i}] must be "a b" or ["a", "b"], got ${describe(m)}`);
  });
}

function readAddedTokens(v: unknown): AddedToken[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new TokenizerError(`tokenizer.json: added_tokens must be an array, got ${describe(v)}`);
  return v.map((t, i) => {
    const where = `tokenizer.json: added_tokens[${i}]`;
    if (!isObject(t)) throw new TokenizerError(`${where} must be an object, got ${describe(t)}`);
    if (typeof t.id !== "number" || !Number.isSafeInteger(t.id) || t.id < 0) throw new TokenizerError(`${where}.id must be an integer ≥ 0, got ${describe(t.id)}`);
    if (typeof t.content !== "string" || t.content === "") throw new TokenizerError(`${where}.content must be a non-empty string, got ${describe(t.content)}`);
    if (t.single_word === true) throw new TokenizerError(`${where}.single_word: true is not supported`);
    return { id: t.id, content: t.content, special: t.special === true, lstrip: t.lstrip === true, rstrip: t.rstrip === true, normalized: t.normalized !== false };
  });
}

/** The byte-level settings of a pre-tokenizer: ByteLevel alone, or Split(regex) then ByteLevel. */
function readPreTokenizer(p: unknown): { pattern: string | null; addPrefixSpace: boolean } {
  const where = "tokenizer.json: pre_tokenizer";
  if (!isObject(p)) throw new TokenizerError(`${where} must be an object, got ${describe(p)}; only byte-level BPE is supported (pre_tokenizer.type "ByteLevel")`);
  const byteLevel = (b: Json, w: string) => {
    if (b.use_regex !== undefined && typeof b.use_regex !== "boolean") throw new TokenizerError(`${w}.use_regex must be true or false`);
    return { pattern: b.use_regex === false ? null : GPT2_PATTERN, addPrefixSpace: b.add_prefix_space === true };
  };
  if (p.type === "ByteLevel") return byteLevel(p, where);
  if (p.type === "Sequence" && Array.isArray(p.pretokenizers) && p.pretokenizers.length === 2) {
    const [split, bl] = p.pretokenizers as unknown[];
    if (isObject(split) && split.type === "Split" && isObject(bl) && bl.type === "ByteLevel" && bl.use_regex === false) {
      const pat = split.pattern;
      if (!isObject(pat) || typeof pat.Regex !== "string") throw new TokenizerError(`${where}.pretokenizers[0].pattern must be {"Regex": "..."}`);
      if (split.behavior !== "Isolated" || split.invert === true) throw new TokenizerError(`${where}.pretokenizers[0]: only behavior "Isolated" without invert is supported, got ${describe(split.behavior)}`);
      return { pattern: pat.Regex, addPrefixSpace: bl.add_prefix_space === true };
    }
  }
  throw new TokenizerError(`${where}.type ${describe(p.type)} is not supported: only byte-level BPE is (pre_tokenizer "ByteLevel", or a "Sequence" of a regex "Split" and "ByteLevel")`);
}

/** Does a part of tokenizer.json (or one of its Sequence members) have one of these types? */
function hasType(spec: unknown, types: readonly string[]): boolean {
  if (!isObject(spec)) return false;
  if (typeof spec.type === "string" && types.includes(spec.type)) return true;
  return ["normalizers", "pretokenizers", "decoders"].some((k) => Array.isArray(spec[k]) && (spec[k] as unknown[]).some((s) => hasType(s, types)));
}

/**
 * SentencePiece-style (Llama, Mistral) rather than byte-level (GPT-2)? Its marks: byte fallback
 * (<0xNN> tokens), the Metaspace pre-tokenizer, or the "▁"-writing Prepend/Replace normalizers.
 */
function isSentencePieceStyle(json: Json, model: Json): boolean {
  return model.byte_fallback === true || hasType(json.pre_tokenizer, ["Metaspace"]) || hasType(json.normalizer, ["Prepend", "Replace"]) || hasType(json.decoder, ["ByteFallback", "Metaspace"]);
}

function sentencePieceFromHfJson(json: Json, model: Json): SentencePieceBpeTokenizer {
  if (hasType(json.pre_tokenizer, ["ByteLevel"]) || hasType(json.decoder, ["ByteLevel"])) {
    throw new TokenizerError(`tokenizer.json: a byte-level pre_tokenizer or decoder ("ByteLevel") does not go with SentencePiece-style settings (${model.byte_fallback === true ? "model.byte_fallback: true" : "a Metaspace pre_tokenizer, Prepend/Replace normalizer or ByteFallback decoder"}); this mix is not supported`);
  }
  if (model.byte_fallback != null && typeof model.byte_fallback !== "boolean") throw new TokenizerError(`tokenizer.json: model.byte_fallback must be true or false`);
  if (model.fuse_unk != null && typeof model.fuse_unk !== "boolean") throw new TokenizerError(`tokenizer.json: model.fuse_unk must be true or false`);
  try {
    return new SentencePieceBpeTokenizer({
      vocab: readVocab(model.vocab, "tokenizer.json: model.vocab"),
      merges: readMerges(model.merges, "tokenizer.json: model.merges"),
      addedTokens: readAddedTokens(json.added_tokens),
      normalizer: json.normalizer ?? null,
      preTokenizer: json.pre_tokenizer ?? null,
      decoder: json.decoder ?? null,
      postProcessor: json.post_processor ?? null,
      byteFallback: model.byte_fallback === true,
      unkToken: (model.unk_token as string | null | undefined) ?? null,
      fuseUnk: model.fuse_unk === true,
      ignoreMerges: model.ignore_merges === true,
    });
  } catch (error) {
    if (error instanceof TokenizerError && !error.message.startsWith("tokenizer.json")) throw new TokenizerError(`tokenizer.json: ${error.message}`, { cause: error });
    throw error;
  }
}

/** A tokenizer from a parsed tokenizer.json object: byte-level BPE (GPT-2's kind) or SentencePiece-style BPE (Llama's). */
export function tokenizerFromHfJson(json: unknown): BpeTokenizer | SentencePieceBpeTokenizer {
  if (!isObject(json)) throw new TokenizerError(`tokenizer.json: expected an object at the top, got ${describe(json)}`);
  const model = json.model;
  if (!isObject(model)) throw new TokenizerError(`tokenizer.json: model must be an object, got ${describe(model)}`);
  if (model.type !== "BPE" && !(model.type === undefined && "merges" in model)) throw new TokenizerError(`tokenizer.json: model.type ${describe(model.type)} is not supported (only "BPE")`);
  if (model.dropout != null && model.dropout !== 0) throw new TokenizerError(`tokenizer.json: model.dropout ${describe(model.dropout)} is not supported (only null: dropout makes encoding random)`);
  for (const field of ["continuing_subword_prefix", "end_of_word_suffix"] as const) {
    if (model[field] != null && model[field] !== "") throw new TokenizerError(`tokenizer.json: model.${field} ${describe(model[field])} is not supported (byte-level and SentencePiece-style BPE have none)`);
  }
  if (model.unk_token != null && typeof model.unk_token !== "string") throw new TokenizerError(`tokenizer.json: model.unk_token must be a string or null`);
  if (isSentencePieceStyle(json, model)) return sentencePieceFromHfJson(json, model);
  const { pattern, addPrefixSpace } = readPreTokenizer(json.pre_tokenizer);
  if (json.decoder != null && !(isObject(json.decoder) && json.decoder.type === "ByteLevel")) {
    throw new TokenizerError(`tokenizer.json: decoder.type ${describe(isObject(json.decoder) ? json.decoder.type : json.decoder)} is not supported (only "ByteLevel")`);
  }
  try {
    return new BpeTokenizer({
      kind: "bpe",
      vocab: readVocab(model.vocab, "tokenizer.json: model.vocab"),
      merges: readMerges(model.merges, "tokenizer.json: model.merges"),
      addedTokens: readAddedTokens(json.added_tokens),
      pattern,
      addPrefixSpace,
      normalizer: json.normalizer ?? null,
      unkToken: (model.unk_token as string | null | undefined) ?? null,
      ignoreMerges: model.ignore_merges === true,
      postProcessor: json.post_processor ?? null,
    });
  } catch (error) {
    if (error instanceof TokenizerError && !error.message.startsWith("tokenizer.json")) throw new TokenizerError(`tokenizer.json: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * A BpeTokenizer from GPT-2-style vocab.json and merges.txt texts. Tokens of vocab.json that look
 * like "<|...|>" become special tokens (GPT-2's "<|endoftext|>"), unless `specialTokens` is given.
 */
export function tokenizerFromVocabMerges(vocabJson: string, mergesTxt: string, options: { specialTokens?: readonly string[] } = {}): BpeTokenizer {
  const vocab = readVocab(parseJsonText(vocabJson, "vocab.json"), "vocab.json");
  if (typeof mergesTxt !== "string") throw new TokenizerError(`merges.txt: expected the file's text (a string), got ${describe(mergesTxt)}`);
  const lines = mergesTxt.split(/\r?\n/);
  const merges: Array<[string, string]> = [];
  for (const [i, line] of lines.entries()) {
    if (line === "" || (i === 0 && line.startsWith("#version"))) continue;
    const parts = line.split(" ");
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "") throw new TokenizerError(`merges.txt line ${i + 1}: expected two tokens separated by one space, got ${describe(line)}`);
    merges.push([parts[0]!, parts[1]!]);
  }
  const specials = options.specialTokens ?? [...vocab.keys()].filter((t) => /^<\|.+\|>$/.test(t));
  const addedTokens = specials.map((content) => {
    const id = vocab.get(content);
    if (id === undefined) throw new TokenizerError(`vocab.json: special token ${describe(content)} is not in the vocabulary`);
    return { id, content, special: true };
  });
  try {
    return new BpeTokenizer({ kind: "bpe", vocab, merges, addedTokens, pattern: GPT2_PATTERN });
  } catch (error) {
    if (error instanceof TokenizerError) throw new TokenizerError(`vocab.json + merges.txt: ${error.message}`, { cause: error });
    throw error;
  }
}
