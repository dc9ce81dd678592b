// SAEs on a model: the activation store (rows are the hook's activations, BOS left out, bounded
// buffer, wrapping around the corpus) and evaluateSae's metrics on SAEs whose answers are known
// (a perfect one: CE loss recovered 1, KL 0; a null one: recovered 0).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HookedTransformer, getActName, noGrad, tensor, tidy } from "../src/node.js";
import { evaluateSae } from "../src/sae/evaluate.js";
import { SparseAutoencoder } from "../src/sae/sae.js";
import { ActivationStore } from "../src/sae/store.js";
import { trainSae } from "../src/sae/train.js";

const model = new HookedTransformer({ n_layers: 2, d_model: 8, n_heads: 2, d_vocab: 12, n_ctx: 8, seed: 2, initializer_range: 0.3 });
const BOS = 11;
const corpus = Int32Array.from({ length: 70 }, (_, i) => (i * 5 + (i % 3)) % 11);
const hook = getActName("resid_post", 0);

/** Every activation of the hook over the corpus's windows (BOS in front), as strings for lookup. */
function allActivations(contextSize: number): Set<string> {
  const rows: number[][] = [];
  for (let c = 0; c + contextSize - 1 <= corpus.length; c += contextSize - 1) rows.push([BOS, ...corpus.subarray(c, c + contextSize - 1)]);
  const { cache } = noGrad(() => model.runWithCache(rows, { namesFilter: [hook] }));
  const act = cache.get(hook)!.toArray() as number[][][];
  const out = new Set<string>();
  act.forEach((r) => r.forEach((v, p) => p > 0 && out.add(v.map((x) => Math.fround(x).toFixed(4)).join(","))));
  return out;
}

describe("activation store", () => {
  test("rows are the hook's activations at non-BOS positions, shuffled, from a bounded buffer", () => {
    const store = new ActivationStore(model, corpus, { hook, contextSize: 6, bos: BOS, bufferSize: 40, windowsPerForward: 3, seed: 1 });
    assert.equal(store.dIn, 8);
    const known = allActivations(6);
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const x = store.next(20);
      assert.deepEqual(x.shape, [20, 8]);
      for (const row of x.toArray() as number[][]) {
        const key = row.map((v) => v.toFixed(4)).join(",");
        assert.ok(known.has(key), "a row that is no activation of the hook (or a BOS one)");
        seen.push(key);
      }
    }
    // 200 rows from 70 tokens: the corpus was read more than once (wrapping around)
    assert.ok(store.tokensSeen > corpus.length, `tokens seen ${store.tokensSeen}`);
    assert.equal(store.activationsServed, 200);
    // shuffled: consecutive rows are not consecutive positions of one window
    assert.ok(new Set(seen.slice(0, 20)).size > 10);
    assert.throws(() => store.next(21), /more than half the buffer/);
  });

  test("hook_z of one head; bad input names the field", () => {
    const z = new ActivationStore(model, corpus, { hook: getActName("z", 1), headIndex: 1, contextSize: 8 });
    assert.equal(z.dIn, 4);
    assert.throws(() => new ActivationStore(model, corpus, { hook: "blocks.0.hook_resid_pots" }), /resid_post/);
    assert.throws(() => new ActivationStore(model, corpus, { hook, contextSize: 9 }), /contextSize must be an integer in \[2, n_ctx = 8\]/);
    assert.throws(() => new ActivationStore(model, corpus.subarray(0, 3), { hook }), /fewer than one window/);
    assert.throws(() => new ActivationStore(model, corpus, { hook: getActName("pattern", 0) }), /not one vector per position/);
  });

  test("an SAE trains on the store (explained variance rises)", () => {
    const store = new ActivationStore(model, corpus, { hook, contextSize: 8, bos: BOS, bufferSize: 512, seed: 3 });
    const sae = new SparseAutoencoder({ d_in: 8, d_sae: 32, architecture: "topk", k: 4, hook_name: hook, seed: 1 });
    const log = trainSae(sae, store, { steps: 60, batchSize: 128, lr: 3e-3, logEvery: 10 });
    assert.ok(log[log.length - 1].explainedVariance > log[0].explainedVariance, JSON.stringify(log.map((m) => m.explainedVariance)));
    assert.ok(log[log.length - 1].explainedVariance > 0.5);
  });
});

describe("evaluateSae", () => {
  const windows = [[BOS, 1, 2, 3, 4, 5, 6, 7], [BOS, 7, 6, 5, 4, 3, 2, 1], [BOS, 3, 3, 9, 9, 0, 1, 2]];

  /** f = [ReLU(x), ReLU(−x)], x̂ = ReLU(x) − ReLU(−x) = x: a perfect SAE with d_sae = 2 d_in. */
  function perfectSae(): SparseAutoencoder {
    const sae = new SparseAutoencoder({ d_in: 8, d_sae: 16, hook_name: hook, apply_b_dec_to_input: false });
    const I = Array.from({ length: 8 }, (_, i) => Array.from({ length: 8 }, (_, j) => (i === j ? 1 : 0)));
    noGrad(() => {
      sae.W_enc.copy_(tensor(I.map((r) => [...r, ...r.map((v) => -v)])));
      sae.W_dec.copy_(tensor([...I, ...I.map((r) => r.map((v) => -v))]));
    });
    return sae;
  }

  test("a perfect SAE: CE loss recovered 1, KL 0, MSE 0, explained variance 1; L0 and density by hand", () => {
    const r = evaluateSae(model, perfectSae(), { windows, excludeTokens: [BOS] });
    assert.equal(r.tokens, 21);
    assert.ok(Math.abs(r.ceLossRecovered - 1) < 1e-4, `recovered ${r.ceLossRecovered}`);
    assert.ok(Math.abs(r.klDivWithSae) < 1e-5 && r.mse < 1e-8 && Math.abs(r.explainedVariance - 1) < 1e-5);
    assert.ok(Math.abs(r.ceLossWithSae - r.ceLossClean) < 1e-5);
    // by hand: each latent fires where its coordinate of x has its sign
    const { cache } = noGrad(() => model.runWithCache(windows, { namesFilter: [hook] }));
    const x = (cache.get(hook)!.toArray() as number[][][]).flatMap((w) => w.slice(1));
    const pos = Array.from({ length: 8 }, (_, j) => x.filter((v) => v[j] > 0).length / 21);
    for (let j = 0; j < 8; j++) {
      assert.ok(Math.abs(r.density[j] - pos[j]) < 1e-9);
      assert.ok(Math.abs(r.density[8 + j] - x.filter((v) => v[j] < 0).length / 21) < 1e-9);
    }
    assert.ok(Math.abs(r.l0 - 8) < 1e-9, "every coordinate is non-zero: 8 latents per token");
    assert.equal(r.deadLatents, r.density.filter((d) => d === 0).length);
    assert.equal(r.densityHistogram.counts.reduce((a, b) => a + b, 0) + r.densityHistogram.dead, 16);
  });

  test("a null SAE (x̂ = 0) recovers nothing: CE with the SAE = CE zero-ablated", () => {
    const sae = perfectSae();
    noGrad(() => sae.W_dec.zero_());
    const r = evaluateSae(model, sae, { windows, excludeTokens: [BOS] });
    assert.ok(Math.abs(r.ceLossRecovered) < 1e-4, `recovered ${r.ceLossRecovered}`);
    assert.ok(r.ceLossZeroAblation !== r.ceLossClean);
    assert.ok(Math.abs(r.explainedVariance) < 1 && r.explainedVariance < 0.01);
    const mse = tidy(() => {
      const { cache } = noGrad(() => model.runWithCache(windows, { namesFilter: [hook] }));
      return cache.get(hook)!.narrow(1, 1, 7).square().sum().item() / 21;
    });
    assert.ok(Math.abs(r.mse - mse) < 1e-4 * mse);
  });

  test("bad input", () => {
    const sae = new SparseAutoencoder({ d_in: 8, d_sae: 16 });
    assert.throws(() => evaluateSae(model, sae, { windows }), /hook_name is empty/);
    assert.throws(() => evaluateSae(model, perfectSae(), { windows: [] }), /no windows/);
    assert.throws(() => evaluateSae(model, perfectSae(), { windows: [[BOS, 1], [BOS, 1, 2]] }), /same length/);
  });
});
