// Exercise induction-score: TransformerLens's induction-head detector on one layer's pattern.
import { detectHead, interp, ones, tensor, type Tensor } from "../index.js";
import type { CaseContext } from "./check.js";
import { ints, normal, seeded } from "./inputs.js";
import { randomGpt } from "./models.js";
import type { Exercise } from "./types.js";

export type InductionScores = (pattern: Tensor, tokens: number[]) => number[];

/** The library's head detector: headSimilarityScore against detectionPattern("induction_head"), per head. */
function reference(pattern: Tensor, tokens: number[]): number[] {
  const D = interp.detectionPattern("induction_head", tokens);
  return (pattern.toArray() as number[][][]).map((rows) => interp.headSimilarityScore(rows, D));
}

/** A causal attention pattern (h, p, p): softmax of random scores over each prefix. */
function randomPattern(seed: number, h: number, p: number): Tensor {
  const scores = normal(seeded(seed), [h, p, p], { dtype: "float32", scale: 2 });
  return scores.maskedFill(ones([p, p], { dtype: "bool" }).triu(1), -Infinity).softmax(-1);
}

function scores(fn: InductionScores, t: CaseContext, pattern: Tensor, tokens: number[], want: number[] = reference(pattern, tokens)): void {
  t.input("pattern", pattern);
  t.input("tokens", tokens);
  const got = t.vector(t.call(() => fn(pattern, [...tokens])), pattern.shape[0], "the scores (one per head)");
  got.forEach((s, h) => {
    if (!(Math.abs(s - want[h]) <= 1e-5)) t.fail(`head ${h}'s score should be ${want[h]}, got ${s}`, JSON.stringify(want), JSON.stringify(got));
  });
}

export const inductionScore: Exercise<InductionScores> = {
  name: "induction-score",
  unit: "4. Interpretability",
  title: "an induction-head detector: the share of attention on the token after an earlier copy",
  exportName: "inductionScores",
  imports: 'import { type Tensor } from "decoding-gpt";',
  signature: "export function inductionScores(pattern: Tensor, tokens: number[]): number[]",
  doc: `
How much each head of a layer attends like an induction head (TransformerLens's head detector,
error measure "mul").

pattern (n_heads, pos, pos) is one layer's attention pattern on one sequence: rows are queries i,
columns keys j, zero above the diagonal. An induction head at query i looks at the token right
after an earlier copy of tokens[i]:

  D[i][j] = 1  if 1 ≤ j ≤ i and tokens[j − 1] = tokens[i] with j − 1 < i,  else 0

(every earlier copy counts, not only the latest). The score of head h is the share of its
attention that lands on those pairs:

  score_h = Σ_(i,j) A_h[i][j]·D[i][j] / Σ_(i,j) A_h[i][j]        (0 when Σ A_h = 0)

Return one number per head, in head order.

Example: tokens [5, 7, 5], one head: queries 0 and 1 attend fully to key 0, query 2 fully to
key 1 (the 7 after the first 5): score = 1/3, one of three units of attention.
`,
  reference,
  cases: [
    {
      name: "the example from the statement",
      run(fn, t) {
        scores(fn, t, tensor([[[1, 0, 0], [1, 0, 0], [0, 1, 0]]]), [5, 7, 5], [1 / 3]);
      },
    },
    {
      name: "every earlier copy counts: a token seen three times",
      run(fn, t) {
        // query 6 (token 4) has copies at 0 and 3: keys 1 and 4 both count
        const p = 7;
        const rows = Array.from({ length: p }, (_, i) => Array.from({ length: p }, (_, j) => (i === 6 ? (j === 1 || j === 4 ? 0.4 : j === 6 ? 0.2 : 0) : j === 0 ? 1 : 0)));
        scores(fn, t, tensor([rows]), [4, 2, 8, 4, 9, 1, 4]);
      },
    },
    {
      name: "no repeated token gives 0; a sequence of length 1 gives 0",
      run(fn, t) {
        scores(fn, t, randomPattern(1, 2, 5), [0, 1, 2, 3, 4], [0, 0]);
        scores(fn, t, tensor([[[1]]]), [3], [0]);
      },
    },
    {
      name: "the score is a share of the head's total attention (rows need not sum to 1)",
      run(fn, t) {
        const pattern = randomPattern(2, 3, 6).mul(tensor([[[2]], [[0.5]], [[0]]]));
        scores(fn, t, pattern, [1, 2, 1, 2, 1, 2]);
      },
    },
    {
      name: "matches the library's detector on random patterns",
      run(fn, t) {
        scores(fn, t, randomPattern(3, 4, 10), ints(seeded(4), 10, 4));
      },
    },
    {
      name: "matches the library's detectHead on a GPT's layer 1, repeated random tokens",
      run(fn, t) {
        const model = t.input("model", randomGpt(5, { n_layers: 2, d_vocab: 20 }));
        const half = ints(seeded(6), 6, 20);
        const tokens = [...half, ...half];
        const { cache } = model.runWithCache([tokens], { namesFilter: ["blocks.1.attn.hook_pattern"] });
        const pattern = cache.get("blocks.1.attn.hook_pattern").select(0, 0);
        scores(fn, t, pattern, tokens, detectHead(model, tokens, "induction_head")[1]);
      },
    },
  ],
};
