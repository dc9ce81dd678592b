// The simplest tokenizer: one token per character, the vocabulary being the corpus's distinct
// characters in sorted order (nanoGPT's shakespeare_char: 65 characters, so ids 0..64).
// Tiny vocabulary, long sequences, no notion of words: the model must learn spelling itself.
import { TokenizerError, UnknownTokenError, describe, describeChar } from "./errors.js";
import { addedTokensRegex, splitOnAdded } from "./pretokenize.js";
import type { TokenSpan, Tokenizer } from "./types.js";

export interface CharTokenizerOptions {
  /** Unknown characters: false (default) throws; true maps them to "<unk>"; a string names the
   * unknown token. The unknown token gets the last id. */
  unk?: boolean | string;
  /** Tokens such as "<|endoftext|>" matched whole in the text; ids after the characters. */
  specialTokens?: readonly string[];
}

/** Code-point order (Python's sorted(set(text))), not JavaScript's UTF-16 order. */
const byCodePoint = (a: string, b: string) => a.codePointAt(0)! - b.codePointAt(0)!;

export class CharTokenizer implements Tokenizer {
  readonly kind = "char";
  readonly vocabSize: number;
  readonly specialTokens: Readonly<Record<string, number>>;
  /** The characters, by id. */
  readonly chars: readonly string[];
  readonly unkToken: string | null;
  private readonly ids = new Map<string, number>();
  private readonly tokens: string[];
  private readonly specialRegex: RegExp | null;
  private readonly unkId: number | undefined;

  /** A tokenizer over exactly these characters (each one code point), ids in the order given. */
  constructor(chars: readonly string[], options: { unkToken?: string | null; specialTokens?: readonly string[] } = {}) {
    for (const [i, c] of chars.entries()) {
      if (typeof c !== "string" || [...c].length !== 1) throw new TokenizerError(`CharTokenizer: chars[${i}] must be one character, got ${describe(c)}`);
      if (this.ids.has(c)) throw new TokenizerError(`CharTokenizer: character ${describeChar(c)} is listed twice`);
      this.ids.set(c, i);
    }
    this.chars = [...chars];
    this.tokens = [...chars];
    const specials = options.specialTokens ?? [];
    const special: Record<string, number> = {};
    for (const s of specials) {
      if (typeof s !== "string" || s.length === 0 || special[s] !== undefined) throw new TokenizerError(`CharTokenizer: special tokens must be distinct non-empty strings, got ${describe(s)}`);
      special[s] = this.tokens.push(s) - 1;
    }
    this.unkToken = options.unkToken ?? null;
    if (this.unkToken !== null) {
      if (special[this.unkToken] !== undefined || this.ids.has(this.unkToken)) throw new TokenizerError(`CharTokenizer: the unknown token ${describe(this.unkToken)} is already a token`);
      this.unkId = this.tokens.push(this.unkToken) - 1;
      special[this.unkToken] = this.unkId;
    }
    this.specialTokens = special;
    this.vocabSize = this.tokens.length;
    this.specialRegex = addedTokensRegex(specials.map((content) => ({ content })));
  }

  /** Builds the vocabulary from a corpus: its distinct characters, sorted by code point. */
  static fromText(text: string | Iterable<string>, options: CharTokenizerOptions = {}): CharTokenizer {
    const specials = options.specialTokens ?? [];
    const specialRegex = addedTokensRegex(specials.map((content) => ({ content })));
    const seen = new Set<string>();
    for (const t of typeof text === "string" ? [text] : text) {
      if (typeof t !== "string") throw new TokenizerError(`CharTokenizer.fromText: expected strings, got ${describe(t)}`);
      // Special tokens written in the text are whole tokens: their characters don't count.
      for (const seg of splitOnAdded(t, specialRegex)) if (seg.added === undefined) for (const c of seg.text) seen.add(c);
    }
    const unkToken = options.unk === true ? "<unk>" : typeof options.unk === "string" ? options.unk : null;
    return new CharTokenizer([...seen].sort(byCodePoint), { unkToken, specialTokens: specials });
  }

  encode(text: string): number[] {
    return this.encodeWithOffsets(text).map((s) => s.id);
  }

  encodeWithOffsets(text: string): TokenSpan[] {
    if (typeof text !== "string") throw new TokenizerError(`encode: text must be a string, got ${describe(text)}`);
    const out: TokenSpan[] = [];
    for (const seg of splitOnAdded(text, this.specialRegex)) {
      if (seg.added !== undefined) {
        out.push({ id: this.specialTokens[seg.added]!, token: seg.added, start: seg.start, end: seg.start + seg.text.length });
        continue;
      }
      let at = seg.start;
      for (const c of seg.text) {
        const id = this.ids.get(c) ?? this.unkId;
        if (id === undefined) throw new UnknownTokenError(`character ${describeChar(c)}`, at, this.vocabSize, `build with { unk: true } to map unknown characters to "<unk>"`);
        out.push({ id, token: this.tokens[id]!, start: at, end: at + c.length });
        at += c.length;
      }
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    let s = "";
    for (const [i, id] of ids.entries()) {
      const t = Number.isInteger(id) ? this.tokens[id] : undefined;
      if (t === undefined) throw new TokenizerError(`decode: ids[${i}] = ${describe(id)} is not a token id (vocabulary of ${this.vocabSize})`);
      s += t;
    }
    return s;
  }

  idToToken(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new TokenizerError(`idToToken: ${describe(id)} is not a token id (vocabulary of ${this.vocabSize})`);
    return t;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token) ?? this.specialTokens[token];
  }

  toJSON(): { type: "char"; version: 1; chars: string[]; special_tokens: string[]; unk_token: string | null } {
    const specials = Object.keys(this.specialTokens).filter((t) => t !== this.unkToken);
    return { type: "char", version: 1, chars: [...this.chars], special_tokens: specials, unk_token: this.unkToken };
  }

  /**
   * The tokenizer as a Hugging Face tokenizer.json, so `transformers` (AutoTokenizer) reads it
   * without code: a BPE model over the characters with no merges and no pre-tokenizer, so every
   * character is one token, and a Fuse decoder that joins the tokens without spaces. Special
   * tokens (and the unknown token) are added tokens, matched whole before the characters.
   */
  toHfJSON(): Record<string, unknown> {
    const vocab: Record<string, number> = {};
    this.tokens.forEach((t, id) => (vocab[t] = id));
    const added = Object.entries(this.specialTokens).map(([content, id]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
    return {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: added.sort((a, b) => a.id - b.id),
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: { type: "Fuse" },
      model: { type: "BPE", dropout: null, unk_token: this.unkToken, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: [] },
    };
  }

  /** Whether a Hugging Face tokenizer.json is the character-level form toHfJSON writes. */
  static isHfCharLevel(json: Record<string, unknown>): boolean {
    const model = json.model as { type?: unknown; merges?: unknown; vocab?: unknown } | undefined;
    const decoder = json.decoder as { type?: unknown } | null | undefined;
    return model?.type === "BPE" && Array.isArray(model.merges) && model.merges.length === 0 && (json.pre_tokenizer ?? null) === null && decoder?.type === "Fuse";
  }

  /** The tokenizer back from toHfJSON's form: single characters in id order, then the special tokens. */
  static fromHfJSON(json: Record<string, unknown>): CharTokenizer {
    const model = json.model as { vocab: Record<string, number>; unk_token?: string | null };
    if (typeof model.vocab !== "object" || model.vocab === null) throw new TokenizerError(`tokenizer file: model.vocab must be an object`);
    const added = new Set(((json.added_tokens ?? []) as { content: string }[]).map((t) => t.content));
    const byId = Object.entries(model.vocab).sort((a, b) => a[1] - b[1]);
    byId.forEach(([, id], i) => {
      if (id !== i) throw new TokenizerError(`tokenizer file: character-level vocab ids must be 0 … ${byId.length - 1}, got ${id} at position ${i}`);
    });
    const unk = model.unk_token ?? null;
    const chars = byId.map(([t]) => t).filter((t) => !added.has(t) && t !== unk);
    const specials = byId.map(([t]) => t).filter((t) => added.has(t) && t !== unk);
    const tok = new CharTokenizer(chars, { unkToken: unk, specialTokens: specials });
    for (const [t, id] of byId) if (tok.tokenToId(t) !== id) throw new TokenizerError(`tokenizer file: a character-level vocab lists its characters first, then its special tokens; ${describe(t)} has id ${id}`);
    return tok;
  }

  static fromJSON(json: unknown): CharTokenizer {
    const o = json as Record<string, unknown>;
    if (typeof o !== "object" || o === null || o.type !== "char") throw new TokenizerError(`char tokenizer file: "type" must be "char"`);
    if (!Array.isArray(o.chars)) throw new TokenizerError(`char tokenizer file: "chars" must be an array of characters, got ${describe(o.chars)}`);
    const specials = o.special_tokens ?? [];
    if (!Array.isArray(specials) || specials.some((s) => typeof s !== "string")) throw new TokenizerError(`char tokenizer file: "special_tokens" must be an array of strings`);
    if (o.unk_token != null && typeof o.unk_token !== "string") throw new TokenizerError(`char tokenizer file: "unk_token" must be a string or null`);
    return new CharTokenizer(o.chars as string[], { unkToken: (o.unk_token as string | null | undefined) ?? null, specialTokens: specials as string[] });
  }
}
