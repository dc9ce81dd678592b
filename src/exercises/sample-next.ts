// Exercise sample-next: draw the next token from logits with temperature and top-k, as
// generate() does. The one stochastic exercise: its checks are a χ² test on many draws.
import { Generator, sampleLogits, tensor, type Tensor } from "../index.js";
import type { CaseContext } from "./check.js";
import { chiSquareTest } from "./stats.js";
import type { Exercise } from "./types.js";

export type SampleNext = (logits: Tensor, temperature: number, topK: number | null, generator: Generator) => number;

const reference: SampleNext = (logits, temperature, topK, generator) => sampleLogits(logits.dataSync() as Float32Array, { temperature, topK: topK ?? undefined }, [], generator);

/** The distribution the draws should follow: softmax(z/T) over the top k (lower index first among ties). */
function targetProbs(z: number[], temperature: number, topK: number | null): number[] {
  const order = z.map((_, i) => i).sort((a, b) => z[b] - z[a] || a - b);
  const kept = order.slice(0, topK ?? z.length).filter((i) => z[i] > -Infinity);
  const max = z[kept[0]];
  const w = z.map((v, i) => (kept.includes(i) ? Math.exp((v - max) / temperature) : 0));
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / total);
}

/** n draws from the candidate with a seeded generator, each checked to be a valid token id. */
function draw(fn: SampleNext, t: CaseContext, logits: Tensor, temperature: number, topK: number | null, n: number, seed: number): number[] {
  const g = new Generator(seed);
  const V = logits.shape[0];
  const out: number[] = [];
  for (let s = 0; s < n; s++) {
    const id = t.call(() => fn(logits, temperature, topK, g));
    if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= V) t.fail(`draw ${s} should be a token id, an integer in [0, ${V}), but it is ${typeof id === "number" ? id : typeof id}`);
    out.push(id);
  }
  return out;
}

/** The χ² test of n draws against softmax(z/T) over the top k; tokens outside it must never come. */
function fits(fn: SampleNext, t: CaseContext, z: number[], temperature: number, topK: number | null, n: number): void {
  const logits = t.input("logits", tensor(z));
  t.input("temperature", temperature);
  t.input("topK", topK);
  t.input("draws", n);
  const probs = targetProbs(z, temperature, topK);
  const counts = new Array<number>(z.length).fill(0);
  for (const id of draw(fn, t, logits, temperature, topK, n, 99)) counts[id]++;
  const expected = `counts ≈ [${probs.map((p) => Math.round(p * n)).join(", ")}]`;
  const impossible = counts.findIndex((c, i) => c > 0 && probs[i] === 0);
  if (impossible >= 0) t.fail(`token ${impossible} was drawn ${counts[impossible]} times, but its probability is 0 (outside the top k, or a −∞ logit)`, expected, `counts = [${counts.join(", ")}]`);
  const live = probs.map((p, i) => i).filter((i) => probs[i] > 0);
  const test = chiSquareTest(live.map((i) => counts[i]), live.map((i) => probs[i]));
  if (test.p < 1e-6) {
    t.fail(`the ${n} draws do not follow softmax(logits / T) over the top k: χ² = ${test.statistic.toFixed(1)} with ${test.degreesOfFreedom} degrees of freedom, p = ${test.p.toExponential(1)} (the check fails below p = 1e-6)`, expected, `counts = [${counts.join(", ")}]`);
  }
}

export const sampleNext: Exercise<SampleNext> = {
  name: "sample-next",
  unit: "3. Attention and the transformer",
  title: "sampling the next token: temperature and top-k",
  exportName: "sampleNext",
  imports: 'import { type Generator, type Tensor } from "decoding-gpt";',
  signature: "export function sampleNext(logits: Tensor, temperature: number, topK: number | null, generator: Generator): number",
  doc: `
Draw the next token from a row of logits z (a 1-D tensor of V numbers), as generate() does:

  temperature T = 0: greedy, the index of the largest logit (the first one among equal logits);
  T > 0: keep the topK largest logits (all of them when topK is null; among equal logits at the
         cut, the lower index is kept first), then draw token i with probability
           p_i = e^(z_i / T) / Σ_(j kept) e^(z_j / T).

Take your randomness only from generator.random() (uniform in [0, 1)): the same seed must give
the same tokens. Logits may be large (1000) or −Infinity (a token that must never come). Return
the token id, an integer in [0, V).

Example: z = [2, 1, 0], T = 1, topK = 2:
  p = [e²/(e² + e), e/(e² + e), 0] ≈ [0.731, 0.269, 0]
`,
  reference,
  cases: [
    {
      name: "returns a token id (an integer in [0, V))",
      run(fn, t) {
        draw(fn, t, t.input("logits", tensor([0.5, -1, 2, 0])), 1, null, 20, 1);
      },
    },
    {
      name: "T = 0 is greedy: the largest logit, the first one among ties",
      run(fn, t) {
        const logits = t.input("logits", tensor([1, 3, 3, 0]));
        const ids = draw(fn, t, logits, 0, null, 5, 2);
        if (ids.some((id) => id !== 1)) t.fail(`with temperature 0 every draw should be token 1 (the first of the two largest logits)`, "[1, 1, 1, 1, 1]", JSON.stringify(ids));
      },
    },
    {
      name: "the same generator seed gives the same tokens",
      run(fn, t) {
        const logits = t.input("logits", tensor([0.2, 0.1, 0, -0.1, 0.3]));
        const a = draw(fn, t, logits, 1, null, 30, 7);
        const b = draw(fn, t, logits, 1, null, 30, 7);
        if (a.some((id, i) => id !== b[i])) t.fail("two runs with generators of the same seed gave different tokens: draw randomness only from generator.random()", JSON.stringify(a), JSON.stringify(b));
      },
    },
    {
      name: "ties at the top-k cut keep the lower index",
      run(fn, t) {
        fits(fn, t, [3, 1, 1, 0], 1, 2, 400);
      },
    },
    {
      name: "statistical test: T = 0.7, no top-k (χ² on 6000 draws)",
      run(fn, t) {
        fits(fn, t, [0.3, -0.8, 1.2, 0.1, -0.3, 0.9], 0.7, null, 6000);
      },
    },
    {
      name: "statistical test: T = 2, top-3 of 8 (χ² on 6000 draws)",
      run(fn, t) {
        fits(fn, t, [1.5, -0.5, 0.2, 2.2, -1.7, 0.9, 0.4, -0.1], 2, 3, 6000);
      },
    },
    {
      name: "large and −Infinity logits: [1000, 999, −∞, 997]",
      run(fn, t) {
        fits(fn, t, [1000, 999, -Infinity, 997], 1, null, 3000);
      },
    },
  ],
};
