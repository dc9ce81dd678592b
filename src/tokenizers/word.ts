// Word-level tokenization: one token per word or punctuation mark, the classic n-gram setup.
// Short sequences and meaningful tokens, but the vocabulary is huge and still never complete:
// a word unseen in training ("Zoom") can only become "<unk>". Sub-word BPE fixes exactly this.
import { TokenizerError, UnknownTokenError, describe } from "./errors.js";
import { addedTokensRegex, splitOnAdded } from "./pretokenize.js";
import type { TokenSpan, Tokenizer } from "./types.js";

/**
 * Words (letters, digits, marks and "_", with inner apostrophes: "don't", "o'er"), or single
 * punctuation marks, or a newline. Other whitespace only separates tokens.
 */
const WORD_PATTERN = /[\p{L}\p{M}\p{N}_]+(?:['’][\p{L}\p{M}\p{N}_]+)*|\n|[^\p{White_Space}\p{L}\p{M}\p{N}_]/gu;

export interface WordTokenizerOptions {
  /** Lowercase words before counting and encoding (default false). */
  lowercase?: boolean;
  /** Keep "\n" as a token (default true: line structure matters for poems and plays). */
  keepNewlines?: boolean;
  /** Words seen fewer times than this are left out of the vocabulary (default 1). */
  minFrequency?: number;
  /** At most this many tokens in all, special ones included: the most frequent words win. */
  maxVocab?: number;
  /** The token for words not in the vocabulary (default "<unk>", id 0); null: throw instead. */
  unkToken?: string | null;
  /** More special tokens (e.g. "<|endoftext|>"), matched whole in the text; ids right after unk. */
  specialTokens?: readonly string[];
}

type Settings = Required<Pick<WordTokenizerOptions, "lowercase" | "keepNewlines">> & { unkToken: string | null; specialTokens: readonly string[] };

export class WordTokenizer implements Tokenizer {
  readonly kind = "word";
  readonly vocabSize: number;
  readonly specialTokens: Readonly<Record<string, number>>;
  private readonly ids = new Map<string, number>();
  private readonly specialRegex: RegExp | null;

  /** A tokenizer over this vocabulary (ids in the order given; special tokens and unk among them). */
  constructor(readonly vocab: readonly string[], readonly settings: Settings) {
    for (const [i, w] of vocab.entries()) {
      if (typeof w !== "string" || w.length === 0) throw new TokenizerError(`WordTokenizer: vocab[${i}] must be a non-empty string, got ${describe(w)}`);
      if (this.ids.has(w)) throw new TokenizerError(`WordTokenizer: ${describe(w)} appears twice in the vocabulary`);
      this.ids.set(w, i);
    }
    const special: Record<string, number> = {};
    for (const s of [...(settings.unkToken === null ? [] : [settings.unkToken]), ...settings.specialTokens]) {
      const id = this.ids.get(s);
      if (id === undefined) throw new TokenizerError(`WordTokenizer: special token ${describe(s)} is not in the vocabulary`);
      special[s] = id;
    }
    this.specialTokens = special;
    this.vocabSize = vocab.length;
    this.specialRegex = addedTokensRegex(settings.specialTokens.map((content) => ({ content })));
  }

  /** Splits text into word and punctuation strings (lowercased if the tokenizer lowercases). */
  split(text: string): string[] {
    return this.spans(text).map((s) => s.word);
  }

  /** Builds the vocabulary from a corpus: unk, special tokens, then words by falling frequency. */
  static fromText(text: string | Iterable<string>, options: WordTokenizerOptions = {}): WordTokenizer {
    const settings: Settings = {
      lowercase: options.lowercase ?? false,
      keepNewlines: options.keepNewlines ?? true,
      unkToken: options.unkToken === undefined ? "<unk>" : options.unkToken,
      specialTokens: options.specialTokens ?? [],
    };
    const minFrequency = options.minFrequency ?? 1;
    const maxVocab = options.maxVocab ?? Infinity;
    const reserved = [...(settings.unkToken === null ? [] : [settings.unkToken]), ...settings.specialTokens];
    if (!(minFrequency >= 1)) throw new TokenizerError(`WordTokenizer: minFrequency must be ≥ 1, got ${describe(minFrequency)}`);
    if (!(maxVocab >= reserved.length + 1)) throw new TokenizerError(`WordTokenizer: maxVocab must be > ${reserved.length} (the special tokens), got ${describe(maxVocab)}`);
    const probe = new WordTokenizer(reserved, settings);
    const counts = new Map<string, number>();
    for (const t of typeof text === "string" ? [text] : text) {
      for (const s of probe.spans(t)) if (!s.special) counts.set(s.word, (counts.get(s.word) ?? 0) + 1);
    }
    const words = [...counts]
      .filter(([w, n]) => n >= minFrequency && !reserved.includes(w))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)) // ties: code-unit order, for determinism
      .slice(0, Math.max(0, maxVocab - reserved.length))
      .map(([w]) => w);
    return new WordTokenizer([...reserved, ...words], settings);
  }

  encode(text: string): number[] {
    return this.encodeWithOffsets(text).map((s) => s.id);
  }

  encodeWithOffsets(text: string): TokenSpan[] {
    const unk = this.settings.unkToken === null ? undefined : this.ids.get(this.settings.unkToken);
    return this.spans(text).map(({ word, start, end }) => {
      const id = this.ids.get(word) ?? unk;
      if (id === undefined) throw new UnknownTokenError(`word ${describe(word)}`, start, this.vocabSize, "this tokenizer has no unknown token");
      return { id, token: this.vocab[id]!, start, end };
    });
  }

  /**
   * Joins tokens with spaces, except before closing punctuation and around newlines. Word-level
   * tokenization throws spacing away, so this is a readable guess, not the original text.
   */
  decode(ids: readonly number[]): string {
    let s = "";
    let prev = "\n";
    for (const [i, id] of ids.entries()) {
      const t = Number.isInteger(id) ? this.vocab[id] : undefined;
      if (t === undefined) throw new TokenizerError(`decode: ids[${i}] = ${describe(id)} is not a token id (vocabulary of ${this.vocabSize})`);
      const glue = t === "\n" || prev === "\n" || /^[.,;:!?)\]}'’]/.test(t) || /[([{]$/.test(prev);
      s += (glue ? "" : " ") + t;
      prev = t;
    }
    return s;
  }

  idToToken(id: number): string {
    const t = this.vocab[id];
    if (t === undefined) throw new TokenizerError(`idToToken: ${describe(id)} is not a token id (vocabulary of ${this.vocabSize})`);
    return t;
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  toJSON(): Record<string, unknown> {
    const { lowercase, keepNewlines, unkToken, specialTokens } = this.settings;
    return { type: "word", version: 1, lowercase, keep_newlines: keepNewlines, unk_token: unkToken, special_tokens: [...specialTokens], vocab: [...this.vocab] };
  }

  static fromJSON(json: unknown): WordTokenizer {
    const o = json as Record<string, unknown>;
    if (typeof o !== "object" || o === null || o.type !== "word") throw new TokenizerError(`word tokenizer file: "type" must be "word"`);
    if (!Array.isArray(o.vocab)) throw new TokenizerError(`word tokenizer file: "vocab" must be an array of strings, got ${describe(o.vocab)}`);
    const specials = o.special_tokens ?? [];
    if (!Array.isArray(specials) || specials.some((s) => typeof s !== "string")) throw new TokenizerError(`word tokenizer file: "special_tokens" must be an array of strings`);
    if (o.unk_token != null && typeof o.unk_token !== "string") throw new TokenizerError(`word tokenizer file: "unk_token" must be a string or null`);
    return new WordTokenizer(o.vocab as string[], {
      lowercase: o.lowercase === true,
      keepNewlines: o.keep_newlines !== false,
      unkToken: (o.unk_token as string | null | undefined) ?? null,
      specialTokens: specials as string[],
    });
  }

  private spans(text: string): Array<{ word: string; start: number; end: number; special: boolean }> {
    if (typeof text !== "string") throw new TokenizerError(`encode: text must be a string, got ${describe(text)}`);
    const out: Array<{ word: string; start: number; end: number; special: boolean }> = [];
    for (const seg of splitOnAdded(text, this.specialRegex)) {
      if (seg.added !== undefined) {
        out.push({ word: seg.added, start: seg.start, end: seg.start + seg.text.length, special: true });
        continue;
      }
      for (const m of seg.text.matchAll(WORD_PATTERN)) {
        if (m[0] === "\n" && !this.settings.keepNewlines) continue;
        const start = seg.start + m.index;
        out.push({ word: this.settings.lowercase ? m[0].toLowerCase() : m[0], start, end: start + m[0].length, special: false });
      }
    }
    return out;
  }
}
