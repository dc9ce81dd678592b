// Repeated random tokens, the induction-head probe (Olsson et al. 2022; TransformerLens's
// generate_repeated_tokens): <bos>, n random tokens, the same n tokens again. In the second copy a
// model that "looks back at what followed the previous occurrence of this token" predicts
// perfectly; in the first copy no model can beat chance.
//
// Format: ids 0..nSymbols-1 are the random tokens "0", "1", …, then <bos>. With n = 4:
//   tokens  <bos> 7 2 9 4 7 | 2 9 4
//   prompt  <bos> 7 2 9 4 7          answer 2 9 4
// The first token of the second copy (7) is in the prompt, not the answer: it follows 4, which
// has never been seen before, so nothing can predict it. The answer is the n−1 tokens after it.
import { Generator } from "../../tensor/index.js";
import { type SplitOptions, type Task, type TaskExample, checkCount, checkInt, exactMatch, makeExample, makeVocab, sampledSplit } from "./common.js";

export interface RepeatedTokensOptions {
  /** Number of distinct random tokens in the vocabulary (default 100). */
  nSymbols?: number;
  /** Length n of the random sequence that is repeated (default 20). */
  length?: number;
  /**
   * Draw the n tokens without replacement (default false, as TransformerLens). With repeats inside
   * the sequence a token's successor can be ambiguous, which makes some answers unpredictable.
   */
  distinct?: boolean;
}

export interface RepeatedTokensExample extends TaskExample {
  /** The n random tokens (ids), which appear twice. */
  readonly sequence: readonly number[];
}

export function repeatedTokens(opts: RepeatedTokensOptions = {}): Task<RepeatedTokensExample> & { readonly bosId: number } {
  const where = "repeatedTokens";
  const nSymbols = opts.nSymbols ?? 100;
  const n = opts.length ?? 20;
  const distinct = opts.distinct ?? false;
  checkInt(nSymbols, "nSymbols", 1, 1 << 20, where);
  checkInt(n, "length", 2, 1 << 16, where);
  if (distinct && n > nSymbols) throw new Error(`${where}: distinct needs length ≤ nSymbols, got length ${n} > ${nSymbols}`);

  const { vocab, id } = makeVocab([...Array.from({ length: nSymbols }, (_, i) => String(i)), "<bos>"]);
  const bos = id("<bos>");

  const sample = (gen: Generator): RepeatedTokensExample => {
    let sequence: number[];
    if (distinct) {
      // partial Fisher–Yates: the first n of a random permutation
      const pool = Array.from({ length: nSymbols }, (_, i) => i);
      for (let i = 0; i < n; i++) {
        const j = gen.randint(i, nSymbols);
        [pool[i], pool[j]] = [pool[j], pool[i]];
      }
      sequence = pool.slice(0, n);
    } else {
      sequence = Array.from({ length: n }, () => gen.randint(0, nSymbols));
    }
    return makeExample([bos, ...sequence, sequence[0]], sequence.slice(1), { sequence });
  };

  return {
    name: "repeated-tokens",
    bosId: bos,
    vocab,
    maxLength: 2 * n + 1,
    generate(count: number, seed: number): RepeatedTokensExample[] {
      checkCount(count, `${where}.generate`);
      const gen = new Generator(seed);
      return Array.from({ length: count }, () => sample(gen));
    },
    split: (s: SplitOptions = {}) => sampledSplit(sample, (e) => e.sequence.join(","), s, where),
    evaluate: (predicted, ex) => exactMatch(predicted, ex.answer),
  };
}
