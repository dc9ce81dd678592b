// Linear probes: logistic / multinomial / ridge on synthetic activations with a known answer,
// controls at chance, activations and interventions through hooks, and a tiny part-of-speech
// probe on the Brown corpus with a character model trained for a few seconds.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { Generator, HookedTransformer, NANOGPT_CPU_TRAIN, Trainer, getActName, noGrad, textBatches, tokenizers } from "../src/node.js";
import { loadBrown } from "../src/data/corpus.node.js";
import { collectActivations, collectActivationsAt, controlLabels, directionHook, fitLogisticProbe, fitMultinomialProbe, fitRidgeProbe, orthonormalBasis, probeIntervention, runProbe, trainTestSplit } from "../src/interp/probes.js";
import { brownPosDataset, brownPosProbe } from "../src/interp/probes-brown.js";
import { lossMetric } from "../src/interp/patching-core.js";

const gen = new Generator(7);
const gauss = () => gen.normal();

describe("probes on synthetic activations", () => {
  const N = 600;
  const D = 12;
  const w = Array.from({ length: D }, (_, j) => (j < 3 ? 1 : 0));
  const X = Array.from({ length: N }, () => Array.from({ length: D }, gauss));
  const y = X.map((x) => (x.reduce((s, v, j) => s + v * w[j], 0) > 0 ? 1 : 0));

  test("logistic: separable labels → high held-out accuracy, direction ∥ the true one; shuffled labels → chance", () => {
    const r = runProbe("logistic", X, y, { seed: 1 });
    assert.ok(r.testScore > 0.95, `accuracy ${r.testScore}`);
    assert.ok(r.controlScore < 0.65, `control ${r.controlScore}`);
    assert.ok(r.selectivity > 0.3);
    const d = r.probe.direction();
    const cos = (d[0] + d[1] + d[2]) / Math.sqrt(3);
    assert.ok(cos > 0.95, `cos(direction, truth) = ${cos}`);
    // on noisy (not separable) labels the fit is the maximum-likelihood point: the log-loss
    // gradient, computed here independently on raw features, vanishes
    const noisy = X.map((x) => (x[0] + x[1] + x[2] + gauss() > 0 ? 1 : 0));
    const p = fitLogisticProbe(X, noisy, { l2: 1e-9 });
    const s = p.scores(X);
    const grad = new Array(D + 1).fill(0);
    X.forEach((x, i) => {
      const r = 1 / (1 + Math.exp(-s[i])) - noisy[i];
      x.forEach((v, j) => (grad[j] += (r * v) / N));
      grad[D] += r / N;
    });
    assert.ok(Math.max(...grad.map(Math.abs)) < 1e-6, `gradient ${grad}`);
  });
  test("multinomial: four clusters → > 0.9; control near 1/4; Hewitt–Liang type control", () => {
    const centers = Array.from({ length: 4 }, () => Array.from({ length: D }, () => 2 * gauss()));
    const lab = Array.from({ length: N }, (_, i) => i % 4);
    const Xc = lab.map((c) => centers[c].map((m) => m + gauss()));
    const r = runProbe("multinomial", Xc, lab, { seed: 2 });
    assert.ok(r.testScore > 0.9, `accuracy ${r.testScore}`);
    assert.ok(r.controlScore < 0.4, `control ${r.controlScore}`);
    assert.ok(Math.abs(r.majorityBaseline - 0.25) < 0.1);
    const types = lab.map((_, i) => i % 37);
    const ctl = controlLabels(lab, { types, seed: 3 });
    for (let i = 0; i < N; i++) assert.equal(ctl[i], ctl[i % 37], "one label per type");
    const direct = fitMultinomialProbe(Xc, lab);
    assert.equal(direct.C, 4);
    assert.ok(direct.score(Xc, lab) > 0.9);
  });
  test("ridge recovers a linear map (R² near 1) and equals the normal-equations solution", () => {
    const beta = Array.from({ length: D }, (_, j) => j - 5);
    const t = X.map((x) => x.reduce((s, v, j) => s + v * beta[j], 3) + 0.01 * gauss());
    const p = fitRidgeProbe(X, t, { l2: 1e-9 });
    p.W.forEach((v, j) => assert.ok(Math.abs(v - beta[j]) < 0.01, `β${j} ${v}`));
    assert.ok(Math.abs(p.b[0] - 3) < 0.01);
    assert.ok(runProbe("ridge", X, t).testScore > 0.99);
  });
  test("splits and bad input", () => {
    const { train, test: te } = trainTestSplit(10, { testFraction: 0.3, seed: 1 });
    assert.equal(te.length, 3);
    assert.deepEqual([...train, ...te].sort((a, b) => a - b), [...Array(10).keys()]);
    assert.throws(() => fitLogisticProbe([[1], [2]], [0, 2]), /0 or 1/);
    assert.throws(() => runProbe("logistic", [[1], [2]], [1]), /1 labels for 2 samples/);
    assert.throws(() => trainTestSplit(10, { testFraction: 1 }), /testFraction/);
    assert.equal(orthonormalBasis([[1, 0], [2, 0], [0, 3]]).length, 2);
  });
});

describe("activations and interventions", () => {
  const model = new HookedTransformer({ n_layers: 2, d_model: 16, n_heads: 2, d_vocab: 11, n_ctx: 8, seed: 4, initializer_range: 0.2 });
  const tokens = [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]];
  test("collectActivations reads the cache at the chosen sites; hook_z per head", () => {
    const name = getActName("resid_mid", 0);
    const { cache } = noGrad(() => model.runWithCache(tokens, { namesFilter: [name, getActName("z", 1)] }));
    const f = collectActivations(model, tokens, name, { sites: [[1, 4], [0, 0]] });
    assert.deepEqual([f.N, f.D], [2, 16]);
    const full = cache.get(name)!.toArray() as number[][][];
    assert.deepEqual([...f.X.subarray(0, 16)], full[1][4].map((v) => Math.fround(v)));
    const z = collectActivations(model, tokens, getActName("z", 1), { head: 1 });
    assert.deepEqual([z.N, z.D], [12, 8]);
    const zf = cache.get(getActName("z", 1))!.toArray() as number[][][][];
    assert.deepEqual([...z.X.subarray(8 * 7, 8 * 8)], zf[1][1][1]);
  });
  test("collectActivationsAt reads several hooks from shared passes, sites in any order across chunks", () => {
    // 700 rows of 6 tokens run as two forwards (at most 4096 positions each)
    const rows = Array.from({ length: 700 }, (_, r) => Array.from({ length: 6 }, (_, p) => (r * 7 + p * 3) % 11));
    const sites: [number, number][] = [[699, 5], [0, 0], [683, 2], [350, 1], [682, 3], [1, 4]];
    const names = [getActName("resid_mid", 0), "ln_final.hook_normalized"];
    const got = collectActivationsAt(model, rows, names, { sites });
    const { cache } = noGrad(() => model.runWithCache(rows, { namesFilter: names }));
    for (const name of names) {
      const f = got.get(name)!;
      assert.deepEqual([f.N, f.D], [sites.length, 16]);
      const full = cache.get(name)!.toArray() as number[][][];
      sites.forEach(([r, p], i) => {
        const want = full[r][p];
        for (let j = 0; j < 16; j++) assert.ok(Math.abs(f.X[i * 16 + j] - want[j]) < 1e-5, `${name} site ${i}`);
      });
    }
    assert.throws(() => collectActivationsAt(model, tokens, names, { sites: [[2, 0]] }), /outside the batch/);
    assert.throws(() => collectActivationsAt(model, tokens, [getActName("pattern", 0)]), /per-position/);
  });
  test("projecting a direction out leaves no component along it; adding moves it by α", () => {
    const u = Array.from({ length: 16 }, (_, j) => (j === 3 ? 1 : j === 5 ? 1 : 0));
    const name = getActName("resid_pre", 1);
    let after: number[][][] = [];
    noGrad(() => model.runWithHooks(tokens, { fwdHooks: [[name, directionHook({ mode: "project", directions: [u] })], [name, (a) => void (after = a.toArray() as number[][][])]] }));
    for (const row of after) for (const v of row) assert.ok(Math.abs(v[3] + v[5]) < 1e-5);
    let before: number[][][] = [];
    noGrad(() => model.runWithHooks(tokens, { fwdHooks: [[name, (a) => void (before = a.toArray() as number[][][])], [name, directionHook({ mode: "add", directions: [u], alpha: 2, positions: [2] })], [name, (a) => void (after = a.toArray() as number[][][])]] }));
    assert.ok(Math.abs(after[0][2][3] - before[0][2][3] - Math.SQRT2) < 1e-5, "α·u/|u| at position 2");
    assert.equal(after[0][1][3], before[0][1][3], "other positions untouched");
  });
});

describe("part-of-speech probe on the Brown corpus", () => {
  let result: ReturnType<typeof brownPosProbe>;
  let effect: ReturnType<typeof probeIntervention>;
  let majority = 0;
  before(async () => {
    const corpus = await loadBrown({ files: ["ca01", "ca02", "ca03", "ca04", "ca05", "ca06"] });
    const tok = tokenizers.CharTokenizer.fromText(corpus.text);
    const split = Math.floor(corpus.text.length * 0.8);
    const ids = Int32Array.from(tok.encode(corpus.text.slice(0, split)));
    const model = new HookedTransformer({ n_layers: 2, d_model: 48, n_heads: 4, d_vocab: tok.vocabSize, n_ctx: 48, seed: 0 });
    // a few hundred steps on ~40k characters: enough to learn spelling-level statistics
    const trainer = new Trainer(model, textBatches(ids, { batchSize: 16, blockSize: 48 }), { ...NANOGPT_CPU_TRAIN, maxIters: 300, lrDecayIters: 300, warmupIters: 20, lr: 3e-3, evalIters: 1, evalInterval: 1000 });
    for (let i = 0; i < 300; i++) trainer.trainStep();
    model.eval();
    // probe on text the model did not train on: the last 10% of these files
    const data = brownPosDataset(corpus, tok, { contextLength: 48, windows: 160, start: split });
    result = brownPosProbe(model, data, [getActName("resid_pre", 0), getActName("resid_post", 1)], { seed: 0 });
    const counts = new Map<number, number>();
    for (const l of data.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
    majority = Math.max(...counts.values()) / data.labels.length;
    const last = result[1];
    const hook = getActName("resid_post", 1);
    effect = probeIntervention(model, data.windows, hook, { mode: "project", directions: last.probe.directions() }, { metric: lossMetric(data.windows), read: { hook, probe: last.probe, labels: data.labels, sites: data.sites } });
  });
  test("the model's residual stream encodes part of speech beyond the controls", () => {
    const [embed, late] = result;
    assert.ok(late.testScore > majority + 0.1, `accuracy ${late.testScore} vs majority ${majority}`);
    assert.ok(late.testScore > late.controlScore + 0.15, `selectivity ${late.selectivity}`);
    assert.ok(late.testScore > late.wordControlScore, `word-type control ${late.wordControlScore}`);
    assert.ok(late.testScore > embed.testScore, `after two layers ${late.testScore} > at the embedding ${embed.testScore}`);
  });
  test("projecting the probe's directions out erases what it reads and costs loss", () => {
    assert.ok(effect.probeAfter! < effect.probeBefore! - 0.1, `probe ${effect.probeBefore} → ${effect.probeAfter}`);
    assert.ok(effect.metricAfter > effect.metricBefore, `loss ${effect.metricBefore} → ${effect.metricAfter}`);
  });
});
