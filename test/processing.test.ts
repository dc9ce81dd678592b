// TransformerLens's weight processing (processWeights): every step leaves the model's
// log-probabilities unchanged, and each leaves the mark it promises (folded norms, centred
// writers and unembedding, zero value biases) — on LayerNorm and RMSNorm models, tied and untied,
// with and without biases, and on a checkpoint loaded from Hugging Face's GPT-2 format.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { HookedTransformer, loadModelDir, noGrad, tensor } from "../src/node.js";
import { processWeights } from "../src/models/gpt/processing.js";
import type { GPTConfigInput } from "../src/models/gpt/config.js";
import { values } from "./tensor-compare.js";

const tokens = [
  [3, 1, 4, 1, 5, 9, 2, 6],
  [2, 7, 1, 8, 2, 8, 1, 8],
];

/** A model whose norms and biases are far from their initial 1 and 0, as after training. */
function trainedLike(cfg: GPTConfigInput): HookedTransformer {
  const model = new HookedTransformer(cfg);
  noGrad(() => {
    for (const [name, p] of Object.entries(model.stateDict())) {
      const jitter = tensor(values(p).map((_, i) => 0.3 * Math.sin(1.7 * i + name.length))).reshape(p.shape);
      p.copy_(p.add(name.endsWith(".w") ? jitter.abs() : jitter.mul(name.includes(".b") ? 1 : 0.2)));
    }
  });
  return model;
}

const logProbs = (m: HookedTransformer) => values(noGrad(() => m.forward(tokens).logSoftmax(-1)));
function assertSameLogProbs(a: HookedTransformer, b: HookedTransformer, what: string): void {
  const [x, y] = [logProbs(a), logProbs(b)];
  const err = x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
  assert.ok(err < 5e-5, `${what}: max |Δ log p| = ${err}`);
}

const base = { n_layers: 2, d_model: 24, n_heads: 3, d_vocab: 11, n_ctx: 8, seed: 7 };
const CASES: [string, GPTConfigInput][] = [
  ["LayerNorm, untied, biases", base],
  ["LayerNorm, tied, no biases (nanoGPT)", { ...base, tie_embeddings: true, use_bias: false }],
  ["RMSNorm, rotary", { ...base, normalization_type: "RMS", positional_embedding_type: "rotary" }],
];

for (const [name, cfg] of CASES) {
  test(`${name}: processing changes no log-probability, step by step and all together`, () => {
    const model = trainedLike(cfg);
    for (const step of ["foldLn", "centerWritingWeights", "centerUnembed", "foldValueBiases"] as const) {
      const only = { foldLn: false, centerWritingWeights: false, centerUnembed: false, foldValueBiases: false, [step]: true };
      assertSameLogProbs(model, processWeights(model, only), step);
    }
    const p = processWeights(model);
    assertSameLogProbs(model, p, "all steps");
    const rms = cfg.normalization_type === "RMS";
    assert.equal(p.cfg.normalization_type, rms ? "RMSPre" : "LNPre");
    assert.equal(p.blocks[0].ln1!.w, null, "the norm's weight was folded away");
    const sd = p.stateDict();
    const maxAbs = (t: number[]) => t.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const meanOver = (name: string, axis: number) => maxAbs(values(sd[name].mean(axis)));
    assert.ok(maxAbs(values(sd["blocks.1.attn.b_V"])) === 0, "b_V folded into b_O");
    assert.ok(meanOver("unembed.W_U", -1) < 1e-6 && Math.abs(values(sd["unembed.b_U"]).reduce((s, v) => s + v, 0)) < 1e-5, "unembed centred over the vocabulary");
    if (!rms) {
      assert.ok(meanOver("embed.W_E", -1) < 1e-6 && meanOver("blocks.0.attn.W_O", -1) < 1e-6 && meanOver("blocks.0.mlp.W_out", -1) < 1e-6, "writers centred over d_model");
      assert.ok(meanOver("blocks.0.attn.W_Q", 1) < 1e-6 && meanOver("blocks.1.mlp.W_in", 0) < 1e-6, "readers of a LayerNorm centred over d_model");
    }
    assert.notEqual(values(model.stateDict()["blocks.0.attn.W_Q"])[0], values(sd["blocks.0.attn.W_Q"])[0], "the original model is untouched, the copy changed");
  });
}

for (const family of ["gpt2", "gpt-neo", "gpt-neox", "llama"]) {
  test(`a Hugging Face ${family} checkpoint processed as from_pretrained does gives the same log-probabilities`, async () => {
    const model = await loadModelDir(fileURLToPath(new URL(`../fixtures/pretrained/${family}/`, import.meta.url)));
    const tokens = [[1, 5, 2, 7, 3, 9, 4, 11, 6, 13]].map((row) => row.map((t) => t % model.cfg.d_vocab));
    const before = values(noGrad(() => model.forward(tokens).logSoftmax(-1)));
    const after = values(noGrad(() => processWeights(model).forward(tokens).logSoftmax(-1)));
    const err = before.reduce((m, v, i) => Math.max(m, Math.abs(v - after[i])), 0);
    assert.ok(err < 5e-5, `${family}: max |Δ log p| = ${err}`);
  });
}

test("a LayerNorm bias in front of a gated MLP, which has nowhere to fold, is refused rather than folded wrongly", () => {
  const model = new HookedTransformer({ n_layers: 1, d_model: 8, n_heads: 2, d_vocab: 11, n_ctx: 6, gated_mlp: true, act_fn: "silu", seed: 3 });
  const tokens = [[1, 2, 3, 4]];
  // a zero ln2 bias folds into nothing: same log-probabilities
  const before = noGrad(() => model.forward(tokens).logSoftmax(-1));
  const after = noGrad(() => processWeights(model).forward(tokens).logSoftmax(-1));
  const [a, b] = [values(before), values(after)];
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-4);
  noGrad(() => model.blocks[0].ln2!.b!.copy_(tensor(Array.from({ length: 8 }, (_, i) => 0.1 * (i + 1)))));
  assert.throws(() => processWeights(model), /blocks\.0\.ln2\.b cannot be folded into a gated MLP.*foldLn: false/);
  processWeights(model, { foldLn: false }); // the way out works
});
