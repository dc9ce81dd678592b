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
  /** Optional (every tokenizer in this folder has it): each token with the span of `text` it
   * came from, for coloured token views. */
  encodeWithOffsets?(text: string): TokenSpan[];
  /** Optional (every tokenizer in this folder has it): a JSON-ready object that loadTokenizer
   * reads back (a Hugging Face tokenizer.json for BPE). */
  toJSON?(): unknown;
  /**
   * The beginning-of-sequence token a pretrained model expects first (GPT-2: 50256
   * "<|endoftext|>", Llama: 1 "<s>"), as Hugging Face's tokenizer.bos_token_id; toTokens() puts it
   * in front of a text. Set by loadPretrainedTokenizer from a model folder's tokenizer_config.json
   * (or the family's default), or from a post-processor that adds it. Undefined for tokenizers of
   * models trained here: they never saw one.
   */
  bosTokenId?: number | undefined;
  /** The end-of-sequence token (GPT-2: 50256, Llama: 2 "</s>"): generation stops there. */
  eosTokenId?: number | undefined;
}

/** One token of an encoded text: its id, its piece, and the text it covers, text.slice(start, end).
 * A byte-level token that holds part of a multi-byte character covers that whole character, so
 * neighbouring spans may overlap. */
export interface TokenSpan {
  id: number;
  token: string;
  start: number;
  end: number;
}

/** Options of `encode` for tokenizers that have special tokens (BPE, GPT-2). */
export interface EncodeOptions {
  /**
   * Which special tokens written in the text become their special id. "all" (the default, as in
   * Hugging Face's tokenizers): "<|endoftext|>" in the text is id 50256 for GPT-2. "none": special
   * tokens are encoded as ordinary text ("<|endoftext|>" → "<", "|", "endoftext", "|", ">"), which
   * is what you want for untrusted text. Or a list of the ones allowed. (tiktoken's default is
   * different: it throws on special tokens unless told otherwise.)
   */
  allowedSpecial?: "all" | "none" | readonly string[];
  /**
   * Also put the tokenizer.json post-processor's tokens around the text (Llama's puts "<s>" in
   * front). Hugging Face's encode does by default; ours does not, so that encode(text) is always
   * the text's own tokens (for corpora, and for "is this one token?"). For a model's input use
   * toTokens(tokenizer, text), which puts the BOS token in front, once, as TransformerLens does.
   */
  addSpecialTokens?: boolean;
}
