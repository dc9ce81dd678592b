// Causal interventions: ablations against edited weights, activation patching against hand-made
// hooks and exact identities (patching a whole layer restores the clean run; clean into clean
// changes nothing), path patching against an independent two-run construction, and attribution
// patching against exact patching.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HookedTransformer, type Tensor, getActName, noGrad, tensor, tidy } from "../src/node.js";
import { ablationEffect, ablationHooks, ablationSweep, runWithAblation } from "../src/interp/ablation.js";
import { activationPatching, attributionPatching, compareAttribution, normalizePatching, pathPatch, pathPatchingSweep, patchAttnOut, patchBlockEvery, patchHeads, patchHeadsAllPos, patchHeadsByPos, patchMlpOut, patchResidPre, patchingCorrelation, type PatchingResult } from "../src/interp/patching.js";
import { logitDiff, logitDiffMetric, lossMetric, probMetric, runInterventions } from "../src/interp/patching-core.js";

const model = new HookedTransformer({ n_layers: 2, d_model: 32, n_heads: 4, d_vocab: 20, n_ctx: 16, seed: 3, initializer_range: 0.15 });
model.eval();
const clean = [[1, 2, 3, 4, 5, 6, 7, 8], [3, 4, 5, 6, 1, 2, 9, 9]];
const corrupted = [[1, 2, 3, 11, 5, 6, 7, 8], [3, 4, 5, 6, 1, 12, 9, 9]];
const metric = logitDiffMetric([5, 6], [7, 8]);
const metricOf = (logits: Tensor) => tidy(() => (metric(logits) as Tensor).item());
const run = (tokens: number[][], hooks: [string, (a: Tensor) => Tensor | void][] = []) => noGrad(() => metricOf(model.runWithHooks(tokens, { fwdHooks: hooks })));
const cleanMetric = run(clean);
const corruptedMetric = run(corrupted);
const near = (a: number, b: number, tol = 1e-5, what = "") => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

/** The clean activation at a hook (independent of the library's caching). */
function cleanAct(name: string): Tensor {
  let got: Tensor | null = null;
  noGrad(() => model.runWithHooks(clean, { fwdHooks: [[name, (a) => void (got = a.clone())]] }));
  return got!;
}

describe("metrics", () => {
  test("logitDiff, probMetric and lossMetric against direct computations", () => {
    const logits = noGrad(() => model.forward(clean));
    const last = logits.select(1, 7).toArray() as number[][];
    near((logitDiff(logits, [5, 6], [7, 8]) as Tensor).item(), (last[0][5] - last[0][7] + last[1][6] - last[1][8]) / 2, 1e-6, "logit diff");
    const p = (row: number[], t: number) => Math.exp(row[t]) / row.reduce((s, v) => s + Math.exp(v), 0);
    near((probMetric(5)(logits) as Tensor).item(), (p(last[0], 5) + p(last[1], 5)) / 2, 1e-6, "prob");
    near((lossMetric(clean)(logits) as Tensor).item(), noGrad(() => model.loss(clean).item()), 1e-6, "loss");
    assert.throws(() => lossMetric([[1, 2]])(logits), /do not match/);
  });
});

describe("ablations", () => {
  test("zero-ablating a head = zeroing its rows of W_O (an independent weight edit)", () => {
    const ablated = noGrad(() => runWithAblation(model, clean, [[1, 2]]).dataSync());
    const edited = new HookedTransformer(model.cfg);
    edited.loadStateDict(model.stateDict());
    noGrad(() => {
      const W = edited.blocks[1].attn.W_O;
      const d = W.dataSync();
      d.fill(0, 2 * 8 * 32, 3 * 8 * 32);
      W.copy_(tensor(d, { shape: W.shape }));
    });
    const expect = noGrad(() => edited.forward(clean).dataSync());
    ablated.forEach((v, i) => near(v, expect[i], 1e-5, "logits"));
  });
  test("zero-ablating a neuron = zeroing its row of W_out; an attention layer = zero W_O and b_O", () => {
    const edited = new HookedTransformer(model.cfg);
    edited.loadStateDict(model.stateDict());
    noGrad(() => {
      const W = edited.blocks[0].mlp!.W_out;
      const d = W.dataSync();
      d.fill(0, 17 * 32, 18 * 32);
      W.copy_(tensor(d, { shape: W.shape }));
    });
    const a = noGrad(() => runWithAblation(model, clean, [{ layer: 0, neuron: 17 }]).dataSync());
    const b = noGrad(() => edited.forward(clean).dataSync());
    a.forEach((v, i) => near(v, b[i], 1e-5, "neuron"));
    noGrad(() => {
      edited.loadStateDict(model.stateDict());
      edited.blocks[1].attn.W_O.zero_();
      edited.blocks[1].attn.b_O!.zero_();
    });
    const c = noGrad(() => runWithAblation(model, clean, [{ layer: 1, component: "attn" }]).dataSync());
    const d = noGrad(() => edited.forward(clean).dataSync());
    c.forEach((v, i) => near(v, d[i], 1e-5, "layer"));
  });
  test("mean ablation over a batch of one and resample from itself change nothing", () => {
    const one = [clean[0]];
    const base = noGrad(() => model.forward(one).dataSync());
    for (const method of ["mean", "resample"] as const) {
      const out = noGrad(() => runWithAblation(model, one, [[0, 1], { layer: 1, component: "mlp" }], { method }).dataSync());
      out.forEach((v, i) => near(v, base[i], 1e-6, method));
    }
  });
  test("mean ablation uses the per-position batch mean", () => {
    const z = cleanAct(getActName("z", 0)).dataSync(); // (2, 8, 4, 8)
    const hooks = ablationHooks(model, clean, [[0, 3]], { method: "mean" });
    let seen: Float32Array | null = null;
    noGrad(() => model.runWithHooks(clean, { fwdHooks: [...hooks, [getActName("z", 0), (a: Tensor) => void (seen = a.dataSync() as Float32Array)]] }));
    for (let p = 0; p < 8; p++) for (let k = 0; k < 8; k++) {
      const mean = (z[((0 * 8 + p) * 4 + 3) * 8 + k] + z[((1 * 8 + p) * 4 + 3) * 8 + k]) / 2;
      near(seen![((1 * 8 + p) * 4 + 3) * 8 + k], mean, 1e-6, "mean");
      near(seen![((1 * 8 + p) * 4 + 2) * 8 + k], z[((1 * 8 + p) * 4 + 2) * 8 + k], 1e-7, "other heads untouched");
    }
  });
  test("ablationEffect and the batched sweep agree with one-at-a-time runs", () => {
    const sweep = ablationSweep(model, clean, metric, { method: "zero" });
    near(sweep.clean, cleanMetric, 1e-6, "clean");
    for (const [l, h] of [[0, 0], [1, 3]]) {
      const e = ablationEffect(model, clean, [[l, h]], metric);
      near(sweep.values[l][h], e.ablated, 1e-5, `head ${l}.${h}`);
      near(e.change, e.ablated - e.clean, 1e-12, "change");
    }
    assert.throws(() => ablationEffect(model, clean, [[5, 0]], metric), /layer 5 is out of range/);
    assert.throws(() => runWithAblation(model, clean, [[0, 0]], { method: "resample", reference: [[1, 2, 3]] }), /same number of positions|as many positions/);
  });
});

describe("activation patching", () => {
  test("clean into clean changes nothing; identical positions leave the corrupted metric", () => {
    const same = patchResidPre(model, { clean, corrupted: clean, metric });
    for (const row of same.values) for (const v of row) near(v, cleanMetric, 1e-5, "clean→clean");
    const r = patchResidPre(model, { clean, corrupted, metric });
    near(r.clean, cleanMetric, 1e-6, "clean");
    near(r.corrupted, corruptedMetric, 1e-6, "corrupted");
    // layer 0 resid_pre is the embedding: positions 0..2 hold the same tokens in both prompts
    for (const p of [0, 1, 2, 4, 6, 7]) near(r.values[0][p], corruptedMetric, 1e-5, `pos ${p}`);
    assert.ok(Math.abs(r.values[0][3] - corruptedMetric) > 1e-3, "the changed token's position matters");
  });
  test("patching a whole layer (every position) restores the clean metric exactly, at every layer", () => {
    for (const comp of ["resid_pre", "resid_post"] as const) {
      const locations = [0, 1].map((l) => ({ name: getActName(comp, l), select: {} }));
      const r = activationPatching(model, { clean, corrupted, metric, locations });
      for (const v of r.values) near(v, cleanMetric, 1e-5, comp);
      for (const v of r.normalized) near(v, 1, 1e-4, "normalized");
    }
    // all heads' z at a layer = that layer's attn_out (attn_out = Σ_h z_h W_O[h] + b_O)
    const viaZ = activationPatching(model, { clean, corrupted, metric, locations: [{ name: getActName("z", 1), select: {} }] }).values[0];
    const viaOut = activationPatching(model, { clean, corrupted, metric, locations: [{ name: getActName("attn_out", 1), select: {} }] }).values[0];
    near(viaZ, viaOut, 1e-5, "z vs attn_out");
  });
  test("the batched sweep equals single runs with hand-written hooks", () => {
    // the sweeps unembed only the last position for this metric; the manual runs below unembed all
    assert.equal(metric.lastPositionOnly, true);
    assert.equal(probMetric(5, 2).lastPositionOnly, undefined);
    const r = patchResidPre(model, { clean, corrupted, metric, batchSize: 5 });
    const single = patchResidPre(model, { clean, corrupted, metric, batchSize: 1 });
    r.values.flat().forEach((v, i) => near(v, single.values.flat()[i], 1e-5, "batch size"));
    for (const [l, p] of [[1, 3], [1, 7], [0, 5]]) {
      const name = getActName("resid_pre", l);
      const src = cleanAct(name);
      const manual = run(corrupted, [[name, (a) => {
        const mask = tensor(Array.from({ length: 8 }, (_, q) => (q === p ? 1 : 0)), { shape: [1, 8, 1] });
        return a.mul(mask.neg().add(1)).add(src.mul(mask));
      }]]);
      near(r.values[l][p], manual, 1e-5, `(${l}, ${p})`);
    }
    const h = patchHeadsAllPos(model, { clean, corrupted, metric, component: "v" });
    const name = getActName("v", 1);
    const src = cleanAct(name);
    const manual = run(corrupted, [[name, (a) => {
      const mask = tensor([0, 0, 1, 0], { shape: [1, 1, 4, 1] });
      return a.mul(mask.neg().add(1)).add(src.mul(mask));
    }]]);
    near(h.values[1][2], manual, 1e-5, "head v");
  });
  test("shapes and normalisation of every sweep", () => {
    assert.equal(patchAttnOut(model, { clean, corrupted, metric }).values.length, 2);
    assert.equal(patchMlpOut(model, { clean, corrupted, metric }).values[0].length, 8);
    const byPos = patchHeadsByPos(model, { clean, corrupted, metric, component: "pattern" });
    assert.deepEqual([byPos.values.length, byPos.values[0].length, byPos.values[0][0].length], [2, 8, 4]);
    const every = patchBlockEvery(model, { clean, corrupted, metric });
    assert.deepEqual(Object.keys(every), ["resid_pre", "attn_out", "mlp_out"]);
    const noise = patchHeads(model, { clean, corrupted, metric, direction: "noise" }) as PatchingResult<number[][]>;
    assert.equal(noise.values.length, 2);
    assert.deepEqual(normalizePatching([[cleanMetric, corruptedMetric]], cleanMetric, corruptedMetric), [[1, 0]]);
    assert.throws(() => patchResidPre(model, { clean, corrupted: [[1, 2, 3]], metric }), /same shape/);
    assert.throws(() => runInterventions(model, clean, [[{ name: "blocks.0.hook_resid_prex", select: {}, source: new Float32Array(0) }]], metric), /unknown hook point/);
  });
});

describe("path patching", () => {
  const attnOnly = new HookedTransformer({ n_layers: 2, d_model: 32, n_heads: 4, d_vocab: 20, n_ctx: 16, attn_only: true, seed: 5, initializer_range: 0.2 });
  attnOnly.eval();
  const mOf = (logits: Tensor) => tidy(() => (metric(logits) as Tensor).item());
  const cacheOf = (tokens: number[][], name: string) => {
    let got: Tensor | null = null;
    noGrad(() => attnOnly.runWithHooks(tokens, { fwdHooks: [[name, (a) => void (got = a.clone())]] }));
    return got!;
  };
  /** Δ = (z_corr − z_clean)[head] W_O[head]: the sender's change to the residual stream. */
  const senderDelta = (l: number, h: number) =>
    noGrad(() => {
      const dz = cacheOf(corrupted, getActName("z", l)).sub(cacheOf(clean, getActName("z", l))).select(2, h); // (b, p, k)
      return dz.matmul(attnOnly.blocks[l].attn.W_O.select(0, h)); // (b, p, d)
    });
  test("sender → logits in an attention-only model = adding the sender's Δ to the final residual", () => {
    const r = pathPatch(attnOnly, { clean, corrupted, metric, senders: [[0, 2]], receivers: "logits" });
    const delta = senderDelta(0, 2);
    const expect = noGrad(() => mOf(attnOnly.runWithHooks(clean, { fwdHooks: [[getActName("resid_post", 1), (a) => a.add(delta)]] })));
    near(r.value, expect, 1e-5, "path to logits");
  });
  test("sender → every layer-1 head's q, k, v = layer 1's attention run on clean + Δ, its residual left clean", () => {
    const receivers = [0, 1, 2, 3].map((h) => [1, h] as const);
    const r = pathPatch(attnOnly, { clean, corrupted, metric, senders: [[0, 1]], receivers });
    const delta = senderDelta(0, 1);
    const attnOut = cacheOf(clean, "blocks.1.hook_attn_out");
    let shifted: Tensor | null = null;
    noGrad(() => attnOnly.runWithHooks(clean, { fwdHooks: [[getActName("resid_pre", 1), (a) => a.add(delta)], ["blocks.1.hook_attn_out", (a) => void (shifted = a.clone())]] }));
    const expect = noGrad(() => mOf(attnOnly.runWithHooks(clean, { fwdHooks: [["blocks.1.hook_attn_out", () => shifted!]] })));
    near(r.value, expect, 1e-5, "path to q/k/v");
    assert.ok(Math.abs(attnOut.sub(shifted!).abs().sum().item()) > 1e-4, "the path changes layer 1's output");
  });
  test("sweep: nothing changes when clean = corrupted; later senders cannot reach earlier receivers", () => {
    const same = pathPatchingSweep(attnOnly, { clean, corrupted: clean, metric, receivers: [[1, 0]], receiverInput: "k" });
    for (const row of same.values) for (const v of row) near(v, same.clean, 1e-5, "no change");
    const sw = pathPatchingSweep(attnOnly, { clean, corrupted, metric, receivers: [[1, 0]], receiverInput: ["q", "k"] });
    for (const v of sw.values[1]) assert.equal(v, sw.clean);
    const one = pathPatch(attnOnly, { clean, corrupted, metric, senders: [[0, 3]], receivers: [[1, 0]], receiverInput: ["q", "k"] });
    near(sw.values[0][3], one.value, 1e-5, "sweep = single");
  });
});

describe("attribution patching", () => {
  test("no difference between the prompts → attribution = corrupted metric", () => {
    const r = attributionPatching(model, { clean, corrupted: clean, metric, component: "resid_pre" }) as PatchingResult<number[][]>;
    for (const v of r.values.flat()) near(v, cleanMetric, 1e-6, "Δ = 0");
  });
  test("correlates with exact patching (> 0.8) for head outputs and later-layer residuals", () => {
    const z = compareAttribution(model, { clean, corrupted, metric, component: "z" });
    assert.ok(z.correlation > 0.8, `z correlation ${z.correlation}`);
    const resid = compareAttribution(model, { clean, corrupted, metric, component: "resid_mid" });
    assert.ok(resid.correlation > 0.8, `resid_mid correlation ${resid.correlation}`);
    near(z.attribution.corrupted, corruptedMetric, 1e-5, "corrupted metric");
    assert.ok(patchingCorrelation([1, 2, 3], [2, 4, 6.5]) > 0.99);
    assert.throws(() => attributionPatching(model, { clean, corrupted, metric: () => 1 }), /must return a tensor/);
  });
});
