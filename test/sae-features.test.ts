// SAE feature dashboards and interventions, on a tiny model built here and SAEs whose weights are
// set by formula: the top-k heaps against a brute-force sort of every activation, the interval
// samples and histogram against counts made by hand (through grid doublings), density against
// evaluateSae, logit effects against W_dec · W_U written out, and the steering, ablation and
// clamping hooks read back through runWithCache. Then `dgpt sae dashboard | steer` as a user runs them.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { HookedTransformer, generate, noGrad, tensor } from "../src/node.js";
import { Generator } from "../src/tensor/random.js";
import { evaluateSae } from "../src/sae/evaluate.js";
import { FeatureCollector, GRID_CELLS, MAX_INTERVALS, logitEffects, saeFeatures, type FeatureContext } from "../src/sae/features.js";
import { saveSae } from "../src/sae/files.node.js";
import { SparseAutoencoder } from "../src/sae/sae.js";
import { generateWithIntervention, interventionHook, nextTokenEffect, steerGenerations, type Intervention } from "../src/sae/steer.js";
import { saveModelDir } from "../src/models/gpt/io.node.js";
import { CharTokenizer } from "../src/tokenizers/char.js";
import { saveTokenizerFile } from "../src/tokenizers/files.node.js";
import { dgptHere } from "./dgpt-here.js";

const D_VOCAB = 12;
const BOS = 11;
const model = new HookedTransformer({ n_layers: 2, d_model: 8, n_heads: 2, d_vocab: D_VOCAB, n_ctx: 8, seed: 3, initializer_range: 0.4 });
model.eval();
const HOOK = "blocks.0.hook_resid_post";
// 30 windows of 8 tokens, BOS first (left out of every count)
const windows = Array.from({ length: 30 }, (_, w) => [BOS, ...Array.from({ length: 7 }, (_, p) => (w * 7 + p * 3 + ((w * p) % 5)) % 11)]);

/** A standard (ReLU) SAE with weights set by formula: d_in 8, d_sae 6, a negative b_enc so it is sparse. */
function knownSae(hook = HOOK, dIn = 8, dSae = 6): SparseAutoencoder {
  const sae = new SparseAutoencoder({ d_in: dIn, d_sae: dSae, architecture: "standard", hook_name: hook });
  const wEnc = Array.from({ length: dIn }, (_, i) => Array.from({ length: dSae }, (_, j) => Math.sin(1.3 * i + 2.1 * j + 0.5) * 0.8));
  const wDec = Array.from({ length: dSae }, (_, j) => Array.from({ length: dIn }, (_, i) => Math.cos(0.7 * i - 1.9 * j)));
  sae.loadStateDict({ W_enc: tensor(wEnc), W_dec: tensor(wDec), b_enc: tensor(Array.from({ length: dSae }, (_, j) => -0.2 - 0.05 * j)), b_dec: tensor(Array.from({ length: dIn }, (_, i) => 0.01 * i)) });
  return sae;
}
const sae = knownSae();

/** Every feature activation by brute force: (window, position, d_sae), BOS positions zeroed. */
function allActivations(s: SparseAutoencoder = sae): number[][][] {
  return noGrad(() => {
    const act = model.runWithCache(windows, { namesFilter: [s.cfg.hook_name] }).cache.get(s.cfg.hook_name)!;
    const f = s.encode(act).toArray() as number[][][];
    return f.map((row, w) => row.map((v, p) => (windows[w][p] === BOS ? v.map(() => 0) : v)));
  });
}

describe("feature dashboards: saeFeatures", () => {
  const f = allActivations();
  const N = 5;
  const r = saeFeatures(model, sae, { windows, excludeTokens: [BOS], topExamples: N, samplesPerInterval: 1000, contextBefore: 3, contextAfter: 2, windowsPerForward: 4, logitTokens: 4 });

  test("the top-k heaps hold exactly the top activations (brute-force sort), with their contexts", () => {
    for (let j = 0; j < 6; j++) {
      const all: { v: number; w: number; p: number }[] = [];
      f.forEach((row, w) => row.forEach((v, p) => v[j] > 0 && all.push({ v: v[j], w, p })));
      all.sort((a, b) => b.v - a.v || a.w * 8 + a.p - (b.w * 8 + b.p));
      const L = r.latents[j];
      assert.equal(L.latent, j);
      assert.ok(all.length > N, `latent ${j} fires on ${all.length} tokens: too few for the test`);
      assert.deepEqual(L.top.map((c) => [c.window, c.position]), all.slice(0, N).map((a) => [a.w, a.p]), `latent ${j}`);
      for (const c of L.top) {
        assert.ok(Math.abs(c.value - f[c.window][c.position][j]) < 1e-5);
        // the context: tokens position-3 … position+2 inside the window, each with f_j
        const lo = Math.max(0, c.position - 3);
        const hi = Math.min(8, c.position + 3);
        assert.deepEqual(c.tokens, windows[c.window].slice(lo, hi));
        assert.equal(c.center, c.position - lo);
        c.acts.forEach((a, i) => assert.ok(Math.abs(a - f[c.window][lo + i][j]) < 1e-5));
      }
      assert.ok(Math.abs(L.maxAct - all[0].v) < 1e-5);
      assert.equal(L.fires, all.length);
    }
  });

  test("interval samples lie in their intervals; with room for all, they are every activation of it", () => {
    for (const L of r.latents) {
      assert.ok(L.intervals.length <= MAX_INTERVALS);
      assert.equal(L.intervals.reduce((s, iv) => s + iv.count, 0), L.fires);
      const values: number[] = [];
      f.forEach((row) => row.forEach((v) => v[L.latent] > 0 && values.push(v[L.latent])));
      for (const iv of L.intervals) {
        const inside = values.filter((v) => v >= iv.lo && v < iv.hi);
        assert.equal(iv.count, inside.length, `latent ${L.latent} [${iv.lo}, ${iv.hi})`);
        for (const e of iv.examples) assert.ok(e.value >= iv.lo && e.value < iv.hi, `${e.value} outside [${iv.lo}, ${iv.hi})`);
        assert.deepEqual(iv.examples.map((e) => e.value).sort(), inside.map((v) => Math.fround(v)).sort());
      }
      // the histogram covers every nonzero activation, up to the maximum
      assert.equal(L.histogram.counts.reduce((a, b) => a + b, 0), L.fires);
      assert.ok(L.histogram.edges[L.histogram.edges.length - 1] > L.maxAct);
    }
  });

  test("density equals evaluateSae's", () => {
    const e = evaluateSae(model, sae, { windows, excludeTokens: [BOS], windowsPerForward: 4 });
    assert.equal(r.tokens, e.tokens);
    assert.deepEqual(Array.from(r.density), Array.from(e.density));
    assert.deepEqual(r.densityHistogram, e.densityHistogram);
  });

  test("logit effects are W_dec[i] through ln_final (centred, ⊙ w) times W_U, written out", () => {
    // a LayerNorm weight that is not all ones, so its part shows
    const w = model.ln_final!.w!;
    const saved = w.dataSync();
    noGrad(() => w.copy_(tensor(Array.from({ length: 8 }, (_, i) => 0.5 + 0.25 * i))));
    try {
      const { effects, path } = logitEffects(model, sae, [0, 3, 5], 3);
      assert.match(path, /centred over d_model ⊙ w_ln · W_U/);
      const wDec = sae.W_dec.toArray() as number[][];
      const wU = model.unembed.weight.toArray() as number[][];
      const wLn = w.toArray() as number[];
      [0, 3, 5].forEach((j, k) => {
        const u = wDec[j];
        const mean = u.reduce((a, b) => a + b, 0) / u.length;
        const logits = Array.from({ length: D_VOCAB }, (_, t) => u.reduce((s, ud, d) => s + (ud - mean) * wLn[d] * wU[d][t], 0));
        const order = [...logits.keys()].sort((a, b) => logits[b] - logits[a]);
        assert.deepEqual(effects![k]!.promoted.map((e) => e.token), order.slice(0, 3));
        assert.deepEqual(effects![k]!.suppressed.map((e) => e.token), order.slice(-3).reverse());
        for (const e of [...effects![k]!.promoted, ...effects![k]!.suppressed]) assert.ok(Math.abs(e.value - logits[e.token]) < 1e-5);
      });
    } finally {
      noGrad(() => w.copy_(tensor(saved)));
    }
  });

  test("an SAE on one head's hook_z: its direction goes through that head's W_O", () => {
    const z = knownSae("blocks.1.attn.hook_z", 4, 5);
    z.cfg.hook_head_index = 1;
    const { effects, path } = logitEffects(model, z, [2], 12);
    assert.match(path, /W_dec\[i\] W_O\[1\]/);
    const u = (z.W_dec.toArray() as number[][])[2];
    const wO = model.blocks[1].attn.W_O.toArray() as number[][][];
    const resid = Array.from({ length: 8 }, (_, d) => u.reduce((s, ui, k) => s + ui * wO[1][k][d], 0));
    const mean = resid.reduce((a, b) => a + b, 0) / 8;
    const wU = model.unembed.weight.toArray() as number[][];
    for (const e of effects![0]!.promoted) assert.ok(Math.abs(e.value - resid.reduce((s, x, d) => s + (x - mean) * wU[d][e.token], 0)) < 1e-5);
    // and the pass reads head 1's slice
    const res = saeFeatures(model, z, { windows, excludeTokens: [BOS], latents: [2], logitTokens: 0 });
    assert.equal(res.latents.length, 1);
    assert.equal(res.logitPath, "not computed (logitTokens 0)");
  });

  test("the collector through grid doublings: intervals, histogram and all-kept samples stay exact", () => {
    // activations that grow chunk by chunk, so each latent's grid doubles several times
    const g = new Generator(5);
    const d = 3;
    const col = new FeatureCollector(d, { topExamples: 4, samplesPerInterval: 10_000, contextBefore: 1, contextAfter: 1, seed: 1 });
    const seen: number[][] = [[], [], []];
    for (let c = 0; c < 6; c++) {
      const rows = 2;
      const len = 10;
      const fl = new Float32Array(rows * len * d);
      for (let i = 0; i < fl.length; i++) if (g.random() < 0.6) fl[i] = Math.fround(g.random() * 2 ** c + 1e-3);
      const ids = Int32Array.from({ length: rows * len }, (_, i) => i % 7);
      const keep = new Uint8Array(rows * len).fill(1);
      for (let t = 0; t < rows * len; t++) for (let j = 0; j < d; j++) if (fl[t * d + j] > 0) seen[j].push(fl[t * d + j]);
      col.add(fl, ids, keep, rows, len, c * rows);
    }
    const res = col.result();
    for (let j = 0; j < d; j++) {
      const L = res.latents[j];
      const vals = seen[j];
      assert.equal(L.fires, vals.length);
      assert.ok(L.histogram.counts.length <= GRID_CELLS && L.histogram.counts.length > GRID_CELLS / 4);
      L.histogram.counts.forEach((n, i) => assert.equal(n, vals.filter((v) => v >= L.histogram.edges[i] && v < L.histogram.edges[i + 1]).length));
      for (const iv of L.intervals) assert.deepEqual(iv.examples.map((e) => e.value).sort(), vals.filter((v) => v >= iv.lo && v < iv.hi).sort());
      assert.deepEqual(L.top.map((e) => e.value), [...vals].sort((a, b) => b - a).slice(0, 4));
    }
  });

  test("a merged reservoir is a uniform sample: each token of the interval is as likely to be shown", () => {
    // chunk 1: 5 tokens in one interval, 15 in the next; chunk 2 opens with a value twice the
    // maximum (the grid doubles, the two intervals merge into one), then 20 tokens in that interval.
    // Kept with one sample, each of the 40 should be shown 1/40 of the time.
    const chunk1 = [...Array.from({ length: 5 }, (_, i) => 0.83 + 0.001 * i), ...Array.from({ length: 15 }, (_, i) => 0.9 + 0.001 * i)];
    const chunk2 = [1.9, ...Array.from({ length: 20 }, (_, i) => 0.86 + 0.001 * i)];
    const trials = 3000;
    const shown = [0, 0, 0];
    for (let s = 0; s < trials; s++) {
      const col = new FeatureCollector(1, { topExamples: 0, samplesPerInterval: 1, contextBefore: 0, contextAfter: 0, seed: s });
      for (const [c, vals] of [chunk1, chunk2].entries()) col.add(Float32Array.from(vals), new Int32Array(vals.length), new Uint8Array(vals.length).fill(1), 1, vals.length, c);
      const iv = col.result().latents[0].intervals.find((i) => i.lo <= 0.83 && i.hi > 0.92)!;
      assert.equal(iv.count, 40);
      const e = iv.examples[0];
      shown[e.window === 1 ? 2 : e.position < 5 ? 0 : 1]++;
    }
    // expected 5/40, 15/40, 20/40 of the trials; 4 standard deviations either way
    [5, 15, 20].forEach((n, g) => {
      const p = n / 40;
      assert.ok(Math.abs(shown[g] - trials * p) < 4 * Math.sqrt(trials * p * (1 - p)), `group ${g}: shown ${shown[g]} of ${trials}, expected ${trials * p}`);
    });
  });

  test("reservoirs smaller than their intervals: each interval keeps its size of samples, inside it", () => {
    const res = saeFeatures(model, sae, { windows, excludeTokens: [BOS], samplesPerInterval: 2, windowsPerForward: 3, seed: 4 });
    for (const L of res.latents) for (const iv of L.intervals) {
      assert.equal(iv.examples.length, Math.min(2, iv.count));
      for (const e of iv.examples) assert.ok(e.value >= iv.lo && e.value < iv.hi);
    }
  });

  test("bad input names the problem", () => {
    assert.throws(() => saeFeatures(model, sae, { windows, latents: [6] }), /latent 6 is out of range \[0, 6\)/);
    assert.throws(() => saeFeatures(model, knownSae("blocks.0.hook_resid_pots"), { windows }), /resid_post/);
    assert.throws(() => saeFeatures(model, knownSae(HOOK, 16), { windows }), /d_in = 16 .* gives 8/);
    assert.throws(() => saeFeatures(model, sae, { windows: [] }), /no windows/);
  });
});

describe("interventions: steering, ablation, clamping", () => {
  const prompt = windows[2];
  /** The hook's activation (1, p, 8) and the logits, with an intervention attached (or none). */
  function run(iv: Intervention | null): { act: number[][]; logits: number[] } {
    const remove = iv ? model.hookPoint(HOOK).addHook(interventionHook(sae, iv)) : () => {};
    try {
      const { logits, cache } = model.runWithCache([prompt], { namesFilter: [HOOK] });
      return { act: (cache.get(HOOK)!.toArray() as number[][][])[0], logits: Array.from(logits.dataSync()) };
    } finally {
      remove();
    }
  }
  const clean = run(null);
  // f at every position of the prompt (the hook acts on BOS positions too)
  const f = noGrad(() => sae.encode(tensor(clean.act)).toArray() as number[][]);
  const dec = sae.W_dec.toArray() as number[][];

  test("α = 0 changes nothing; α > 0 moves the activation by exactly α·W_dec[i], at the chosen positions only", () => {
    const zero = run({ latent: 1, mode: "add", value: 0 });
    assert.deepEqual(zero.act, clean.act);
    assert.deepEqual(zero.logits, clean.logits);
    const steered = run({ latent: 1, mode: "add", value: 2.5 });
    steered.act.forEach((row, p) => row.forEach((x, i) => assert.ok(Math.abs(x - clean.act[p][i] - 2.5 * dec[1][i]) < 1e-5, `position ${p}`)));
    assert.notDeepEqual(steered.logits, clean.logits);
    const some = run({ latent: 1, mode: "add", value: 2.5, positions: [3, 5] });
    some.act.forEach((row, p) => row.forEach((x, i) => assert.ok(Math.abs(x - clean.act[p][i] - (p === 3 || p === 5 ? 2.5 * dec[1][i] : 0)) < 1e-5)));
  });

  test("ablation keeps the error term: the activation is unchanged where the latent is off, x − f_i·W_dec[i] where on", () => {
    for (let j = 0; j < 6; j++) {
      const ab = run({ latent: j, mode: "ablate" });
      ab.act.forEach((row, p) => {
        if (f[p][j] === 0) assert.deepEqual(row, clean.act[p], `latent ${j} position ${p}`);
        else row.forEach((x, i) => assert.ok(Math.abs(x - (clean.act[p][i] - f[p][j] * dec[j][i])) < 1e-5));
      });
    }
    // the prompt has positions where latent 0 is on and where it is off
    assert.ok(f.some((v) => v[0] > 0) && f.some((v) => v[0] === 0));
  });

  test("clamping sets the latent's contribution to c·W_dec[i]", () => {
    const cl = run({ latent: 2, mode: "clamp", value: 3 });
    cl.act.forEach((row, p) => row.forEach((x, i) => assert.ok(Math.abs(x - (clean.act[p][i] + (3 - f[p][2]) * dec[2][i])) < 1e-5)));
  });

  test("generation: α = 0 gives the plain continuation; positions are the sequence's, with or without the KV cache", () => {
    const p = [1, 2, 3];
    const plain = generate(model, p, { maxNewTokens: 4, temperature: 1, generator: new Generator(7) });
    const g0 = steerGenerations(model, sae, p, { latent: 0, mode: "add", value: 0 }, { maxNewTokens: 4, temperature: 1, seed: 7 });
    assert.deepEqual(g0.before, plain);
    assert.deepEqual(g0.after, plain);
    // steering only at position 4 (the second new token's input): with the cache the hook sees one
    // position per pass; without, the whole sequence. Both must steer the same token.
    const iv: Intervention = { latent: 3, mode: "add", value: 6, positions: [4] };
    const cached = generateWithIntervention(model, sae, p, iv, { maxNewTokens: 4, temperature: 0 });
    const uncached = generateWithIntervention(model, sae, p, iv, { maxNewTokens: 4, temperature: 0, useCache: false });
    assert.deepEqual(cached, uncached);
    const far = generateWithIntervention(model, sae, p, { ...iv, positions: [50] }, { maxNewTokens: 4, temperature: 0 });
    assert.deepEqual(far, generate(model, p, { maxNewTokens: 4, temperature: 0 }));
    assert.equal(model.hookPoint(HOOK).hasHooks, false, "the hook is removed afterwards");
  });

  test("next-token effect: none at α = 0; a KL and tokens that gain and lose when steered", () => {
    const none = nextTokenEffect(model, sae, prompt, { latent: 1, mode: "add", value: 0 });
    assert.equal(none.kl, 0);
    assert.deepEqual([none.gains, none.losses], [[], []]);
    const e = nextTokenEffect(model, sae, prompt, { latent: 1, mode: "add", value: 4 });
    assert.ok(e.kl > 0 && e.meanKl > 0);
    assert.ok(e.gains.length > 0 && e.losses.length > 0);
    for (const s of e.gains) assert.ok(s.after > s.before);
    const sum = e.gains.reduce((a, s) => a + s.after - s.before, 0) + e.losses.reduce((a, s) => a + s.after - s.before, 0);
    assert.ok(Math.abs(sum) < 1 + 1e-9);
    assert.throws(() => interventionHook(sae, { latent: 9, mode: "add", value: 1 }), /latent 9 is out of range/);
    assert.throws(() => interventionHook(sae, { latent: 1, mode: "clamp" }), /clamp needs a finite value/);
  });
});

describe("dgpt sae dashboard | steer", { timeout: 120_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), "dgpt-sae-dash-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const text = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n".repeat(40);
  const data = join(tmp, "text.txt");
  writeFileSync(data, text);
  const tok = CharTokenizer.fromText(text);
  const modelDir = join(tmp, "model");
  const saeDir = join(tmp, "sae");
  const setup = (async () => {
    const m = new HookedTransformer({ n_layers: 2, d_model: 16, n_heads: 2, d_vocab: tok.vocabSize, n_ctx: 16, seed: 1, initializer_range: 0.3 });
    await saveModelDir(modelDir, m);
    await saveTokenizerFile(join(modelDir, "tokenizer.json"), tok);
    await saveSae(saeDir, new SparseAutoencoder({ d_in: 16, d_sae: 60, architecture: "topk", k: 4, hook_name: "blocks.1.hook_resid_post", context_size: 16, prepend_bos: false, seed: 2 }));
    await saveSae(join(tmp, "sae-nohook"), new SparseAutoencoder({ d_in: 16, d_sae: 8, hook_name: "blocks.4.hook_resid_post" }));
    await saveSae(join(tmp, "sae-wide"), new SparseAutoencoder({ d_in: 32, d_sae: 8, hook_name: "blocks.1.hook_resid_post" }));
  })();
  const base = () => ["sae", "dashboard", "--sae", saeDir, "--model", modelDir, "--data", data, "--windows", "40"];

  test("dashboard: a folder of pages (index by density, cards), refused a second time, replaced with --overwrite", async () => {
    await setup;
    const out = join(tmp, "dash");
    let r = await dgptHere([...base(), "--top", "30", "--out", out, "--json", join(tmp, "f.json")]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /read \d+ tokens \(40 windows of 16\)/);
    assert.match(r.out, /and 2 pages of latent cards \(\d+ latents/);
    const index = readFileSync(join(out, "index.html"), "utf8");
    assert.match(index, /Latents by density/);
    assert.match(index, /Feature density/);
    assert.match(index, /href="latents-1\.html#L\d+"/);
    const cards = readFileSync(join(out, "latents-1.html"), "utf8");
    assert.equal((cards.match(/<article class="card"/g) ?? []).length, 25);
    for (const part of ["Top activations", "Samples by activation interval", "Activation histogram", "Logit effects", "promoted", "suppressed"]) assert.ok(cards.includes(part), part);
    assert.match(cards, /<span class="c" style="background:rgba\(240,120,20,[\d.]+\)" title="[^"]+ · [\d.]+"/);
    assert.ok(!/<script/i.test(index + cards), "no scripts");
    const json = JSON.parse(readFileSync(join(tmp, "f.json"), "utf8")) as { density: number[]; latents: { top: FeatureContext[] }[] };
    assert.equal(json.density.length, 60);
    r = await dgptHere([...base(), "--top", "3", "--out", out]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--out .*dash already holds .*index\.html.*add --overwrite/);
    r = await dgptHere([...base(), "--top", "3", "--out", out, "--overwrite"]);
    assert.equal(r.code, 0, r.err);
    assert.ok(!existsSync(join(out, "latents-2.html")), "the old second page is gone");
  });

  test("dashboard: one file with chosen latents; bad flags are named", async () => {
    await setup;
    const file = join(tmp, "one.html");
    let r = await dgptHere([...base(), "--latents", "5,0,7", "--out", file]);
    assert.equal(r.code, 0, r.err);
    const html = readFileSync(file, "utf8");
    assert.deepEqual([...html.matchAll(/<article class="card" id="L(\d+)"/g)].map((m) => m[1]), ["5", "0", "7"]);
    r = await dgptHere([...base(), "--spread", "4", "--out", join(tmp, "spread.html"), "--json", join(tmp, "spread.json")]);
    assert.equal(r.code, 0, r.err);
    // four latents from across the density order: the densest first, then ever rarer ones
    const spread = [...readFileSync(join(tmp, "spread.html"), "utf8").matchAll(/<article class="card" id="L(\d+)"/g)].map((m) => Number(m[1]));
    const density = (JSON.parse(readFileSync(join(tmp, "spread.json"), "utf8")) as { density: number[] }).density;
    assert.equal(spread.length, 4);
    assert.equal(density[spread[0]], Math.max(...density));
    for (let i = 1; i < 4; i++) assert.ok(density[spread[i]] <= density[spread[i - 1]] && density[spread[i]] > 0);
    r = await dgptHere([...base(), "--latents", "5", "--out", file]);
    assert.match(r.err, /one\.html exists already; add --overwrite/);
    const bad = async (args: string[], re: RegExp) => {
      const res = await dgptHere(args);
      assert.equal(res.code, 1, res.out);
      assert.match(res.err, re);
    };
    await bad([...base(), "--latents", "3,60", "--out", join(tmp, "x.html")], /--latents: 60 is not a latent of this SAE \(its latents are 0 to 59\)/);
    await bad([...base(), "--latents", "3", "--top", "4", "--out", join(tmp, "x.html")], /--latents and --top contradict/);
    await bad([...base(), "--top", "51", "--out", join(tmp, "x.html")], /one page holds at most 50 latent cards/);
    await bad(["sae", "dashboard", "--sae", join(tmp, "sae-nohook"), "--model", modelDir, "--data", data, "--out", join(tmp, "y")], /--sae .*sae-nohook does not fit --model .*: unknown hook point "blocks\.4\.hook_resid_post"/);
    await bad(["sae", "dashboard", "--sae", join(tmp, "sae-wide"), "--model", modelDir, "--data", data, "--out", join(tmp, "y")], /does not fit --model .*: the SAE reads d_in = 32 numbers per position, but blocks\.1\.hook_resid_post gives 16/);
  });

  test("steer prints the generations before and after and the next-token effect", async () => {
    await setup;
    const steer = ["sae", "steer", "--sae", saeDir, "--model", modelDir, "--latent", "3", "--prompt", "First Citizen:\n", "--max-tokens", "12", "--seed", "1"];
    let r = await dgptHere([...steer, "--alpha", "8", "--json", join(tmp, "steer.json")]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /add 8 × W_dec\[3\]/);
    assert.match(r.out, /next token after the prompt: KL [\d.]+ nats/);
    assert.match(r.out, /--- before \(seed 1, temperature 0\.8\) ---\nFirst Citizen:\n/);
    assert.match(r.out, /--- after \(add 8\) ---\nFirst Citizen:\n/);
    const j = JSON.parse(readFileSync(join(tmp, "steer.json"), "utf8")) as { before: { tokens: number[] }; after: { tokens: number[] }; nextToken: { kl: number } };
    assert.equal(j.before.tokens.length, 12);
    assert.ok(j.nextToken.kl > 0);
    r = await dgptHere([...steer, "--mode", "ablate"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /ablate latent 3 \(set it to 0, the SAE's error term kept\)/);
    const bad = async (args: string[], re: RegExp) => {
      const res = await dgptHere([...steer, ...args]);
      assert.equal(res.code, 1, res.out);
      assert.match(res.err, re);
    };
    await bad(["--latent", "60", "--alpha", "1"], /--latent 60: the SAE has latents 0 to 59/);
    await bad(["--mode", "clamp"], /--mode clamp needs --alpha/);
    await bad(["--mode", "ablate", "--alpha", "2"], /--alpha has no meaning with --mode ablate/);
    await bad(["--mode", "double", "--alpha", "2"], /--mode must be one of add, ablate, clamp/);
    await bad(["--alpha", "2", "--positions", "1,x"], /--positions: expected comma-separated token positions \(integers ≥ 0\), got "1,x"/);
  });
});
