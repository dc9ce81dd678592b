// The one interface every tokenizer implements (character, word, byte-level BPE, GPT-2), so
// corpora, models and plots never care which one they were given.

export interface Tokenizer {
  /** A short name for messages and file metadata, e.g. "char", "word", "bpe", "gpt2". */
  readonly kind: string;
  /** Number of ids: every id is in [0, vocabSize). */
  readonly vocabSize: number;
  /** Special tokens by their text, e.g. { "<|endoftext|>": 50256 }. */
  readonly specialTokens: Readonly<Record<string, number>>;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** The text piece of one id, for plots and token views (byte-level pieces decoded leniently). */
  idToToken(id: number): string;
  /** The id of a piece of text that is exactly one token, or undefined. */
  tokenToId(token: string): number | undefined;
}
