// The pages of `dgpt tokenize --plot` and `dgpt bpe train`: histograms of token lengths (and how
// often each BPE merge's pair occurred).
import { barChart, htmlPage, linePlot } from "../../plot/index.js";

/** A bar per length 1, 2, …, with everything past 32 in a last "32+" bar. */
export function lengthHistogram(lengths: readonly number[], title: string, what: string, unit = "characters"): string {
  const max = Math.min(32, lengths.reduce((m, n) => Math.max(m, n), 1));
  const counts = new Array<number>(max).fill(0);
  for (const n of lengths) counts[Math.min(n, max) - 1]! += 1;
  const labels = counts.map((_, i) => (i + 1 === max && lengths.some((n) => n > max) ? `${max}+` : String(i + 1)));
  return barChart({ title, labels, values: counts, xLabel: `length (${unit})`, yLabel: what });
}

/** `dgpt tokenize --plot`: the lengths (in characters) of a text's tokens. */
export function tokenLengthsPage(kind: string, lengths: readonly number[]): string {
  const svg = lengthHistogram(lengths, `Token lengths (${kind})`, "tokens in the text");
  return htmlPage(`Tokens of the text (${kind})`, [{ heading: "Token lengths", svg, caption: `${lengths.length} tokens` }]);
}

export interface BpePageInput {
  vocabSize: number;
  /** Byte length of every non-special token in the vocabulary. */
  vocabLengths: readonly number[];
  /** Byte length of each token of the encoded corpus. */
  usedLengths: readonly number[];
  /** How often each merge's pair occurred when it was learned, in merge order. */
  mergeCounts: readonly number[];
  /** Size of the corpus in bytes. */
  bytes: number;
}

/** `dgpt bpe train`: token lengths in the vocabulary and in the corpus, and merge frequencies. */
export function bpePage(p: BpePageInput): string {
  const counts = p.mergeCounts;
  return htmlPage(`BPE tokenizer: ${p.vocabSize} tokens`, [
    { heading: "Token lengths in the vocabulary", svg: lengthHistogram(p.vocabLengths, "Vocabulary: token length", "tokens", "bytes"), caption: "Each merge makes a longer token; the 256 base tokens are single bytes." },
    { heading: "Token lengths in the corpus", svg: lengthHistogram(p.usedLengths, "Corpus: length of each token used", "occurrences", "bytes"), caption: `${p.usedLengths.length} tokens for ${p.bytes} bytes` },
    ...(counts.length > 1 ? [{ heading: "Frequency of each merge", svg: linePlot({ title: "How often the merged pair occurred, by merge rank", series: [{ name: "count", x: counts.map((_, i) => i), y: counts }], xLabel: "merge rank", yLabel: "occurrences", logY: true }) }] : []),
  ]);
}
