// SentencePiece-style BPE, the tokenizer of Llama 1 and 2, TinyLlama and Mistral, as their
// tokenizer.json files write it (Hugging Face's conversion of SentencePiece's model).
//
// It is BPE like GPT-2's (bpe.ts): a merge list learned from text, applied with the same loop
// (merge.ts: merge the adjacent pair learned earliest, repeat). What differs is the alphabet:
//
//   GPT-2 (byte-level BPE)                   SentencePiece-style BPE
//   ---------------------------------------  ------------------------------------------------
//   symbols are the 256 bytes                symbols are Unicode characters (code points)
//   a space belongs to the next word:        a space is the visible character "▁" (U+2581):
//   " the" is written "Ġthe"                 " the" is "▁the"
//   a regex first cuts text into words,      no cutting: the whole text is one sequence, so
//   and merges stay inside a word            a token may hold several spaces ("▁▁▁▁")
//   every byte is a token, so nothing        a character outside the vocabulary falls back to
//   is ever unknown                          its UTF-8 bytes, tokens "<0xF0>" "<0x9F>" …
//                                            ("byte fallback"), or else to "<unk>"
//
// encode("Hello world"):
//   1. cut out added tokens written in the text ("<s>", "</s>"), as GPT-2 cuts "<|endoftext|>";
//   2. normalize each other piece: Llama puts "▁" in front and turns every " " into "▁"
//      (normalizer Prepend + Replace): "▁Hello▁world";
//   3. each character → its id; one the vocabulary lacks → the ids of its bytes' <0xNN> tokens;
//   4. apply the merges: ▁ H e l l o ▁ w o r l d → ▁Hello ▁world.
// decode(ids): the pieces → "▁" back to " ", runs of <0xNN> back to UTF-8 text, and the one
// space that step 2 put in front removed (decoder Replace, ByteFallback, Fuse, Strip).
//
// Newer conversions write step 2 as a "Metaspace" pre-tokenizer instead of a normalizer
// (prepend_scheme "first": "▁" only in front of the text's start, not after an added token);
// both forms are read here. Everything else a tokenizer.json may say is refused by name.
import type { AddedToken } from "./bpe.js";
import { UnknownTokenError, TokenizerError, describe, describeChar } from "./errors.js";
import { MergeTable, applyMerges } from "./merge.js";
import { indexVocabulary, readSpecials } from "./vocabulary.js";
import { addedTokensRegex, splitOnAdded } from "./pretokenize.js";
import type { SpecialTokensTemplate } from "./template.js";
import type { EncodeOptions, TokenSpan, Tokenizer } from "./types.js";

/** Everything that defines a SentencePiece-style BPE tokenizer (tokenizer.json's fields). */
export interface SentencePieceBpeModel {
  /** Token → id. Tokens are text with "▁" for spaces, and "<0x0A>"-style byte tokens. */
  vocab: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  /** Merges in rank order (earliest learned first). */
  merges: ReadonlyArray<readonly [string, string]>;
  addedTokens?: readonly AddedToken[];
  /** tokenizer.json's "normalizer": null, or Prepend / Replace (with a String pattern) / Sequence. */
  normalizer?: unknown;
  /** tokenizer.json's "pre_tokenizer": null, or Metaspace. */
  preTokenizer?: unknown;
  /** tokenizer.json's "decoder": Replace / ByteFallback / Fuse / Strip / Metaspace / Sequence. */
  decoder?: unknown;
  /** tokenizer.json's "post_processor" (template.ts): Llama's puts "<s>" in front. */
  postProcessor?: unknown;
  /** A character missing from the vocabulary becomes its UTF-8 bytes' <0xNN> tokens. */
  byteFallback?: boolean;
  /** Token for characters that have no token (when byte fallback is off or a byte token is missing). */
  unkToken?: string | null;
  /** Consecutive unknown characters become one unk token. */
  fuseUnk?: boolean;
  /** Look the whole sequence up in the vocabulary before merging (Hugging Face's ignore_merges). */
  ignoreMerges?: boolean;
  kind?: string;
}

// ------------------------------------------------------------------------------ aligned text
// Normalizing changes the text ("Hello" → "▁Hello"). To tell which part of the input each token
// came from (encodeWithOffsets), normalization carries, for every UTF-16 unit of the normalized
// text, the index of the input unit it came from, or -1 for a unit it inserted.

interface Aligned {
  text: string;
  origin: number[];
}

const slice = (a: Aligned, start: number, end = a.text.length): Aligned => ({ text: a.text.slice(start, end), origin: a.origin.slice(start, end) });

/** `inserted` in front of the text (not in front of an empty text: Hugging Face's Prepend). */
function prepend(a: Aligned, inserted: string): Aligned {
  if (a.text.length === 0) return a;
  return { text: inserted + a.text, origin: [...new Array<number>(inserted.length).fill(-1), ...a.origin] };
}

/** Every occurrence of `from` replaced by `to`, left to right; each unit of `to` keeps an origin of the text it replaced. */
function replace(a: Aligned, from: string, to: string): Aligned {
  if (from.length === 0 || !a.text.includes(from)) return a;
  let text = "";
  const origin: number[] = [];
  let i = 0;
  while (i < a.text.length) {
    if (a.text.startsWith(from, i)) {
      text += to;
      for (let k = 0; k < to.length; k++) origin.push(a.origin[i + Math.min(k, from.length - 1)]!);
      i += from.length;
    } else {
      text += a.text[i];
      origin.push(a.origin[i]!);
      i++;
    }
  }
  return { text, origin };
}

// ------------------------------------------------------------------------------ the JSON parts

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isOneChar = (v: unknown): v is string => typeof v === "string" && [...v].length === 1;

/** A Replace's pattern: only {"String": "..."} (a regex pattern is refused). */
function stringPattern(spec: Json, where: string): string {
  const p = spec.pattern;
  if (isObject(p) && typeof p.String === "string" && p.String !== "") return p.String;
  if (isObject(p) && "Regex" in p) throw new TokenizerError(`${where}.pattern: a Regex pattern is not supported (only {"String": "..."})`);
  throw new TokenizerError(`${where}.pattern must be {"String": "..."}, got ${describe(p)}`);
}

type NormalizeStep = (a: Aligned) => Aligned;

/** The normalizer as steps over aligned text. */
function compileNormalizer(spec: unknown, where: string): NormalizeStep[] {
  if (spec === null || spec === undefined) return [];
  if (!isObject(spec)) throw new TokenizerError(`${where} must be an object or null, got ${describe(spec)}`);
  switch (spec.type) {
    case "Prepend": {
      if (typeof spec.prepend !== "string") throw new TokenizerError(`${where}.prepend must be a string, got ${describe(spec.prepend)}`);
      const inserted = spec.prepend;
      return [(a) => prepend(a, inserted)];
    }
    case "Replace": {
      const from = stringPattern(spec, where);
      if (typeof spec.content !== "string") throw new TokenizerError(`${where}.content must be a string, got ${describe(spec.content)}`);
      const to = spec.content;
      return [(a) => replace(a, from, to)];
    }
    case "Sequence": {
      if (!Array.isArray(spec.normalizers)) throw new TokenizerError(`${where}.normalizers must be an array, got ${describe(spec.normalizers)}`);
      return spec.normalizers.flatMap((n, i) => compileNormalizer(n, `${where}.normalizers[${i}]`));
    }
    default:
      throw new TokenizerError(`${where}.type ${describe(spec.type)} is not supported in a SentencePiece-style tokenizer (supported: Prepend, Replace with a String pattern, Sequence, or null)`);
  }
}

/**
 * The Metaspace pre-tokenizer: every " " → "▁", a "▁" in front of the text (prepend_scheme
 * "always"; "first": only where the text starts, not after an added token; "never"), and, with
 * split (the default of old files), a cut before every "▁" so each piece is one word.
 */
interface Metaspace {
  replacement: string;
  prependScheme: "always" | "first" | "never";
  split: boolean;
}

function readPrependScheme(spec: Json, where: string): Metaspace["prependScheme"] {
  const scheme = spec.prepend_scheme ?? "always";
  if (scheme !== "always" && scheme !== "first" && scheme !== "never") throw new TokenizerError(`${where}.prepend_scheme must be "always", "first" or "never", got ${describe(scheme)}`);
  // old files say add_prefix_space instead; false means "never"
  if (spec.add_prefix_space === false) {
    if (spec.prepend_scheme !== undefined && scheme !== "never") throw new TokenizerError(`${where}: add_prefix_space false contradicts prepend_scheme ${describe(scheme)}`);
    return "never";
  }
  if (spec.add_prefix_space !== undefined && typeof spec.add_prefix_space !== "boolean") throw new TokenizerError(`${where}.add_prefix_space must be true or false`);
  return scheme;
}

function readMetaspace(spec: unknown, where: string): Metaspace | null {
  if (spec === null || spec === undefined) return null;
  if (!isObject(spec)) throw new TokenizerError(`${where} must be an object or null, got ${describe(spec)}`);
  if (spec.type !== "Metaspace") throw new TokenizerError(`${where}.type ${describe(spec.type)} is not supported in a SentencePiece-style tokenizer (only "Metaspace", or null)`);
  if (!isOneChar(spec.replacement)) throw new TokenizerError(`${where}.replacement must be one character, got ${describe(spec.replacement)}`);
  if (spec.split !== undefined && typeof spec.split !== "boolean") throw new TokenizerError(`${where}.split must be true or false`);
  return { replacement: spec.replacement, prependScheme: readPrependScheme(spec, where), split: spec.split !== false };
}

/** A decoder step: token strings in, token strings out (Hugging Face's decode_chain). */
type DecodeStep = (tokens: string[]) => string[];

const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;

/** Runs of <0xNN> tokens → their bytes as UTF-8 text; a run that is not valid UTF-8 gives one "�" per byte. */
function byteFallbackStep(tokens: string[]): string[] {
  const out: string[] = [];
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length === 0) return;
    try {
      out.push(new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(bytes)));
    } catch {
      for (let i = 0; i < bytes.length; i++) out.push("\uFFFD");
    }
    bytes = [];
  };
  for (const t of tokens) {
    const m = BYTE_TOKEN.exec(t);
    if (m) bytes.push(parseInt(m[1]!, 16));
    else {
      flush();
      out.push(t);
    }
  }
  flush();
  return out;
}

/** Up to `start` leading and `stop` trailing `content` characters removed from each token. */
function stripStep(content: string, start: number, stop: number): DecodeStep {
  return (tokens) =>
    tokens.map((token) => {
      const chars = [...token];
      let from = 0;
      while (from < start && from < chars.length && chars[from] === content) from++;
      let to = chars.length;
      while (chars.length - to < stop && to > from && chars[to - 1] === content) to--;
      return chars.slice(from, to).join("");
    });
}

function compileDecoder(spec: unknown, where: string): DecodeStep[] {
  if (!isObject(spec)) throw new TokenizerError(`${where} must be an object, got ${describe(spec)}; a SentencePiece-style tokenizer needs a decoder (Llama's: Sequence of Replace, ByteFallback, Fuse, Strip)`);
  const count = (v: unknown, name: string) => {
    if (v === undefined) return 0;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new TokenizerError(`${where}.${name} must be an integer ≥ 0, got ${describe(v)}`);
    return v;
  };
  switch (spec.type) {
    case "Replace": {
      const from = stringPattern(spec, where);
      if (typeof spec.content !== "string") throw new TokenizerError(`${where}.content must be a string, got ${describe(spec.content)}`);
      const to = spec.content;
      return [(tokens) => tokens.map((t) => t.replaceAll(from, to))];
    }
    case "ByteFallback":
      return [byteFallbackStep];
    case "Fuse":
      return [(tokens) => [tokens.join("")]];
    case "Strip":
      if (!isOneChar(spec.content)) throw new TokenizerError(`${where}.content must be one character, got ${describe(spec.content)}`);
      return [stripStep(spec.content, count(spec.start, "start"), count(spec.stop, "stop"))];
    case "Metaspace": {
      // "▁" → " ", except that the first token loses its "▁"s (they were added by the encoder)
      if (!isOneChar(spec.replacement)) throw new TokenizerError(`${where}.replacement must be one character, got ${describe(spec.replacement)}`);
      const r = spec.replacement;
      const dropFirst = readPrependScheme(spec, where) !== "never";
      return [(tokens) => tokens.map((t, i) => t.replaceAll(r, i === 0 && dropFirst ? "" : " "))];
    }
    case "Sequence":
      if (!Array.isArray(spec.decoders)) throw new TokenizerError(`${where}.decoders must be an array, got ${describe(spec.decoders)}`);
      return spec.decoders.flatMap((d, i) => compileDecoder(d, `${where}.decoders[${i}]`));
    default:
      throw new TokenizerError(`${where}.type ${describe(spec.type)} is not supported in a SentencePiece-style tokenizer (supported: Replace, ByteFallback, Fuse, Strip, Metaspace, Sequence)`);
  }
}

// ------------------------------------------------------------------------------ the tokenizer

const CACHE_LIMIT = 100_000;
const utf8 = new TextEncoder();

/** One base symbol of a sequence before merging, and the units [start, end) of the sequence it covers. */
interface SymbolSpan {
  id: number;
  start: number;
  end: number;
}

export class SentencePieceBpeTokenizer implements Tokenizer {
  readonly kind: string;
  readonly vocabSize: number;
  readonly specialTokens: Readonly<Record<string, number>>;
  readonly addedTokens: readonly AddedToken[];
  /** The merge list in rank order. */
  readonly merges: ReadonlyArray<readonly [string, string]>;
  /** What encode(text, { addSpecialTokens: true }) puts around the text (Llama: "<s>" before), or null. */
  readonly template: SpecialTokensTemplate | null;
  /** The beginning-of-sequence token (Llama: 1, "<s>"): from the post-processor, or set by
   * loadPretrainedTokenizer from tokenizer_config.json. toTokens() puts it in front. */
  bosTokenId: number | undefined;
  /** The end-of-sequence token (Llama: 2, "</s>"), when known (tokenizer_config.json). */
  eosTokenId: number | undefined;
  private readonly vocab = new Map<string, number>();
  /** Each id's piece as the vocabulary (or added token) writes it: "▁the", "<0x0A>", "<s>". */
  private readonly pieces: (string | undefined)[];
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly table: MergeTable;
  private readonly normalizeSteps: NormalizeStep[];
  private readonly metaspace: Metaspace | null;
  private readonly decodeSteps: DecodeStep[];
  private readonly addedByContent = new Map<string, number>();
  private readonly addedRegexes = new Map<string, { raw: RegExp | null; normalized: RegExp | null; byNormalized: Map<string, string> }>();
  private readonly unkId: number | undefined;
  private readonly cache = new Map<string, readonly number[]>();

  constructor(readonly model: SentencePieceBpeModel) {
    this.kind = model.kind ?? "sentencepiece-bpe";
    const entries = model.vocab instanceof Map ? [...model.vocab] : Object.entries(model.vocab);
    const added = model.addedTokens ?? [];
    const bound = indexVocabulary(entries, added, this.vocab, this.addedByContent);
    this.vocabSize = bound;
    this.addedTokens = added;
    this.specialTokens = Object.fromEntries(added.filter((t) => t.special).map((t) => [t.content, t.id]));
    this.pieces = new Array(bound);
    for (const [token, id] of entries) this.pieces[id] = token;
    for (const t of added) this.pieces[t.id] = t.content;
    for (let b = 0; b < 256; b++) this.byteIds[b] = this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`) ?? -1;

    this.table = new MergeTable(bound);
    this.merges = model.merges;
    for (const [i, [a, b]] of model.merges.entries()) {
      const left = this.vocab.get(a);
      const right = this.vocab.get(b);
      const merged = this.vocab.get(a + b);
      if (left === undefined || right === undefined || merged === undefined) {
        const missing = left === undefined ? a : right === undefined ? b : a + b;
        throw new TokenizerError(`merges[${i}] (${describe(a)}, ${describe(b)}): token ${describe(missing)} is not in the vocabulary`);
      }
      this.table.add(left, right, merged);
    }

    this.normalizeSteps = compileNormalizer(model.normalizer, "normalizer");
    this.metaspace = readMetaspace(model.preTokenizer, "pre_tokenizer");
    this.decodeSteps = compileDecoder(model.decoder, "decoder");
    const specials = readSpecials(model.postProcessor, model.unkToken, (id) => this.pieces[id] !== undefined, (t) => this.vocab.get(t) ?? this.addedByContent.get(t));
    this.template = specials.template;
    this.bosTokenId = specials.bos;
    this.eosTokenId = undefined;
    this.unkId = specials.unkId;
  }

  /**
   * Token ids of a text. With { addSpecialTokens: true } the post-processor's tokens are added
   * around it (Llama: "<s>" first), as Hugging Face's encode does by default; toTokens() is the
   * TransformerLens-style way to get a model's input.
   */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    this.run(text, options, ids, null);
    return this.withTemplate(ids, options);
  }

  encodeWithOffsets(text: string, options: EncodeOptions = {}): TokenSpan[] {
    const spans: TokenSpan[] = [];
    this.run(text, options, [], spans);
    if (!options.addSpecialTokens || this.template === null) return spans;
    const special = (id: number, at: number): TokenSpan => ({ id, token: this.pieces[id]!, start: at, end: at });
    return [...this.template.before.map((id) => special(id, 0)), ...spans, ...this.template.after.map((id) => special(id, text.length))];
  }

  /** The tokens of a text as the vocabulary writes them ("▁Hello"), like Hugging Face's tokenize(). */
  tokenize(text: string, options: EncodeOptions = {}): string[] {
    return this.encode(text, options).map((id) => this.pieces[id]!);
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    const tokens: string[] = [];
    for (const [i, id] of ids.entries()) {
      const piece = Number.isInteger(id) ? this.pieces[id] : undefined;
      if (piece === undefined) throw new TokenizerError(`decode: ids[${i}] = ${describe(id)} is not a token id of this ${this.kind} tokenizer (vocabulary of ${this.vocabSize})`);
      if (options.skipSpecialTokens && this.specialTokens[piece] === id) continue;
      tokens.push(piece);
    }
    return this.decodeSteps.reduce((t, step) => step(t), tokens).join("");
  }

  /** The text of one token for token views: "▁the" → " the", "<0x0A>" → "\n"; a byte token that
   * is part of a longer character shows as "�" (as GPT-2's partial bytes do). */
  idToToken(id: number): string {
    const piece = this.pieces[id];
    if (piece === undefined) throw new TokenizerError(`idToToken: ${describe(id)} is not a token id (vocabulary of ${this.vocabSize})`);
    if (this.addedByContent.get(piece) === id) return piece;
    const byte = BYTE_TOKEN.exec(piece);
    if (byte) {
      const b = parseInt(byte[1]!, 16);
      return b < 0x80 ? String.fromCharCode(b) : "\uFFFD";
    }
    return piece.replaceAll(this.spaceSymbol, " ");
  }

  /** The token as written in the vocabulary ("▁the" for " the"). */
  idToRawToken(id: number): string {
    const piece = this.pieces[id];
    if (piece === undefined) throw new TokenizerError(`idToRawToken: ${describe(id)} is not a token id (vocabulary of ${this.vocabSize})`);
    return piece;
  }

  /** The id of text that is one token: an added token, a vocabulary piece as written ("▁the")
   * or with spaces (" the"), or one ASCII character that only a byte token holds ("\n"). */
  tokenToId(token: string): number | undefined {
    const direct = this.addedByContent.get(token) ?? this.vocab.get(token) ?? this.vocab.get(token.replaceAll(" ", this.spaceSymbol));
    if (direct !== undefined) return direct;
    const c = token.length === 1 ? token.charCodeAt(0) : -1;
    return c >= 0 && c < 0x80 && this.byteIds[c]! >= 0 ? this.byteIds[c] : undefined;
  }

  /** The tokenizer as a Hugging Face tokenizer.json object (JSON.stringify it to save). */
  toJSON(): Record<string, unknown> {
    const m = this.model;
    const spaced = this.merges.some(([a, b]) => a.includes(" ") || b.includes(" "));
    return {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: this.addedTokens.map((t) => ({ id: t.id, content: t.content, single_word: false, lstrip: t.lstrip ?? false, rstrip: t.rstrip ?? false, normalized: t.normalized ?? false, special: t.special })),
      normalizer: m.normalizer ?? null,
      pre_tokenizer: m.preTokenizer ?? null,
      post_processor: m.postProcessor ?? null,
      decoder: m.decoder ?? null,
      model: {
        type: "BPE",
        dropout: null,
        unk_token: m.unkToken ?? null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: m.fuseUnk ?? false,
        byte_fallback: m.byteFallback ?? false,
        ignore_merges: m.ignoreMerges ?? false,
        vocab: Object.fromEntries([...this.vocab].sort((x, y) => x[1] - y[1])),
        // "a b" strings unless a token holds a space (then ["a", "b"] pairs, tokenizers ≥ 0.20)
        merges: spaced ? this.merges.map(([a, b]) => [a, b]) : this.merges.map(([a, b]) => `${a} ${b}`),
      },
    };
  }

  // -------------------------------------------------------------------------------------------

  /** The character that stands for a space in the vocabulary ("▁"). */
  private get spaceSymbol(): string {
    return this.metaspace?.replacement ?? "\u2581";
  }

  private withTemplate(ids: number[], options: EncodeOptions): number[] {
    if (!options.addSpecialTokens || this.template === null) return ids;
    return [...this.template.before, ...ids, ...this.template.after];
  }

  /** Added tokens matched in the raw text (normalized: false) and in normalized text (normalized: true, matched by their normalized form). */
  private addedMatchers(allowed: EncodeOptions["allowedSpecial"] = "all") {
    const key = typeof allowed === "string" ? allowed : JSON.stringify(allowed);
    let m = this.addedRegexes.get(key);
    if (m === undefined) {
      if (Array.isArray(allowed)) {
        for (const name of allowed) if (this.specialTokens[name] === undefined) throw new TokenizerError(`allowedSpecial: ${describe(name)} is not a special token of this tokenizer (${Object.keys(this.specialTokens).join(", ") || "none"})`);
      } else if (allowed !== "all" && allowed !== "none") {
        throw new TokenizerError(`allowedSpecial must be "all", "none" or a list of special tokens, got ${describe(allowed)}`);
      }
      const on = this.addedTokens.filter((t) => !t.special || allowed === "all" || (Array.isArray(allowed) && allowed.includes(t.content)));
      const byNormalized = new Map<string, string>();
      const normalized = on.filter((t) => t.normalized === true).map((t) => {
        const form = this.normalize({ text: t.content, origin: Array.from({ length: t.content.length }, (_, i) => i) }).text;
        byNormalized.set(form, t.content);
        return { ...t, content: form };
      });
      m = { raw: addedTokensRegex(on.filter((t) => t.normalized !== true)), normalized: addedTokensRegex(normalized), byNormalized };
      this.addedRegexes.set(key, m);
    }
    return m;
  }

  private normalize(a: Aligned): Aligned {
    return this.normalizeSteps.reduce((t, step) => step(t), a);
  }

  /** The Metaspace pre-tokenizer: the sequences BPE runs on. `atStart`: the piece begins the input. */
  private preTokenize(a: Aligned, atStart: boolean): Aligned[] {
    const ms = this.metaspace;
    if (ms === null) return [a];
    let t = replace(a, " ", ms.replacement);
    const put = ms.prependScheme === "always" || (ms.prependScheme === "first" && atStart);
    if (put && !t.text.startsWith(ms.replacement)) t = { text: ms.replacement + t.text, origin: [-1, ...t.origin] };
    if (!ms.split) return [t];
    // a cut before every "▁", which starts the next piece: "▁Hello▁▁world" → "▁Hello", "▁", "▁world"
    const words: Aligned[] = [];
    let from = 0;
    for (let i = 1; i <= t.text.length; i++) {
      if (i === t.text.length || t.text.startsWith(ms.replacement, i)) {
        if (i > from) words.push(slice(t, from, i));
        from = i;
      }
    }
    return words;
  }

  private run(text: string, options: EncodeOptions, ids: number[], spans: TokenSpan[] | null): void {
    if (typeof text !== "string") throw new TokenizerError(`encode: text must be a string, got ${describe(text)}`);
    const added = this.addedMatchers(options.allowedSpecial);
    const addedToken = (content: string, start: number, end: number) => {
      const id = this.addedByContent.get(content)!;
      ids.push(id);
      spans?.push({ id, token: content, start, end });
    };
    // 1. added tokens as written in the text; 2. normalize each other piece, then cut out the
    // added tokens that match normalized text; 3. pre-tokenize; 4. BPE
    for (const seg of splitOnAdded(text, added.raw)) {
      if (seg.added !== undefined) {
        addedToken(seg.added, seg.start, seg.start + seg.text.length);
        continue;
      }
      const piece = this.normalize({ text: seg.text, origin: Array.from({ length: seg.text.length }, (_, i) => seg.start + i) });
      for (const sub of splitOnAdded(piece.text, added.normalized)) {
        const part = slice(piece, sub.start, sub.start + sub.text.length);
        if (sub.added !== undefined) {
          const [start, end] = this.originalRange(part.origin, 0, part.text.length, text);
          addedToken(added.byNormalized.get(sub.added) ?? sub.added, start, end);
          continue;
        }
        const atStart = part.origin.find((o) => o >= 0) === 0;
        for (const word of this.preTokenize(part, atStart)) this.emitWord(word, text, ids, spans);
      }
    }
  }

  private emitWord(word: Aligned, text: string, ids: number[], spans: TokenSpan[] | null): void {
    const wordIds = this.encodeWord(word);
    for (const id of wordIds) ids.push(id);
    if (spans === null) return;
    // Which base symbols did each token take? A byte or unk token is one symbol; any other token
    // is the concatenation of the characters it covers, so it takes that many UTF-16 units.
    const symbols = this.symbols(word);
    let s = 0;
    for (const id of wordIds) {
      const first = symbols[s]!;
      let end = first.end;
      if (id === this.unkId || this.pieces[id]!.length === 0 || BYTE_TOKEN.test(this.pieces[id]!)) s++;
      else {
        const units = first.start + this.pieces[id]!.length;
        while (s < symbols.length && symbols[s]!.start < units) end = symbols[s++]!.end;
      }
      const [start, stop] = this.originalRange(word.origin, first.start, end, text);
      spans.push({ id, token: this.idToToken(id), start, end: stop });
    }
  }

  /** The input range [start, end) that units [from, to) of a normalized text came from; inserted units
   * alone (the "▁" put in front) cover nothing, at the position of the next input unit. */
  private originalRange(origin: readonly number[], from: number, to: number, text: string): [number, number] {
    let lo = Infinity;
    let hi = -1;
    for (let i = from; i < to; i++) {
      const o = origin[i]!;
      if (o >= 0) {
        lo = Math.min(lo, o);
        hi = Math.max(hi, o);
      }
    }
    if (hi < 0) {
      const next = origin.slice(to).find((o) => o >= 0) ?? text.length;
      return [next, next];
    }
    const c = text.charCodeAt(hi);
    return [lo, hi + (c >= 0xd800 && c <= 0xdbff ? 2 : 1)];
  }

  /** A sequence's base symbols before merging: each character's id, or its bytes' <0xNN> ids,
   * or the unk token (one for a run of unknown characters with fuse_unk). */
  private symbols(word: Aligned): SymbolSpan[] {
    const out: SymbolSpan[] = [];
    let unit = 0;
    let lastUnk = false;
    for (const ch of word.text) {
      const start = unit;
      unit += ch.length;
      const id = this.vocab.get(ch);
      if (id !== undefined) {
        out.push({ id, start, end: unit });
        lastUnk = false;
        continue;
      }
      if (this.model.byteFallback) {
        const bytes = utf8.encode(ch);
        if (bytes.every((b) => this.byteIds[b]! >= 0)) {
          for (const b of bytes) out.push({ id: this.byteIds[b]!, start, end: unit });
          lastUnk = false;
          continue;
        }
      }
      if (this.unkId === undefined) {
        const at = word.origin[start]! >= 0 ? word.origin[start]! : (word.origin.find((o) => o >= 0) ?? 0);
        throw new UnknownTokenError(`character ${describeChar(ch)}`, at, this.vocabSize, this.model.byteFallback ? "its bytes have no <0xNN> tokens and there is no unk_token" : "there is no byte fallback and no unk_token");
      }
      if (lastUnk && this.model.fuseUnk) out[out.length - 1]!.end = unit;
      else out.push({ id: this.unkId, start, end: unit });
      lastUnk = true;
    }
    return out;
  }

  /** Token ids of one sequence, cached: short sequences repeat. */
  private encodeWord(word: Aligned): readonly number[] {
    const hit = this.cache.get(word.text);
    if (hit !== undefined) return hit;
    let ids: number[] | undefined;
    if (this.model.ignoreMerges) {
      const whole = this.vocab.get(word.text);
      if (whole !== undefined) ids = [whole];
    }
    ids ??= applyMerges(this.symbols(word).map((s) => s.id), this.table);
    if (word.text.length <= 256) {
      // long sequences (a Llama text without added tokens is one sequence) rarely repeat
      if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
      this.cache.set(word.text, ids);
    }
    return ids;
  }
}
