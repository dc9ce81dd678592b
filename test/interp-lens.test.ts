// Lenses and the `dgpt interp` commands: the logit lens reads each layer through ln_final and the
// unembedding (its last row is the model's output); a tuned lens trained briefly on Shakespeare
// is closer to the final distribution than the logit lens on held-out text; tuned lenses save and
// load; `dgpt interp lens | train-lens | attention | dla` write HTML pages and JSON.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { Command } from "commander";
import { registerInterpCommands } from "../src/cli/interp.js";
import { attentionPageBytes } from "../src/cli/pages/attention.js";
import { getBatch } from "../src/data/batch.js";
import { lensKL, lensLogits, loadTunedLens, logitLens, saveTunedLens, trainTunedLens, TunedLens, tunedLensLogits } from "../src/interp/lens.js";
import { Generator, HookedTransformer, NANOGPT_CPU_TRAIN, Trainer, noGrad, saveModelDir, textBatches, tokenizers } from "../src/node.js";
import { serializeTokenizer } from "../src/tokenizers/load.js";
import { maxAbsDiff, values } from "./tensor-compare.js";

const SHAKESPEARE = fileURLToPath(new URL("../../shared/data/tinyshakespeare.txt", import.meta.url));
const haveData = existsSync(SHAKESPEARE);
const text = haveData ? readFileSync(SHAKESPEARE, "utf8").slice(0, 200_000) : "";
const tmp = mkdtempSync(join(tmpdir(), "dgpt-interp-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A 4-layer character model trained for 100 steps on the first 180k characters. */
function trainedModel(): { model: HookedTransformer; tok: tokenizers.CharTokenizer; ids: Int32Array } {
  const tok = tokenizers.CharTokenizer.fromText(text);
  const ids = Int32Array.from(tok.encode(text));
  const model = new HookedTransformer({ n_layers: 4, d_model: 48, n_heads: 4, n_ctx: 32, d_vocab: tok.vocabSize, seed: 3 });
  const trainer = new Trainer(model, textBatches(ids.subarray(0, 180_000), { batchSize: 16, blockSize: 32 }), { ...NANOGPT_CPU_TRAIN, maxIters: 100, lrDecayIters: 100, warmupIters: 20, lr: 3e-3, seed: 1 });
  for (let i = 0; i < 100; i++) trainer.trainStep();
  model.eval();
  return { model, tok, ids };
}

describe("logit lens and tuned lens", { skip: !haveData && "no ../shared/data/tinyshakespeare.txt" }, () => {
  let model: HookedTransformer;
  let tok: tokenizers.CharTokenizer;
  let ids: Int32Array;
  before(() => ({ model, tok, ids } = trainedModel()));

  test("the logit lens reads each layer through ln_final and W_U; its last row is the model's output", () => {
    const prompt = tok.encode("ROMEO:\nWhat light through yonder");
    const { logits, cache } = model.runWithCache([prompt]);
    const lens = lensLogits(model, cache); // (layers + 1, 1, p, v)
    assert.deepEqual(lens.shape, [5, 1, prompt.length, tok.vocabSize]);
    assert.ok(maxAbsDiff(lens.select(0, 4), logits) < 1e-4);
    // layer l's row = the model's last step (ln_final, unembed) run on resid_pre[l]
    const viaForward = noGrad(() => model.forward(cache.get("resid_pre", 2), { startAtLayer: 4 }));
    assert.ok(maxAbsDiff(lens.select(0, 2), viaForward) < 1e-4);

    const r = logitLens(model, prompt, { k: 3 });
    assert.deepEqual(r.labels, ["0_pre", "1_pre", "2_pre", "3_pre", "final_post"]);
    assert.equal(r.targets.at(-1), null);
    const final = values(logits.select(0, 0).softmax(-1));
    const V = tok.vocabSize;
    for (let i = 0; i < prompt.length; i++) {
      const row = final.slice(i * V, (i + 1) * V);
      const order = row.map((p, t) => [p, t]).sort((a, b) => b[0] - a[0]);
      assert.deepEqual(r.topTokens[4][i], order.slice(0, 3).map(([, t]) => t));
      assert.ok(Math.abs(r.topProbs[4][i][0] - order[0][0]) < 1e-5);
      assert.ok(Math.abs(r.kl[4][i]) < 1e-5, "KL of the output to itself is 0");
      if (i + 1 < prompt.length) {
        const t = prompt[i + 1];
        assert.ok(Math.abs(r.targetProb[4][i] - row[t]) < 1e-5);
        assert.equal(r.targetRank[4][i], row.filter((p) => p > row[t]).length);
      }
    }
    // the same from a cache without its batch dimension
    const one = model.runWithCache([prompt], { removeBatchDim: true }).cache;
    assert.deepEqual(logitLens(model, prompt, { k: 3, cache: one }).topTokens, r.topTokens);
    // the model's own prediction sharpens with depth: the next character's rank improves on average
    const meanRank = (l: number) => r.targetRank[l].slice(0, -1).reduce((s, v) => s + v, 0);
    assert.ok(meanRank(4) < meanRank(0), `rank sum ${meanRank(4)} at the output vs ${meanRank(0)} at the embedding`);
  });

  test("a tuned lens trained briefly beats the logit lens on held-out text, and saves and loads", () => {
    const weights = model.stateDict();
    const copy = Object.fromEntries(Object.entries(weights).map(([k, t]) => [k, t.clone()]));
    const { lens, losses } = trainTunedLens(model, ids.subarray(0, 180_000), { steps: 60, lr: 3e-3, batchSize: 8, blockSize: 32, seed: 0 });
    assert.equal(losses.length, 60);
    assert.ok(losses.at(-1)! < losses[0], `training KL ${losses[0]} → ${losses.at(-1)}`);
    for (const p of model.parameters()) assert.ok(p.requiresGrad, "the model's parameters still require grad");
    for (const [k, t] of Object.entries(model.stateDict())) assert.equal(maxAbsDiff(t, copy[k]), 0, `${k} unchanged`);
    const { x } = getBatch(ids.subarray(180_000), 8, 32, new Generator(5));
    const cmp = lensKL(model, x, lens);
    for (const l of [1, 2, 3]) assert.ok(cmp.tunedLens![l] < cmp.logitLens[l], `layer ${l}: tuned ${cmp.tunedLens![l]} vs logit ${cmp.logitLens[l]}`);
    assert.ok(Math.abs(cmp.tunedLens![4]) < 1e-6 && Math.abs(cmp.logitLens[4]) < 1e-6, `final row ${cmp.tunedLens![4]}, ${cmp.logitLens[4]}`);
    // an untrained lens is the logit lens (identity translators)
    const id = lensKL(model, x, TunedLens.forModel(model));
    assert.ok(id.tunedLens!.every((v, i) => Math.abs(v - id.logitLens[i]) < 1e-5), `identity lens ${id.tunedLens} vs logit lens ${id.logitLens}`);
    // save / load round trip (safetensors bytes)
    const bytes = saveTunedLens(lens);
    const back = loadTunedLens(bytes, model);
    assert.ok(maxAbsDiff(tunedLensLogits(model, back, x), tunedLensLogits(model, lens, x)) < 1e-5, "the loaded lens gives the same logits");
    assert.ok(maxAbsDiff(back.translators[2].weight, lens.translators[2].weight) === 0, "and the same weights");
    assert.throws(() => loadTunedLens(bytes, new HookedTransformer({ n_layers: 2, d_model: 48, n_heads: 4, n_ctx: 32, d_vocab: 65 })), /the lens is for d_model 48, 4 layers; the model has 48, 2/);
    assert.throws(() => loadTunedLens(saveTunedLens(lens).slice(0, 50)), /./);
    // the tuned lens table through logitLens
    const r = logitLens(model, tok.encode("First Citizen:"), { lens });
    assert.equal(r.kl.length, 5);
  });
});

// ---------------------------------------------------------------- the CLI
/** Runs `dgpt interp ...` through commander and captures console.log. */
async function dgpt(args: string[]): Promise<{ out: string; err: Error | null }> {
  const program = new Command("dgpt").exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerInterpCommands(program);
  let out = "";
  const log = console.log;
  console.log = (...a: unknown[]) => void (out += a.join(" ") + "\n");
  try {
    await program.parseAsync(args, { from: "user" });
    return { out, err: null };
  } catch (err) {
    return { out, err: err as Error };
  } finally {
    console.log = log;
  }
}

describe("dgpt interp", () => {
  const dir = join(tmp, "model");
  const corpus = "the cat sat on the mat. the dog sat on the log. ".repeat(40);
  const tok = tokenizers.CharTokenizer.fromText(corpus);
  before(async () => {
    const model = new HookedTransformer({ n_layers: 2, d_model: 32, n_heads: 2, n_ctx: 32, d_vocab: tok.vocabSize, seed: 1 });
    await saveModelDir(dir, model);
    writeFileSync(join(dir, "tokenizer.json"), serializeTokenizer(tok));
    writeFileSync(join(tmp, "corpus.txt"), corpus);
  });

  test("lens, train-lens, attention and dla write HTML pages and JSON", async () => {
    const html = (name: string) => readFileSync(join(tmp, name), "utf8");
    const json = (name: string) => JSON.parse(readFileSync(join(tmp, name), "utf8"));
    let r = await dgpt(["interp", "train-lens", "--model", dir, "--data", join(tmp, "corpus.txt"), "--steps", "5", "--out", join(tmp, "lens.safetensors")]);
    assert.equal(r.err, null, r.err?.message);
    assert.match(r.out, /held-out KL/);
    r = await dgpt(["interp", "lens", "--model", dir, "--text", "the cat sat", "--tuned-lens", join(tmp, "lens.safetensors"), "--out", join(tmp, "lens.html"), "--json", join(tmp, "lens.json")]);
    assert.equal(r.err, null, r.err?.message);
    assert.match(html("lens.html"), /^<!DOCTYPE html>[\s\S]*Logit lens[\s\S]*<svg[\s\S]*Tuned lens/);
    const lj = json("lens.json");
    assert.deepEqual(lj.tokenText, [..."the cat sat"]);
    assert.deepEqual(lj.logitLens.labels, ["0_pre", "1_pre", "final_post"]);
    assert.equal(lj.logitLens.topText[2].length, 11);
    assert.equal(lj.logitLens.targetProb[0][10], null, "no next token at the end (NaN → null)");
    assert.ok(lj.tunedLens);
    // the terminal summary: what the last layer reads at the last position, as in the JSON
    assert.match(r.out, /logit lens: the top next token at the last position \(after "t"\)/);
    assert.match(r.out, /tuned lens: the top next token/);
    const finalTop = String(lj.logitLens.topText[2][10][0]).replace(/ /g, "␣");
    assert.match(r.out, new RegExp(`final_post +"${finalTop.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}" +p ${lj.logitLens.topProbs[2][10][0].toFixed(3)}`));
    // an existing page is not replaced without --overwrite
    r = await dgpt(["interp", "lens", "--model", dir, "--text", "the", "--out", join(tmp, "lens.html")]);
    assert.match(r.err?.message ?? "", /--out .*lens\.html exists already; add --overwrite/);
    assert.ok(html("lens.html").includes("Tuned lens"), "the page was kept");
    r = await dgpt(["interp", "lens", "--model", dir, "--text", "the", "--out", join(tmp, "lens.html"), "--overwrite"]);
    assert.equal(r.err, null, r.err?.message);

    r = await dgpt(["interp", "attention", "--model", dir, "--text", "the cat the cat", "--out", join(tmp, "attn.html"), "--json", join(tmp, "attn.json")]);
    assert.equal(r.err, null, r.err?.message);
    assert.equal((html("attn.html").match(/<svg/g) ?? []).length >= 3 + 4, true, "3 score tables + 4 heads");
    const aj = json("attn.json");
    assert.equal(aj.patterns.length, 2);
    assert.equal(aj.patterns[0][1].length, 15);
    assert.equal(aj.scores.induction_head.length, 2);
    const argmax = (grid: number[][]) => grid.flatMap((row, l) => row.map((v, h) => ({ v, name: `L${l}H${h}` }))).sort((a, b) => b.v - a.v)[0];
    const best = argmax(aj.scores.induction_head);
    assert.match(r.out, new RegExp(`induction head +${best.name} ${best.v.toFixed(3)}`), "the summary names the best induction head");

    r = await dgpt(["interp", "dla", "--model", dir, "--text", "the cat sat on the", "--target", "m", "--incorrect", "l", "--out", join(tmp, "dla.html"), "--json", join(tmp, "dla.json")]);
    assert.equal(r.err, null, r.err?.message);
    assert.match(html("dla.html"), /Per component[\s\S]*<svg[\s\S]*Per head/);
    const dj = json("dla.json");
    assert.equal(dj.targetText, "m");
    assert.equal(dj.heads.labels.length, 4);
    const total = dj.components.values.reduce((s: number, v: number) => s + v, 0) + dj.constant;
    assert.ok(Math.abs(total - dj.logit) < 1e-4);
    const largest = dj.components.labels.map((l: string, i: number) => ({ l, v: dj.components.values[i] as number })).sort((a: { v: number }, b: { v: number }) => Math.abs(b.v) - Math.abs(a.v))[0];
    assert.match(r.out, new RegExp(`largest components: ${largest.l} [+−]${Math.abs(largest.v).toFixed(3)}`));

    // patching and circuits: the summary names the metric with its tokens, and the heads
    r = await dgpt(["interp", "patch", "--model", dir, "--clean", "the cat", "--corrupt", "the dog", "--target", "s", "--distractor", "m", "--out", join(tmp, "patch.html"), "--json", join(tmp, "patch.json")]);
    assert.equal(r.err, null, r.err?.message);
    const pj = json("patch.json");
    assert.match(r.out, new RegExp(`metric logit\\("s"\\) − logit\\("m"\\): clean ${pj.results.resid_pre.clean.toFixed(4)}, corrupted ${pj.results.resid_pre.corrupted.toFixed(4)}`));
    assert.match(r.out, /denoising: clean activations into the corrupted run/);
    assert.match(r.out, /resid_pre +L\d pos 6 "t\/g" /, "the differing position, clean/corrupted token");
    r = await dgpt(["interp", "circuits", "--model", dir, "--out", join(tmp, "circuits.html"), "--json", join(tmp, "circuits.json")]);
    assert.equal(r.err, null, r.err?.message);
    const copier = argmax(json("circuits.json").copying.ov);
    assert.match(r.out, new RegExp(`OV copying +${copier.name} ${copier.v.toFixed(3)}`));
    assert.match(r.out, /K-composition +L0H\d → L1H\d/);

    // one token: nothing follows it, the table is coloured by the top token's probability
    r = await dgpt(["interp", "lens", "--model", dir, "--text", "t", "--out", join(tmp, "one.html")]);
    assert.equal(r.err, null, r.err?.message);
    assert.match(html("one.html"), /probability of the top token/);

    // bad input: clear errors
    r = await dgpt(["interp", "dla", "--model", dir, "--text", "the cat", "--target", "mat", "--out", join(tmp, "x.html")]);
    assert.match(r.err?.message ?? "", /--target "mat" is 3 tokens, not one/);
    r = await dgpt(["interp", "lens", "--model", dir, "--text", "a".repeat(40), "--out", join(tmp, "x.html")]);
    assert.match(r.err?.message ?? "", /longer than the model's context n_ctx = 32/);
    r = await dgpt(["interp", "lens", "--model", join(tmp, "nope"), "--text", "a", "--out", join(tmp, "x.html")]);
    assert.match(r.err?.message ?? "", /--model .*nope: no such directory/);
    r = await dgpt(["interp", "attention", "--model", dir, "--tokens", "1,2,x", "--out", join(tmp, "x.html")]);
    assert.match(r.err?.message ?? "", /--tokens: expected comma-separated integers/);
  });

  test("attention: long prompts on a model with many heads, --heads, and a page of bounded size", async () => {
    // 64 heads: the old page held 125 tokens of this model (1M rects in all)
    const wide = join(tmp, "wide");
    const model = new HookedTransformer({ n_layers: 4, d_model: 64, n_heads: 16, n_ctx: 2048, d_vocab: tok.vocabSize, seed: 2 });
    await saveModelDir(wide, model);
    writeFileSync(join(wide, "tokenizer.json"), serializeTokenizer(tok));
    const out = join(tmp, "wide.html");
    // every head's numbers would make a JSON file of ~300 MB: refused, naming the ways out
    let r = await dgpt(["interp", "attention", "--model", wide, "--text", corpus.slice(0, 400), "--out", out, "--json", join(tmp, "wide.json")]);
    assert.match(r.err?.message ?? "", /^--json: writing 64 heads' 400 × 400 patterns as numbers is 10,240,000 values, more than the 4,000,000 .*--heads \(at most 25 at 400 tokens\), use a shorter prompt \(at most 250 tokens for 64 heads\), or leave out --json$/);
    r = await dgpt(["interp", "attention", "--model", wide, "--text", corpus.slice(0, 400), "--out", out]);
    assert.equal(r.err, null, r.err?.message);
    const page = readFileSync(out, "utf8");
    assert.equal((page.match(/<section id="L\dH\d+"/g) ?? []).length, 64, "a card per head");
    assert.equal((page.match(/<image /g) ?? []).length, 64 + 64, "64 thumbnails and 64 cards, each one image");
    assert.ok(page.length <= attentionPageBytes(400, 64, 64) && page.length < 30e6, `${page.length} bytes`);
    // --heads: the JSON has only those heads' patterns
    r = await dgpt(["interp", "attention", "--model", wide, "--text", corpus.slice(0, 400), "--heads", "3.2,1.15", "--out", join(tmp, "two.html"), "--json", join(tmp, "two.json")]);
    assert.equal(r.err, null, r.err?.message);
    const wj = JSON.parse(readFileSync(join(tmp, "two.json"), "utf8"));
    assert.deepEqual(wj.heads, [[1, 15], [3, 2]]);
    assert.equal(wj.patterns[0][0], null);
    assert.equal(wj.patterns[3][2].length, 400);
    assert.ok(Math.abs(wj.patterns[3][2][399].reduce((a: number, b: number) => a + b, 0) - 1) < 1e-4, "a row of attention sums to 1");
    assert.equal(wj.scores.induction_head[0].length, 16, "scores for every head");

    // too long for every head: the error names both ways out, with numbers
    const long = corpus.repeat(2).slice(0, 1900);
    r = await dgpt(["interp", "attention", "--model", wide, "--text", long, "--out", join(tmp, "long.html")]);
    assert.match(r.err?.message ?? "", /^--text: the prompt is 1900 tokens; drawing 64 heads as 1900 × 1900 grids makes a page of about \d+ MB, more than the 30 MB it may have\. Use a shorter prompt \(at most \d+ tokens for 64 heads\) or fewer heads with --heads \(at most \d+ at 1900 tokens/);
    // --heads: a few heads of the same prompt
    r = await dgpt(["interp", "attention", "--model", wide, "--text", long, "--heads", "3.2,1.15", "--out", join(tmp, "long.html")]);
    assert.equal(r.err, null, r.err?.message);
    const longPage = readFileSync(join(tmp, "long.html"), "utf8");
    assert.deepEqual([...longPage.matchAll(/<section id="(L\dH\d+)"/g)].map((m) => m[1]), ["L1H15", "L3H2"]);
    assert.match(longPage, /<title>1900 × 1900 cells drawn as one image/);
    assert.ok(longPage.length <= attentionPageBytes(1900, 2, 64), `${longPage.length} bytes`);
    // bad --heads: clear errors before any work
    r = await dgpt(["interp", "attention", "--model", wide, "--text", "the cat", "--heads", "1,x", "--out", join(tmp, "x.html")]);
    assert.match(r.err?.message ?? "", /--heads: "x" in "1,x" is not a layer \(5\) or a layer\.head pair \(9\.6\)/);
    r = await dgpt(["interp", "attention", "--model", wide, "--text", "the cat", "--heads", "4", "--out", join(tmp, "x.html")]);
    assert.match(r.err?.message ?? "", /--heads: 4: there is no layer 4; the model has layers 0 to 3/);
  });
});
