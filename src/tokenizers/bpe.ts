// A byte-level BPE tokenizer (GPT-2's kind): the same class serves GPT-2 itself, tokenizers
// trained with trainBpe, and tokenizer.json files loaded from Hugging Face models.
//
// encode(text):
//   1. normalize (optional, e.g. NFC for Pythia);
//   2. cut out added/special tokens such as "<|endoftext|>", which map straight to their ids;
//   3. pre-tokenize the rest into words with a regex (pretokenize.ts);
//   4. each word → UTF-8 bytes → one base token per byte → apply the merges (merge.ts).
// decode(ids): concatenate each token's bytes and read them as UTF-8.
import { BYTE_TO_CHAR, bytesToVocabString, codePointWidths, fromUtf8, utf8, vocabStringToBytes } from "./bytes.js";
import { TokenizerError, describe } from "./errors.js";
import { MergeTable, applyMerges } from "./merge.js";
import { indexVocabulary, readSpecials } from "./vocabulary.js";
import { compileNormalizer, type Normalize } from "./normalizers.js";
import { GPT2_PATTERN, addedTokensRegex, splitOnAdded } from "./pretokenize.js";
import type { SpecialTokensTemplate } from "./template.js";
import type { EncodeOptions, TokenSpan, Tokenizer } from "./types.js";

/** A token matched in the text before pre-tokenization (Hugging Face's AddedToken). */
export interface AddedToken {
  id: number;
  content: string;
  /** Special tokens ("<|endoftext|>") can be switched off per call (EncodeOptions); others always match. */
  special: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
}

/** Everything that defines a byte-level BPE tokenizer. Vocabulary strings are in GPT-2's byte
 * stand-in alphabet (bytes.ts): "Ġthe" is the bytes " the". */
export interface BpeModel {
  vocab: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** Merges in rank order (earliest learned first). */
  merges: ReadonlyArray<readonly [string, string]>;
  addedTokens?: readonly AddedToken[];
  /** Pre-tokenizer regex source; default GPT-2's. null: no split, each stretch between added
   * tokens is one word (Hugging Face's ByteLevel with use_regex: false). */
  pattern?: string | null;
  /** Put a space in front of text that does not start with one, so a first word gets the same
   * tokens as it would mid-sentence. GPT-2: false. */
  addPrefixSpace?: boolean;
  /** A Hugging Face normalizer (its JSON), e.g. { type: "NFC" }. */
  normalizer?: unknown;
  /** Token used for bytes missing from the vocabulary (rare: byte-level vocabularies have all 256). */
  unkToken?: string | null;
  /** Look a whole word up in the vocabulary before merging (Hugging Face's ignore_merges). */
  ignoreMerges?: boolean;
  /** A Hugging Face post_processor (its JSON; template.ts): tokens put around a text on
   * encode(text, { addSpecialTokens: true }). GPT-2's ("ByteLevel") adds none. */
  postProcessor?: unknown;
  kind?: string;
}

const CACHE_LIMIT = 100_000;

export class BpeTokenizer implements Tokenizer {
  readonly kind: string;
  readonly vocabSize: number;
  readonly specialTokens: Readonly<Record<string, number>>;
  readonly addedTokens: readonly AddedToken[];
  /** The merge list in rank order, as vocabulary strings. */
  readonly merges: ReadonlyArray<readonly [string, string]>;
  /** What encode(text, { addSpecialTokens: true }) puts around the text, or null (GPT-2: null). */
  readonly template: SpecialTokensTemplate | null;
  /** The beginning-of-sequence token, when known: set by loadPretrainedTokenizer for a pretrained
   * model's folder (GPT-2: 50256), or by a post-processor that puts one token first. */
  bosTokenId: number | undefined;
  /** The end-of-sequence token, when known (GPT-2: 50256). */
  eosTokenId: number | undefined;
  private readonly vocab = new Map<string, number>();
  private readonly rawTokens: (string | undefined)[];
  private readonly tokenBytes: (Uint8Array | undefined)[];
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly table: MergeTable;
  private readonly pattern: RegExp | null;
  private readonly normalize: Normalize | null;
  private readonly addedByContent = new Map<string, number>();
  private readonly addedRegexes = new Map<string, RegExp | null>();
  private readonly unkId: number | undefined;
  private readonly cache = new Map<string, readonly number[]>();

  constructor(readonly model: BpeModel) {
    this.kind = model.kind ?? "bpe";
    const entries = model.vocab instanceof Map ? [...model.vocab] : Object.entries(model.vocab);
    const added = model.addedTokens ?? [];
    const bound = indexVocabulary(entries, added, this.vocab, this.addedByContent);
    this.vocabSize = bound;
    this.addedTokens = added;
    this.specialTokens = Object.fromEntries(added.filter((t) => t.special).map((t) => [t.content, t.id]));

    // Per-id text and bytes. Vocabulary strings must be in the byte alphabet, except added tokens,
    // whose bytes are their content's UTF-8.
    this.rawTokens = new Array(bound);
    this.tokenBytes = new Array(bound);
    for (const [token, id] of entries) {
      this.rawTokens[id] = token;
      const bytes = vocabStringToBytes(token);
      if (bytes === undefined && !this.addedByContent.has(token)) {
        const bad = [...token].find((c) => vocabStringToBytes(c) === undefined)!;
        throw new TokenizerError(`vocab: token ${describe(token)} (id ${id}) is not byte-level: character ${describe(bad)} is none of the 256 byte stand-ins`);
      }
      this.tokenBytes[id] = bytes;
      if (bytes?.length === 1) this.byteIds[bytes[0]!] = id;
    }
    for (const t of added) {
      this.rawTokens[t.id] = t.content;
      this.tokenBytes[t.id] = utf8(t.content);
    }

    // Merges: each must join two known tokens into a known token.
    this.table = new MergeTable(bound);
    this.merges = model.merges;
    for (const [i, pair] of model.merges.entries()) {
      const [a, b] = pair;
      const left = this.vocab.get(a);
      const right = this.vocab.get(b);
      const merged = this.vocab.get(a + b);
      if (left === undefined || right === undefined || merged === undefined) {
        const missing = left === undefined ? a : right === undefined ? b : a + b;
        throw new TokenizerError(`merges[${i}] (${describe(a)}, ${describe(b)}): token ${describe(missing)} is not in the vocabulary`);
      }
      this.table.add(left, right, merged);
    }

    this.pattern = model.pattern === null ? null : compilePattern(model.pattern ?? GPT2_PATTERN);
    this.normalize = compileNormalizer(model.normalizer);
    const specials = readSpecials(model.postProcessor, model.unkToken, (id) => this.tokenBytes[id] !== undefined, (t) => this.vocab.get(t) ?? this.addedByContent.get(t));
    this.template = specials.template;
    this.bosTokenId = specials.bos;
    this.eosTokenId = undefined;
    this.unkId = specials.unkId;
  }

  /** Token ids of a text; with { addSpecialTokens: true } also the post-processor's tokens around it. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    this.run(text, options, ids, null);
    if (!options.addSpecialTokens || this.template === null) return ids;
    return [...this.template.before, ...ids, ...this.template.after];
  }

  encodeWithOffsets(text: string, options: EncodeOptions = {}): TokenSpan[] {
    const spans: TokenSpan[] = [];
    this.run(text, options, [], spans);
    if (!options.addSpecialTokens || this.template === null) return spans;
    const special = (id: number, at: number): TokenSpan => ({ id, token: this.idToToken(id), start: at, end: at });
    return [...this.template.before.map((id) => special(id, 0)), ...spans, ...this.template.after.map((id) => special(id, text.length))];
  }

  /** The tokens of a text as vocabulary strings ("Ġthe"), like Hugging Face's tokenize(). */
  tokenize(text: string, options: EncodeOptions = {}): string[] {
    return this.encode(text, options).map((id) => this.rawTokens[id]!);
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (const [i, id] of ids.entries()) {
      const bytes = Number.isInteger(id) ? this.tokenBytes[id] : undefined;
      if (bytes === undefined) throw new TokenizerError(`decode: ids[${i}] = ${describe(id)} is not a token id of this ${this.kind} tokenizer (vocabulary of ${this.vocabSize})`);
      if (options.skipSpecialTokens && this.specialTokens[this.rawTokens[id]!] === id) continue;
      parts.push(bytes);
      length += bytes.length;
    }
    const all = new Uint8Array(length);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return fromUtf8(all);
  }

  idToToken(id: number): string {
    const bytes = this.tokenBytes[id];
    if (bytes === undefined) throw new TokenizerError(`idToToken: ${describe(id)} is not a token id (vocabulary of ${this.vocabSize})`);
    return fromUtf8(bytes);
  }

  /** The token as written in the vocabulary file ("Ġthe" for " the"). */
  idToRawToken(id: number): string {
    const raw = this.rawTokens[id];
    if (raw === undefined) throw new TokenizerError(`idToRawToken: ${describe(id)} is not a token id (vocabulary of ${this.vocabSize})`);
    return raw;
  }

  /** The bytes a token stands for. */
  idToBytes(id: number): Uint8Array {
    const bytes = this.tokenBytes[id];
    if (bytes === undefined) throw new TokenizerError(`idToBytes: ${describe(id)} is not a token id (vocabulary of ${this.vocabSize})`);
    return bytes;
  }

  tokenToId(token: string): number | undefined {
    return this.addedByContent.get(token) ?? this.vocab.get(bytesToVocabString(utf8(token)));
  }

  /** The tokenizer as a Hugging Face tokenizer.json object (JSON.stringify it to save). */
  toJSON(): Record<string, unknown> {
    const m = this.model;
    const byteLevel = { add_prefix_space: m.addPrefixSpace ?? false, trim_offsets: true, use_regex: m.pattern !== null };
    const pre = m.pattern === undefined || m.pattern === null || m.pattern === GPT2_PATTERN
      ? { type: "ByteLevel", ...byteLevel }
      : { type: "Sequence", pretokenizers: [{ type: "Split", pattern: { Regex: m.pattern }, behavior: "Isolated", invert: false }, { type: "ByteLevel", ...byteLevel, use_regex: false }] };
    return {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: this.addedTokens.map((t) => ({
        id: t.id,
        content: t.content,
        single_word: false,
        lstrip: t.lstrip ?? false,
        rstrip: t.rstrip ?? false,
        normalized: t.normalized ?? false,
        special: t.special,
      })),
      normalizer: m.normalizer ?? null,
      pre_tokenizer: pre,
      post_processor: m.postProcessor ?? { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
      decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: "BPE",
        dropout: null,
        unk_token: m.unkToken ?? null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: m.ignoreMerges ?? false,
        vocab: Object.fromEntries([...this.vocab].sort((x, y) => x[1] - y[1])),
        // "a b" strings: readable by every version of the tokenizers library. Safe here because
        // byte-level tokens never contain a plain space (the space byte is written "Ġ").
        merges: this.merges.map(([a, b]) => `${a} ${b}`),
      },
    };
  }

  // -------------------------------------------------------------------------------------------

  /** Token ids of one pre-tokenized word, cached: text repeats words, so most are looked up. */
  private encodeWord(word: string): readonly number[] {
    const hit = this.cache.get(word);
    if (hit !== undefined) return hit;
    const bytes = utf8(word);
    let ids: number[] | undefined;
    if (this.model.ignoreMerges) {
      const whole = this.vocab.get(bytesToVocabString(bytes));
      if (whole !== undefined) ids = [whole];
    }
    if (ids === undefined) {
      ids = new Array<number>(bytes.length);
      for (let i = 0; i < bytes.length; i++) {
        const id = this.byteIds[bytes[i]!]!;
        if (id >= 0) ids[i] = id;
        else if (this.unkId !== undefined) ids[i] = this.unkId;
        else throw new TokenizerError(`encode: byte 0x${bytes[i]!.toString(16)} (${BYTE_TO_CHAR[bytes[i]!]}) has no token in this ${this.kind} vocabulary and there is no unk_token`);
      }
      ids = applyMerges(ids, this.table);
    }
    if (word.length <= 256) {
      // Long words rarely repeat; leaving them out keeps the cache's memory bounded.
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word, ids);
    }
    return ids;
  }

  private addedRegex(allowed: EncodeOptions["allowedSpecial"] = "all"): RegExp | null {
    const key = typeof allowed === "string" ? allowed : JSON.stringify(allowed);
    if (!this.addedRegexes.has(key)) {
      if (Array.isArray(allowed)) {
        for (const name of allowed) if (this.specialTokens[name] === undefined) throw new TokenizerError(`allowedSpecial: ${describe(name)} is not a special token of this tokenizer (${Object.keys(this.specialTokens).join(", ") || "none"})`);
      } else if (allowed !== "all" && allowed !== "none") {
        throw new TokenizerError(`allowedSpecial must be "all", "none" or a list of special tokens, got ${describe(allowed)}`);
      }
      const on = (t: AddedToken) => !t.special || allowed === "all" || (Array.isArray(allowed) && allowed.includes(t.content));
      this.addedRegexes.set(key, addedTokensRegex(this.addedTokens.filter(on)));
    }
    return this.addedRegexes.get(key)!;
  }

  private run(text: string, options: EncodeOptions, ids: number[], spans: TokenSpan[] | null): void {
    if (typeof text !== "string") throw new TokenizerError(`encode: text must be a string, got ${describe(text)}`);
    const normalized = this.normalize ? this.normalize(text) : text;
    for (const seg of splitOnAdded(normalized, this.addedRegex(options.allowedSpecial))) {
      if (seg.added !== undefined) {
        const id = this.addedByContent.get(seg.added)!;
        ids.push(id);
        spans?.push({ id, token: seg.added, start: seg.start, end: seg.start + seg.text.length });
        continue;
      }
      let s = seg.text;
      let shift = seg.start;
      if (this.model.addPrefixSpace && !s.startsWith(" ")) {
        s = " " + s;
        shift -= 1; // the added space has no place in the input; its span is clamped below
      }
      if (this.pattern === null) {
        this.emitWord(s, shift, ids, spans);
        continue;
      }
      this.pattern.lastIndex = 0;
      let last = 0;
      for (const m of s.matchAll(this.pattern)) {
        // Text the pattern skips (none for GPT-2's, which matches everything) is kept as a word.
        if (m.index > last) this.emitWord(s.slice(last, m.index), shift + last, ids, spans);
        if (m[0].length > 0) this.emitWord(m[0], shift + m.index, ids, spans);
        last = m.index + m[0].length;
      }
      if (last < s.length) this.emitWord(s.slice(last), shift + last, ids, spans);
    }
  }

  private emitWord(word: string, start: number, ids: number[], spans: TokenSpan[] | null): void {
    const wordIds = this.encodeWord(word);
    for (const id of wordIds) ids.push(id);
    if (spans === null) return;
    // Walk the word's code points, consuming each token's bytes, to find the text it covers.
    let unit = 0; // position in `word`, in UTF-16 units
    let into = 0; // bytes of the current code point already consumed
    for (const id of wordIds) {
      const from = unit;
      let remaining = this.tokenBytes[id]!.length;
      while (remaining > 0 && unit < word.length) {
        const w = codePointWidths(word, unit);
        const take = Math.min(remaining, w.bytes - into);
        into += take;
        remaining -= take;
        if (into === w.bytes) {
          unit += w.units;
          into = 0;
        }
      }
      const to = into > 0 ? unit + codePointWidths(word, unit).units : unit;
      spans.push({ id, token: this.idToToken(id), start: Math.max(0, start + from), end: Math.max(0, start + to) });
    }
  }
}

function compilePattern(source: string): RegExp {
  try {
    return new RegExp(source, "gu");
  } catch (error) {
    throw new TokenizerError(`pre-tokenizer pattern ${describe(source)} is not a valid JavaScript regular expression: ${(error as Error).message}`);
  }
}
