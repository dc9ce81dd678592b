// Exercise gpt-block: one pre-norm transformer block, resid_pre → resid_mid → resid_post.
import { cat, HookedTransformer, type Tensor } from "../index.js";
import type { CaseContext } from "./check.js";
import { attentionWeights, type AttentionWeights } from "./causal-attention.js";
import { normal, seeded } from "./inputs.js";
import { randomGpt } from "./models.js";
import type { Exercise } from "./types.js";

export interface BlockWeights {
  ln1: { w: Tensor; b: Tensor };
  attn: AttentionWeights;
  ln2: { w: Tensor; b: Tensor };
  mlp: { W_in: Tensor; b_in: Tensor; W_out: Tensor; b_out: Tensor };
  eps: number;
}
export type GptBlock = (residPre: Tensor, block: BlockWeights) => Tensor;

/** Block `layer` of a model as plain weights (TransformerLens's names). */
function blockWeights(model: HookedTransformer, layer = 0): BlockWeights {
  const b = model.blocks[layer];
  const { W_in, b_in, W_out, b_out } = b.mlp!;
  return { ln1: { w: b.ln1!.w!, b: b.ln1!.b! }, attn: attentionWeights(model, layer), ln2: { w: b.ln2!.w!, b: b.ln2!.b! }, mlp: { W_in, b_in: b_in!, W_out, b_out: b_out! }, eps: model.cfg.eps };
}

/** The library's own block: block 0 of a HookedTransformer, its weights replaced by these (any float dtype). */
function reference(residPre: Tensor, w: BlockWeights): Tensor {
  const [h, d, k] = w.attn.W_Q.shape;
  const model = new HookedTransformer({ n_layers: 1, d_model: d, n_heads: h, d_head: k, d_mlp: w.mlp.W_in.shape[1], d_vocab: 2, n_ctx: Math.max(1, residPre.shape[1]), eps: w.eps }).eval();
  const block = model.blocks[0];
  Object.assign(block.ln1!, w.ln1);
  Object.assign(block.attn, w.attn);
  Object.assign(block.ln2!, w.ln2);
  Object.assign(block.mlp!, w.mlp);
  return block.forward(residPre);
}

function runBlock(fn: GptBlock, t: CaseContext, x: Tensor, w: BlockWeights): Tensor {
  return t.tensor(t.call(() => fn(x, w)), "resid_post", { shape: x.shape, dtype: x.dtype });
}

const weights = (seed: number) => blockWeights(randomGpt(seed, { d_model: 16, n_heads: 4, d_mlp: 32 }));

export const gptBlock: Exercise<GptBlock> = {
  name: "gpt-block",
  unit: "3. Attention and the transformer",
  title: "one pre-norm GPT block (LayerNorm, attention, MLP, residual stream)",
  exportName: "gptBlock",
  imports: 'import { type Tensor } from "decoding-gpt";',
  signature: `export function gptBlock(
  residPre: Tensor,
  block: {
    ln1: { w: Tensor; b: Tensor };
    attn: { W_Q: Tensor; W_K: Tensor; W_V: Tensor; W_O: Tensor; b_Q: Tensor; b_K: Tensor; b_V: Tensor; b_O: Tensor };
    ln2: { w: Tensor; b: Tensor };
    mlp: { W_in: Tensor; b_in: Tensor; W_out: Tensor; b_out: Tensor };
    eps: number;
  },
): Tensor`,
  doc: `
One GPT-2 block, pre-norm: each sublayer reads a normalised copy of the residual stream and adds
its output back to it.

  resid_mid  = resid_pre + attn(LN1(resid_pre))
  resid_post = resid_mid + mlp(LN2(resid_mid))

LN(x) = (x − μ)/√(σ² + eps) ⊙ w + b over d_model (biased variance; block.ln1, block.ln2).
attn is causal multi-head self-attention (exercise causal-attention; weights block.attn, shapes
W_Q (h, d, k), W_O (h, k, d)); mlp is GELU(x W_in + b_in) W_out + b_out (exercise mlp-layer, exact
GELU). Reuse your earlier solutions, or the library's pieces (layerNorm, gelu, softmax, …).
residPre is (batch, pos, d_model); return resid_post, same shape and dtype. Tensor ops only:
a float64 gradient check runs through it.

Example: if every weight and bias of attn and mlp is zero, both sublayers output b_O = 0 and
b_out = 0, and resid_post = resid_pre.
`,
  reference,
  cases: [
    {
      name: "shape and dtype: (batch, pos, d_model) float32 in and out",
      run(fn, t) {
        const w = t.input("block", weights(1));
        runBlock(fn, t, t.input("residPre", normal(seeded(2), [2, 4, 16], { dtype: "float32" })), w);
      },
    },
    {
      name: "matches the library's block (a HookedTransformer's block 0) on random inputs",
      run(fn, t) {
        const w = t.input("block", weights(3));
        const x = t.input("residPre", normal(seeded(4), [2, 5, 16], { dtype: "float32" }));
        t.close(runBlock(fn, t, x, w), reference(x, w), "resid_post", { atol: 2e-4, rtol: 2e-4 });
      },
    },
    {
      name: "no leak from the future: changing the last position leaves earlier outputs unchanged",
      run(fn, t) {
        const w = t.input("block", weights(5));
        const x = t.input("residPre", normal(seeded(6), [1, 5, 16], { dtype: "float32" }));
        const changed = t.input("residPre with position 4 changed", cat([x.narrow(1, 0, 4), normal(seeded(7), [1, 1, 16], { dtype: "float32" })], 1));
        const a = runBlock(fn, t, x, w);
        const b = runBlock(fn, t, changed, w);
        t.close(b.narrow(1, 0, 4), a.narrow(1, 0, 4), "positions 0–3 of resid_post after changing position 4", { atol: 1e-6, rtol: 1e-6 });
      },
    },
    {
      name: "a sequence of length 1",
      run(fn, t) {
        const w = t.input("block", weights(8));
        const x = t.input("residPre", normal(seeded(9), [1, 1, 16], { dtype: "float32" }));
        t.close(runBlock(fn, t, x, w), reference(x, w), "resid_post", { atol: 2e-4, rtol: 2e-4 });
      },
    },
    {
      name: "gradient check in float64 (residPre)",
      run(fn, t) {
        const w = blockWeights(randomGpt(10, { d_model: 4, n_heads: 2, d_mlp: 6 }));
        const double = (o: Record<string, Tensor>) => Object.fromEntries(Object.entries(o).map(([n, v]) => [n, v.double()]));
        const w64 = t.input("block", { ln1: double(w.ln1), attn: double({ ...w.attn }), ln2: double(w.ln2), mlp: double(w.mlp), eps: w.eps } as unknown as BlockWeights);
        const x = t.input("residPre", normal(seeded(11), [1, 3, 4]));
        t.gradcheck("resid_post", (a) => fn(a, w64), [x]);
      },
    },
  ],
};
