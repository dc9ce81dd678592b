// The Logit lens view's analysis: the library's logitLens (src/interp/lens.ts) over a prompt, as
// characters and probabilities, with the model's own greedy next character to read the last row by.
import { generate, logitLens } from "../../src/index.js";
import { type LabModel, encodeKnown } from "./analyses.js";

export interface LensAnswer {
  chars: string[];
  /** One per row: "0_pre", …, "final_post" (the model's output). */
  labels: string[];
  /** [row][position]: the most likely next character there, and its probability. */
  top: string[][];
  topProb: number[][];
  /** [row][position]: the probability of the character that actually comes next (null at the last position). */
  nextProb: (number | null)[][];
  /** What the model itself would write after the whole prompt (greedy: temperature 0), by its ordinary forward pass. */
  greedyNext: string;
  dropped: string[];
  cut: number;
}

export function lens(m: LabModel, args: { prompt: string }): LensAnswer {
  const { ids, dropped } = encodeKnown(m, args.prompt);
  if (ids.length === 0) throw new Error("the prompt has no character the model knows");
  const tokens = ids.slice(-m.model.cfg.n_ctx);
  const r = logitLens(m.model, tokens, { k: 1 });
  const char = (id: number) => m.tokenizer.decode([id]);
  // NaN (no next character) does not survive JSON: null instead
  const nextProb = r.targetProb.map((row) => row.map((p) => (Number.isNaN(p) ? null : p)));
  const greedy = generate(m.model, tokens, { maxNewTokens: 1, temperature: 0 });
  return {
    chars: tokens.map(char),
    labels: r.labels,
    top: r.topTokens.map((row) => row.map((k) => char(k[0]))),
    topProb: r.topProbs.map((row) => row.map((k) => k[0])),
    nextProb,
    greedyNext: char(greedy[0]),
    dropped,
    cut: ids.length - tokens.length,
  };
}
