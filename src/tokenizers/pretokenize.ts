// Pre-tokenization: cut text into "words" before BPE runs, so that merges never cross a word
// boundary. Without it BPE would learn tokens like "dog." "dog!" "dog?" separately, and a token
// could glue the end of one word to the start of the next.

/**
 * GPT-2's pre-tokenizer pattern, as written in OpenAI's encoder.py (and in Hugging Face's
 * ByteLevel pre-tokenizer and tiktoken's "gpt2" encoding):
 *
 *     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *
 * - English contractions are their own pieces ("don't" → "don", "'t"), lowercase only.
 * - A word keeps the single space in front of it (" cat"), which is why GPT-2 tokens start with
 *   "Ġ": the model sees " cat" and "cat" as different tokens.
 * - Runs of letters, of digits, and of other symbols are separate pieces.
 * - `\s+(?!\S)` takes a run of whitespace but leaves its last space for the next word, so
 *   "a   b" → "a", "  ", " b".
 *
 * One detail: what "\s" means. The reference engines (Python's regex for the original GPT-2,
 * Rust's regex in tiktoken, Oniguruma in Hugging Face's tokenizers) use Unicode's White_Space
 * property. JavaScript's \s differs in two characters: it adds U+FEFF (byte-order mark) and
 * misses U+0085 (next line). We write \p{White_Space} so that we match the reference; js-tiktoken
 * uses JavaScript's \s and so differs from GPT-2 on text containing those two characters.
 */
export const GPT2_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\p{White_Space}\\p{L}\\p{N}]+|\\p{White_Space}+(?!\\P{White_Space})|\\p{White_Space}+";

/** The same pattern with JavaScript's \s, as js-tiktoken writes it (for comparisons). */
export const GPT2_PATTERN_JS = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** The pieces a pattern cuts text into (for looking at pre-tokenization; the encoder inlines
 * this loop): pretokenize("Hi  there, it's 42") → ["Hi", " ", " there", ",", " it", "'s", " 42"]. */
export function pretokenize(text: string, pattern: string = GPT2_PATTERN): string[] {
  return Array.from(text.matchAll(new RegExp(pattern, "gu")), (m) => m[0]);
}

/** How an added (special) token is matched in text, following Hugging Face's AddedToken. */
export interface AddedTokenMatch {
  content: string;
  /** Also swallow the whitespace on the left of the token (e.g. RoBERTa's "<mask>"). */
  lstrip?: boolean;
  /** Also swallow the whitespace on the right. */
  rstrip?: boolean;
}

// "-" is left alone: it is special only inside a character class, and escaping it is a syntax error under the u flag
const escapeRegex = (s: string) => s.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");

/**
 * A regex that finds any of the added tokens. Longer tokens are tried first, so that with
 * "<|end|>" and "<|endoftext|>" both added, the longer one wins (leftmost-longest, as in Hugging
 * Face's tokenizers). Returns null when there is nothing to match.
 */
export function addedTokensRegex(tokens: readonly AddedTokenMatch[]): RegExp | null {
  const live = tokens.filter((t) => t.content.length > 0);
  if (live.length === 0) return null;
  const sorted = [...live].sort((a, b) => b.content.length - a.content.length || (a.content < b.content ? -1 : 1));
  const alternatives = sorted.map((t) => `${t.lstrip ? "\\p{White_Space}*" : ""}(${escapeRegex(t.content)})${t.rstrip ? "\\p{White_Space}*" : ""}`);
  // One capture group per token: the group that matched tells which token it was.
  return new RegExp(alternatives.join("|"), "gu");
}

/** A stretch of text between added tokens, or one added token. */
export interface Segment {
  text: string;
  start: number;
  /** The added token's content when this segment is an added token. */
  added?: string;
}

/** Cuts text at added tokens: ordinary stretches and added tokens alternate. */
export function* splitOnAdded(text: string, regex: RegExp | null): Generator<Segment> {
  if (regex === null) {
    if (text.length > 0) yield { text, start: 0 };
    return;
  }
  regex.lastIndex = 0;
  let last = 0;
  for (const m of text.matchAll(regex)) {
    if (m[0].length === 0) continue;
    if (m.index > last) yield { text: text.slice(last, m.index), start: last };
    let content = m[0];
    for (let g = 1; g < m.length; g++) if (m[g] !== undefined) content = m[g]!;
    yield { text: m[0], start: m.index, added: content };
    last = m.index + m[0].length;
  }
  if (last < text.length) yield { text: text.slice(last), start: last };
}
