// Exercise ngram: the bigram Markov chain of a text (counts, transition matrix) and its
// stationary distribution.
import { markov, NgramModel, type Tensor } from "../index.js";
import type { CaseContext } from "./check.js";
import { seeded } from "./inputs.js";
import type { Exercise } from "./types.js";

type Numbers = number[] | Float64Array | Tensor;
export interface BigramChain {
  counts: number[][] | Tensor;
  P: number[][] | Tensor;
  pi: Numbers;
}
export type BigramChainFn = (tokens: number[], vocabSize: number) => BigramChain;

/**
 * The library's chain (markov.markovChain over an NgramModel's counts, markov.stationaryDistribution)
 * laid out over the whole vocabulary. The library's chain has the tokens that occur as its states;
 * a token that never occurs gets, by the same rule as a token never followed, the unigram row.
 */
function reference(tokens: number[], vocabSize: number): { counts: number[][]; P: number[][]; pi: number[] } {
  const chain = markov.markovChain(new NgramModel({ n: 2, vocabSize }).add(tokens));
  const { pi } = markov.stationaryDistribution(chain.P, { method: "solve" });
  const states = Array.from(chain.states);
  const unigram = new Array<number>(vocabSize).fill(0);
  states.forEach((id, s) => (unigram[id] = chain.unigram[s]));
  const counts = Array.from({ length: vocabSize }, () => new Array<number>(vocabSize).fill(0));
  const P = Array.from({ length: vocabSize }, () => [...unigram]);
  const denseCounts = chain.counts.toDense();
  const denseP = chain.P.toDense();
  states.forEach((from, s) => {
    states.forEach((to, u) => {
      counts[from][to] = denseCounts[s][u];
      P[from][to] = denseP[s][u];
    });
  });
  const piFull = new Array<number>(vocabSize).fill(0);
  states.forEach((id, s) => (piFull[id] = pi[s]));
  return { counts, P, pi: piFull };
}

/** Compares every part of the candidate's chain with the reference's. */
function checkChain(fn: BigramChainFn, t: CaseContext, tokens: number[], vocabSize: number): void {
  t.input("tokens", tokens);
  t.input("vocabSize", vocabSize);
  const out = t.fields(t.call(() => fn([...tokens], vocabSize)), ["counts", "P", "pi"], "the result");
  const want = reference(tokens, vocabSize);
  const V = vocabSize;
  compare(t, t.matrix(out.counts, V, V, "counts"), want.counts, "counts", 0);
  compare(t, t.matrix(out.P, V, V, "P"), want.P, "P", 1e-9);
  compare(t, [t.vector(out.pi, V, "pi")], [want.pi], "pi", 1e-7);
}

function compare(t: CaseContext, got: number[][], want: number[][], what: string, tol: number): void {
  const vector = want.length === 1 && what === "pi";
  for (let i = 0; i < want.length; i++) {
    for (let j = 0; j < want[i].length; j++) {
      if (!(Math.abs(got[i][j] - want[i][j]) <= tol)) {
        const at = vector ? `${what}[${j}]` : `${what}[${i}][${j}]`;
        t.fail(`${at} should be ${want[i][j]}, got ${got[i][j]}`, JSON.stringify(vector ? want[0] : want[i]), JSON.stringify(vector ? got[0] : got[i]));
      }
    }
  }
}

/** A random walk on a random sparse chain: text with structure, every token reachable. */
function randomText(seed: number, V: number, n: number): number[] {
  const g = seeded(seed);
  const next = Array.from({ length: V }, () => [g.randint(0, V), g.randint(0, V), (g.randint(0, V) + 1) % V]);
  const tokens = [g.randint(0, V)];
  while (tokens.length < n) tokens.push(next[tokens[tokens.length - 1]][g.randint(0, 3)]);
  return tokens;
}

export const ngram: Exercise<BigramChainFn> = {
  name: "ngram",
  unit: "2. Language models",
  title: "bigram counts, the transition matrix and its stationary distribution",
  exportName: "bigramChain",
  imports: 'import { type Tensor } from "decoding-gpt";',
  signature: "export function bigramChain(tokens: number[], vocabSize: number): { counts: number[][] | Tensor; P: number[][] | Tensor; pi: number[] | Tensor }",
  doc: `
The bigram Markov chain of a token sequence, and its stationary distribution.

  counts[i][j] = how many times token j directly follows token i          (V × V)
  P[i][j]      = counts[i][j] / Σ_k counts[i][k]                          (each row sums to 1)

A row with no successors (a token seen only at the very end, or never) would be all zeros, but
a chain must go somewhere: such a row is the unigram distribution of the text instead,
  P[i][j] = (times j occurs in tokens) / tokens.length                    ("restart the text").

The stationary distribution π (π_j ≥ 0, Σ_j π_j = 1) satisfies π P = π: the long-run share of
time the chain spends on each token. Solve the linear system, or iterate π ← π P on the lazy
chain (P + I)/2: plain P can oscillate for ever on a periodic chain such as 0 1 2 1 0 1 2 1 0.

tokens has at least one token, each in [0, V). Return plain arrays or float tensors.

Example: tokens [0, 1, 1, 0], V = 2:
  counts = [[0, 1], [1, 1]],  P = [[0, 1], [0.5, 0.5]],  π = [1/3, 2/3]
`,
  reference,
  cases: [
    { name: "the example from the statement", run: (fn, t) => checkChain(fn, t, [0, 1, 1, 0], 2) },
    { name: "matches the library's markov chain on a random text (V = 6, 60 tokens)", run: (fn, t) => checkChain(fn, t, randomText(1, 6, 60), 6) },
    { name: "rows without successors are the unigram distribution (a token only at the end, a token never seen)", run: (fn, t) => checkChain(fn, t, [0, 1, 0, 1, 2], 4) },
    { name: "a periodic chain (0 1 2 1 0 1 2 1 0): π = [1/4, 1/2, 1/4]", run: (fn, t) => checkChain(fn, t, [0, 1, 2, 1, 0, 1, 2, 1, 0], 3) },
    { name: "a one-token text: no bigrams at all", run: (fn, t) => checkChain(fn, t, [2], 3) },
    { name: "a longer random text (V = 12, 400 tokens)", run: (fn, t) => checkChain(fn, t, randomText(2, 12, 400), 12) },
  ],
};
