// Exercise causal-attention: multi-head causal self-attention with TransformerLens's weights.
import { cat, HookedTransformer, zeros, type Tensor } from "../index.js";
import type { CaseContext } from "./check.js";
import { normal, seeded } from "./inputs.js";
import { randomGpt } from "./models.js";
import type { Exercise } from "./types.js";

export interface AttentionWeights {
  W_Q: Tensor;
  W_K: Tensor;
  W_V: Tensor;
  W_O: Tensor;
  b_Q: Tensor;
  b_K: Tensor;
  b_V: Tensor;
  b_O: Tensor;
}
export type CausalSelfAttention = (x: Tensor, w: AttentionWeights) => Tensor;

/** Layer 0's attention weights of a model. */
export function attentionWeights(model: HookedTransformer, layer = 0): AttentionWeights {
  const a = model.blocks[layer].attn;
  return { W_Q: a.W_Q, W_K: a.W_K, W_V: a.W_V, W_O: a.W_O, b_Q: a.b_Q!, b_K: a.b_K!, b_V: a.b_V!, b_O: a.b_O! };
}

/** The library's own attention: block 0 of a HookedTransformer, its weights replaced by these (any float dtype). */
function reference(x: Tensor, w: AttentionWeights): Tensor {
  const [h, d, k] = w.W_Q.shape;
  const model = new HookedTransformer({ n_layers: 1, d_model: d, n_heads: h, d_head: k, d_vocab: 2, n_ctx: Math.max(1, x.shape[1]) }).eval();
  return Object.assign(model.blocks[0].attn, w).forward(x);
}

/** Runs the candidate on x (b, p, d) and checks the output's shape and dtype. */
function attend(fn: CausalSelfAttention, t: CaseContext, x: Tensor, w: AttentionWeights): Tensor {
  return t.tensor(t.call(() => fn(x, w)), "the output", { shape: x.shape, dtype: x.dtype });
}

const model = (seed: number) => randomGpt(seed, { d_model: 16, n_heads: 4 });

export const causalAttention: Exercise<CausalSelfAttention> = {
  name: "causal-attention",
  unit: "3. Attention and the transformer",
  title: "multi-head causal self-attention",
  exportName: "causalSelfAttention",
  imports: 'import { type Tensor } from "decoding-gpt";',
  signature: `export function causalSelfAttention(
  x: Tensor,
  w: { W_Q: Tensor; W_K: Tensor; W_V: Tensor; W_O: Tensor; b_Q: Tensor; b_K: Tensor; b_V: Tensor; b_O: Tensor },
): Tensor`,
  doc: `
Multi-head causal self-attention, with TransformerLens's weights and shapes
(b = batch, p = position, h = head, d = d_model, k = d_head):

  q = x W_Q + b_Q,  k = x W_K + b_K,  v = x W_V + b_V      W_* (h, d, k), b_* (h, k) → (b, p, h, k)
  scores[b, h, i, j] = q_i · k_j / √d_head                   for keys j ≤ i; −∞ for j > i (causal mask)
  pattern = softmax(scores) over the keys j                  each row sums to 1
  z[b, i, h] = Σ_j pattern[b, h, i, j] v_j                   (b, p, h, k)
  out = Σ_h z_h W_O[h] + b_O                                 W_O (h, k, d), b_O (d) → (b, p, d)

x is (b, p, d); out has its shape and dtype. Position i may only look at positions ≤ i: changing
a later token must not change an earlier output. A query always sees itself (j = i), so no row
is fully masked. Use tensor ops (einsum, matmul, permute, softmax, maskedFill, triu, …), so
gradients flow: a float64 gradient check runs through it.

Example: with W_Q = 0 every score is 0 and the pattern is uniform over the prefix, so
  z_i = mean(v_0 … v_i);  with p = 1, out = v_0 W_O summed over heads + b_O.
`,
  reference,
  cases: [
    {
      name: "shape and dtype: (batch, pos, d_model) float32 in and out",
      run(fn, t) {
        const w = t.input("weights", attentionWeights(model(1)));
        attend(fn, t, t.input("x", normal(seeded(2), [2, 5, 16], { dtype: "float32" })), w);
      },
    },
    {
      name: "matches the library's attention (a HookedTransformer's block 0) on random inputs",
      run(fn, t) {
        const w = t.input("weights", attentionWeights(model(3)));
        const x = t.input("x", normal(seeded(4), [2, 6, 16], { dtype: "float32" }));
        t.close(attend(fn, t, x, w), reference(x, w), "the output", { atol: 1e-4, rtol: 1e-4 });
      },
    },
    {
      name: "no leak from the future: changing the last token leaves earlier outputs unchanged",
      run(fn, t) {
        const w = t.input("weights", attentionWeights(model(5)));
        const x = t.input("x", normal(seeded(6), [1, 6, 16], { dtype: "float32" }));
        const changed = t.input("x with position 5 changed", cat([x.narrow(1, 0, 5), normal(seeded(7), [1, 1, 16], { dtype: "float32" })], 1));
        const a = attend(fn, t, x, w);
        const b = attend(fn, t, changed, w);
        t.close(b.narrow(1, 0, 5), a.narrow(1, 0, 5), "positions 0–4 of the output after changing position 5", { atol: 1e-6, rtol: 1e-6 });
        t.close(b, reference(changed, w), "the output", { atol: 1e-4, rtol: 1e-4 });
      },
    },
    {
      name: "a sequence of length 1 (the query sees only itself)",
      run(fn, t) {
        const w = t.input("weights", attentionWeights(model(8)));
        const x = t.input("x", normal(seeded(9), [2, 1, 16], { dtype: "float32" }));
        const out = attend(fn, t, x, w);
        t.finite(out, "the output");
        t.close(out, reference(x, w), "the output", { atol: 1e-4, rtol: 1e-4 });
      },
    },
    {
      name: "ties: W_Q = 0 gives equal scores, a uniform pattern over each prefix",
      run(fn, t) {
        const base = attentionWeights(model(10));
        const w = t.input("weights (W_Q, b_Q zero)", { ...base, W_Q: zeros(base.W_Q.shape), b_Q: zeros(base.b_Q.shape) });
        const x = t.input("x", normal(seeded(11), [1, 5, 16], { dtype: "float32" }));
        t.close(attend(fn, t, x, w), reference(x, w), "the output", { atol: 1e-4, rtol: 1e-4 });
      },
    },
    {
      name: "gradient check in float64 (x)",
      run(fn, t) {
        const w = attentionWeights(randomGpt(12, { d_model: 4, n_heads: 2 }));
        const w64 = t.input("weights", Object.fromEntries(Object.entries(w).map(([n, v]) => [n, v.double()])) as unknown as AttentionWeights);
        const x = t.input("x", normal(seeded(13), [1, 3, 4]));
        t.gradcheck("the output", (a) => fn(a, w64), [x]);
      },
    },
  ],
};
