// Training a byte-level BPE tokenizer: start from the 256 bytes, and repeatedly add the most
// frequent adjacent pair of tokens in the corpus as a new token, until the vocabulary is full.
//
//   "low lower lowest" → pieces " low", " lower", " lowest" (as bytes)
//   most frequent pair: ("l","o") → new token "lo"; then ("lo","w") → "low"; then ("Ġ","low") ...
//
// The naive loop recounts every pair in the corpus after each merge: O(corpus × merges), minutes
// for a megabyte. Two observations make it fast:
//   1. The corpus repeats words. Pre-tokenize it (GPT-2's regex) and count each distinct word
//      once: tinyshakespeare's 300k words are 25k distinct ones.
//   2. A merge changes only the words that contain the merged pair, and only the pairs next to
//      it. Keep the pair counts and, for each pair, the words it occurs in; after a merge, update
//      the counts of those words' neighbouring pairs.
// A max-heap finds the most frequent pair; counts that went stale are fixed when popped ("lazy").
// This is the algorithm of Hugging Face's BpeTrainer, with the same tie-breaking, so the same
// corpus gives the same merges.
import { BpeTokenizer } from "./bpe.js";
import { BYTE_ALPHABET, CHAR_TO_BYTE, fromUtf8, utf8, bytesToVocabString, vocabStringToBytes } from "./bytes.js";
import { TokenizerError, describe } from "./errors.js";
import { GPT2_PATTERN, addedTokensRegex, splitOnAdded } from "./pretokenize.js";

/** One learned merge, reported as it is learned. */
export interface LearnedMerge {
  /** The two tokens joined, as vocabulary strings ("Ġ" is a space). */
  left: string;
  right: string;
  /** The new token's vocabulary string and id. */
  merged: string;
  id: number;
  /** The new token as readable text (" the"). */
  text: string;
  /** How many times the pair occurred in the corpus when it was merged. */
  count: number;
}

export interface TrainBpeOptions {
  /** Final vocabulary size: special tokens + 256 bytes + merges. */
  vocabSize: number;
  /** Stop early when the most frequent pair occurs fewer times than this (default 2). */
  minFrequency?: number;
  /** Special tokens, given the first ids (0, 1, ...) as Hugging Face does; never merged. */
  specialTokens?: readonly string[];
  /** Pre-tokenizer regex source (default GPT-2's). */
  pattern?: string;
  /** Called after each merge with its rank (0 for the first). */
  onMerge?: (merge: LearnedMerge, rank: number) => void;
}

/** Counts distinct pre-tokenized words, as vocabulary strings (bytes in GPT-2's alphabet). */
export function countWords(texts: string | Iterable<string>, pattern: string, specialTokens: readonly string[]): Map<string, number> {
  const regex = new RegExp(pattern, "gu");
  const specials = addedTokensRegex(specialTokens.map((content) => ({ content })));
  const raw = new Map<string, number>();
  for (const text of typeof texts === "string" ? [texts] : texts) {
    if (typeof text !== "string") throw new TokenizerError(`trainBpe: texts must be strings, got ${describe(text)}`);
    for (const seg of splitOnAdded(text, specials)) {
      if (seg.added !== undefined) continue; // special tokens are atomic: never part of a merge
      for (const m of seg.text.matchAll(regex)) raw.set(m[0], (raw.get(m[0]) ?? 0) + 1);
    }
  }
  // Convert each distinct word to bytes once, merging words that only differed as text.
  const words = new Map<string, number>();
  for (const [word, n] of raw) {
    const s = bytesToVocabString(utf8(word));
    words.set(s, (words.get(s) ?? 0) + n);
  }
  return words;
}

/** A max-heap of (count, pair key): the most frequent pair on top, the smaller key among equals. */
class PairHeap {
  private readonly items: Array<{ count: number; key: number }> = [];
  private better(a: { count: number; key: number }, b: { count: number; key: number }): boolean {
    return a.count > b.count || (a.count === b.count && a.key < b.key);
  }
  get size(): number {
    return this.items.length;
  }
  push(count: number, key: number): void {
    const h = this.items;
    const x = { count, key };
    let i = h.push(x) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.better(x, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = x;
  }
  pop(): { count: number; key: number } | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= h.length) break;
        if (c + 1 < h.length && this.better(h[c + 1]!, h[c]!)) c++;
        if (!this.better(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

/**
 * Trains a byte-level BPE tokenizer on `texts` (one string or any iterable of strings, e.g.
 * documents). Deterministic: the same texts and options give the same merges in the same order.
 *
 *     const tok = trainBpe(text, { vocabSize: 2000, onMerge: (m, r) => console.log(r, m.text) });
 */
export function trainBpe(texts: string | Iterable<string>, options: TrainBpeOptions): BpeTokenizer {
  const specials = [...(options.specialTokens ?? [])];
  const pattern = options.pattern ?? GPT2_PATTERN;
  const minFrequency = options.minFrequency ?? 2;
  const vocabSize = options.vocabSize;
  const base = specials.length + 256;
  if (!Number.isSafeInteger(vocabSize) || vocabSize < base) throw new TokenizerError(`trainBpe: vocabSize must be an integer ≥ ${base} (${specials.length} special tokens + 256 bytes), got ${describe(vocabSize)}`);
  if (!(minFrequency >= 1)) throw new TokenizerError(`trainBpe: minFrequency must be ≥ 1, got ${describe(minFrequency)}`);
  if (new Set(specials).size !== specials.length || specials.some((s) => typeof s !== "string" || s.length === 0)) throw new TokenizerError("trainBpe: specialTokens must be distinct non-empty strings");

  // The vocabulary so far: special tokens, then the byte alphabet in code-point order.
  const tokens: string[] = [...specials, ...BYTE_ALPHABET];
  const idOfChar = new Map<string, number>(BYTE_ALPHABET.map((c, i) => [c, specials.length + i]));

  // Each distinct word as a list of token ids, with how often it occurs.
  const wordCounts = countWords(texts, pattern, specials);
  const words: number[][] = [];
  const freq: number[] = [];
  for (const [w, n] of wordCounts) {
    words.push(Array.from(w, (c) => idOfChar.get(c)!));
    freq.push(n);
  }

  // Pair statistics. A pair (a, b) is the number a * vocabSize + b.
  const key = (a: number, b: number) => a * vocabSize + b;
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>(); // words that contain (or once contained) the pair
  const add = (k: number, w: number, n: number) => {
    pairCount.set(k, (pairCount.get(k) ?? 0) + n);
    if (n > 0) {
      let set = pairWords.get(k);
      if (!set) pairWords.set(k, (set = new Set()));
      set.add(w);
    }
  };
  for (const [w, ids] of words.entries()) for (let i = 0; i + 1 < ids.length; i++) add(key(ids[i]!, ids[i + 1]!), w, freq[w]!);
  const heap = new PairHeap();
  for (const [k, n] of pairCount) heap.push(n, k);

  const merges: Array<[string, string]> = [];
  while (tokens.length < vocabSize && heap.size > 0) {
    const top = heap.pop()!;
    const current = pairCount.get(top.key) ?? 0;
    if (current !== top.count) {
      if (current > 0) heap.push(current, top.key); // stale entry: requeue with the true count
      continue;
    }
    if (current < minFrequency) break;
    const a = Math.floor(top.key / vocabSize);
    const b = top.key - a * vocabSize;
    const c = tokens.length;
    tokens.push(tokens[a]! + tokens[b]!);
    merges.push([tokens[a]!, tokens[b]!]);

    // Rewrite every word containing (a, b), adjusting the counts of the pairs around each merge.
    const grew = new Set<number>();
    const bump = (k: number, w: number, n: number) => {
      add(k, w, n);
      if (n > 0) grew.add(k);
    };
    for (const w of pairWords.get(top.key) ?? []) {
      const ids = words[w]!;
      const n = freq[w]!;
      const out: number[] = [];
      for (let i = 0; i < ids.length; ) {
        if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
          const prev = out.length > 0 ? out[out.length - 1]! : -1;
          const next = i + 2 < ids.length ? ids[i + 2]! : -1;
          if (prev >= 0) {
            bump(key(prev, a), w, -n);
            bump(key(prev, c), w, n);
          }
          bump(key(a, b), w, -n);
          if (next >= 0) {
            bump(key(b, next), w, -n);
            bump(key(c, next), w, n);
          }
          out.push(c);
          i += 2;
        } else {
          out.push(ids[i]!);
          i += 1;
        }
      }
      words[w] = out;
    }
    pairWords.delete(top.key);
    pairCount.delete(top.key);
    for (const k of grew) {
      const n = pairCount.get(k) ?? 0;
      if (n > 0) heap.push(n, k);
    }
    options.onMerge?.({ left: tokens[a]!, right: tokens[b]!, merged: tokens[c]!, id: c, text: fromUtf8(vocabStringToBytes(tokens[c]!)!), count: current }, merges.length - 1);
  }

  return new BpeTokenizer({
    kind: "bpe",
    vocab: new Map(tokens.map((t, id) => [t, id])),
    merges,
    addedTokens: specials.map((content, id) => ({ id, content, special: true, normalized: false })),
    pattern,
  });
}

// The byte alphabet must cover every byte exactly once, or words could not be spelled.
if (CHAR_TO_BYTE.size !== 256 || BYTE_ALPHABET.length !== 256) throw new Error("byte alphabet is broken");
