// The Markov / n-gram view's analyses (run in the worker, on the text alone): the character bigram
// chain counted from the text — its transition matrix P[i][j] = P(next = j | current = i), its
// stationary distribution π = π P next to the characters' frequencies — and samples from the
// bigram and trigram models. All of it is the library's: NgramModel counts, markov.ts builds the
// chain and solves for π (what `dgpt ngram analyze` does).
import { Generator, NgramModel, markov, tokenizers } from "../../src/index.js";

export interface Bigram {
  /** Characters in the text, and distinct ones. */
  tokens: number;
  states: number;
  /** The `top` most frequent characters, most frequent first: the heatmap's rows and columns. */
  chars: string[];
  /** P restricted to those rows; columns: those characters, then "every other character", so each row sums to 1. */
  P: number[][];
  /** Their frequency in the text, and their stationary probability. */
  freq: number[];
  pi: number[];
  /** Over all characters: Σ π, max |π − frequency|, and ‖π P − π‖₁. */
  piSum: number;
  maxGap: number;
  residual: number;
}

/** The counts are kept between calls: counting a megabyte twice (bigrams, trigrams) takes ½ s. */
let cache: { text: string; char: tokenizers.CharTokenizer; models: Map<number, NgramModel> } | null = null;

/** The order-n model of the text's characters (Kneser–Ney smoothed, the library's default: for
 * sampling; the chain below reads the raw counts). */
function model(text: string, n: number): { char: tokenizers.CharTokenizer; model: NgramModel } {
  if (cache?.text !== text) cache = { text, char: tokenizers.CharTokenizer.fromText(text), models: new Map() };
  const { char, models } = cache;
  let m = models.get(n);
  if (!m) models.set(n, (m = new NgramModel({ n, vocabSize: char.vocabSize }).add(char.encode(text))));
  return { char, model: m };
}

function bigram(text: string, args: { top: number }): Bigram {
  const { char, model: m } = model(text, 2);
  const chain = markov.markovChain(m);
  const n = chain.states.length;
  // the direct solve is exact for a character vocabulary; Arnoldi for a text with thousands of symbols
  const { pi, residual } = markov.stationaryDistribution(chain.P, { method: n <= 1000 ? "solve" : "arnoldi" });
  const order = Array.from({ length: n }, (_, s) => s).sort((a, b) => chain.unigram[b]! - chain.unigram[a]!);
  const top = order.slice(0, Math.min(args.top, n));
  const column = new Map(top.map((s, j) => [s, j]));
  const P = top.map((s) => {
    const row = new Array<number>(top.length + 1).fill(0);
    for (let k = chain.P.rowPtr[s]!; k < chain.P.rowPtr[s + 1]!; k++) row[column.get(chain.P.colIdx[k]!) ?? top.length]! += chain.P.values[k]!;
    return row;
  });
  let piSum = 0;
  let maxGap = 0;
  for (let s = 0; s < n; s++) {
    piSum += pi[s]!;
    maxGap = Math.max(maxGap, Math.abs(pi[s]! - chain.unigram[s]!));
  }
  return {
    tokens: m.tokens,
    states: n,
    chars: top.map((s) => char.idToToken(chain.states[s]!)),
    P,
    freq: top.map((s) => chain.unigram[s]!),
    pi: top.map((s) => pi[s]!),
    piSum,
    maxGap,
    residual,
  };
}

function sample(text: string, args: { n: number; length: number; seed: number }): { text: string } {
  const { char, model: m } = model(text, args.n);
  const newline = char.tokenToId("\n"); // start as a new line of the play would
  const prompt = newline === undefined ? [] : [newline];
  return { text: char.decode(m.sample({ length: args.length, prompt, generator: new Generator(args.seed) })) };
}

export const NGRAM_ANALYSES = {
  bigram: bigram as (text: string, args: never) => unknown,
  ngramSample: sample as (text: string, args: never) => unknown,
};
