// Steering: ActAdd adds exactly its difference vector at the right positions, CAA is the mean
// difference computed by hand, directional ablation leaves the stream orthogonal to r̂ and equals
// weight orthogonalisation, c = 0 changes nothing, hooks never outlive their run, cached and
// uncached steered generation agree, the sweep fills its grid, and the CLI runs and names bad input.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { noGrad, tensor, type Tensor } from "../src/index.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { generate } from "../src/models/gpt/generate.js";
import { Generator } from "../src/tensor/random.js";
import { actAddVector, caaVector, residualAt } from "../src/steer/vectors.js";
import { generateSteered, steeredLogits, withSteering, type Steering } from "../src/steer/steer.js";
import { orthogonalizeWeights, projectOut } from "../src/steer/ablate.js";
import { meanLoss, meanStderr, steeringSweep } from "../src/steer/sweep.js";
import { parsePairs, formatPairs, SENTIMENT_PAIRS } from "../src/steer/pairs.js";
import { dgptHere } from "./dgpt-here.js";

const D = 16;
const tiny = (extra: Record<string, unknown> = {}) => new HookedTransformer({ n_layers: 3, d_model: D, n_heads: 2, d_vocab: 11, n_ctx: 24, seed: 3, ...extra });
const rows = (t: Tensor): number[][] => {
  const [p, d] = t.shape;
  const a = Array.from(t.dataSync());
  return Array.from({ length: p }, (_, i) => a.slice(i * d, (i + 1) * d));
};
/** The cached activation at a hook for one sequence, (p, d), with a steering on (null: clean). */
const residWith = (model: HookedTransformer, tokens: number[], hook: string, steering: Steering | Steering[] | null) => noGrad(() => withSteering(model, steering, (m) => m.runWithCache([tokens], { namesFilter: [hook] }).cache.get(hook)!.select(0, 0)));
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));
const noHooksLeft = (m: HookedTransformer) => [...m.hookPoints().values()].every((hp) => !hp.hasHooks);

describe("steering vectors", () => {
  test("ActAdd: v = resid_pre(plus) − resid_pre(minus), the shorter padded at its end; c·v[j] lands on position j only", () => {
    const model = tiny();
    const hook = "blocks.1.hook_resid_pre";
    const full = (ids: number[]) => rows(noGrad(() => model.runWithCache([ids]).cache.get(hook)!.select(0, 0)));
    const v = actAddVector(model, [1, 2, 3], [4], 1, { padToken: 0 });
    assert.deepEqual(v.shape, [3, D]);
    const [hp, hm] = [full([1, 2, 3]), full([4, 0, 0])];
    const byHand = hp.map((r, i) => r.map((x, j) => x - hm[i][j]));
    assert.ok(maxAbsDiff(v.dataSync(), byHand.flat()) < 1e-6);
    assert.throws(() => actAddVector(model, [1, 2], [3], 1), /give a padToken/);
    assert.throws(() => actAddVector(model, [], [3], 1), /plus prompt has no tokens/);
    assert.throws(() => actAddVector(model, [1], [3], 3), /layer 3 is out of range: the model has layers 0 to 2 \(n_layers = 3\)/);

    const prompt = [5, 6, 7, 8, 9];
    const coef = 2.5;
    const clean = rows(residWith(model, prompt, hook, null));
    const steered = rows(residWith(model, prompt, hook, { kind: "add", layer: 1, vector: v, coef }));
    const vr = rows(v);
    for (let t = 0; t < prompt.length; t++) {
      const expected = clean[t].map((x, j) => x + (t < 3 ? coef * vr[t][j] : 0));
      assert.ok(maxAbsDiff(steered[t], expected) < 1e-5, `position ${t}`);
    }
    // a layer before the addition is untouched; one after it changes
    assert.ok(maxAbsDiff(residWith(model, prompt, "blocks.0.hook_resid_post", { kind: "add", layer: 1, vector: v, coef }).dataSync(), residWith(model, prompt, "blocks.0.hook_resid_post", null).dataSync()) === 0);
    assert.ok(maxAbsDiff(residWith(model, prompt, "blocks.2.hook_resid_pre", { kind: "add", layer: 1, vector: v, coef }).dataSync(), residWith(model, prompt, "blocks.2.hook_resid_pre", null).dataSync()) > 1e-3);
  });

  test("a (d) vector goes to every position ≥ start", () => {
    const model = tiny();
    const hook = "blocks.2.hook_resid_pre";
    const v = tensor(Array.from({ length: D }, (_, i) => Math.sin(i)));
    const prompt = [1, 2, 3, 4];
    const clean = rows(residWith(model, prompt, hook, null));
    const steered = rows(residWith(model, prompt, hook, { kind: "add", layer: 2, vector: v, coef: -3, start: 2 }));
    const vd = Array.from(v.dataSync());
    for (let t = 0; t < 4; t++) assert.ok(maxAbsDiff(steered[t], clean[t].map((x, j) => x + (t >= 2 ? -3 * vd[j] : 0))) < 1e-5, `position ${t}`);
  });

  test("CAA: the mean over pairs of the last-token (or mean-token) difference, by hand from runWithCache", () => {
    const model = tiny();
    const pairs = [
      { positive: [1, 2, 3], negative: [1, 4] },
      { positive: [5], negative: [6, 7, 8, 9] },
      { positive: [2, 2], negative: [3, 3] },
    ];
    const hook = "blocks.2.hook_resid_pre";
    const h = (ids: number[]) => rows(noGrad(() => model.runWithCache([ids]).cache.get(hook)!.select(0, 0)));
    for (const position of ["last", "mean"] as const) {
      const read = (ids: number[]) => {
        const r = h(ids);
        return position === "last" ? r[r.length - 1] : r[0].map((_, j) => r.reduce((a, row) => a + row[j], 0) / r.length);
      };
      const byHand = Array.from({ length: D }, (_, j) => pairs.reduce((a, p) => a + read(p.positive)[j] - read(p.negative)[j], 0) / pairs.length);
      assert.ok(maxAbsDiff(caaVector(model, pairs, 2, { position }).dataSync(), byHand) < 1e-5, position);
    }
    assert.throws(() => caaVector(model, [], 0), /no pairs/);
    assert.throws(() => caaVector(model, [{ positive: [1], negative: [] }], 0), /pair 0 has an empty negative text/);
    assert.deepEqual(residualAt(model, [1, 2], 0).shape, [2, D]);
  });
});

describe("directional ablation", () => {
  const r = tensor(Array.from({ length: D }, (_, i) => Math.cos(1.3 * i) + 0.2));
  const rHat = Array.from(r.dataSync()).map((x, _, a) => x / Math.hypot(...a));
  for (const tie of [true, false]) {
    test(`every residual stream is orthogonal to r̂, and the hooks equal orthogonalised weights (tied embeddings: ${tie})`, () => {
      const model = tiny({ tie_embeddings: tie });
      const prompt = [3, 1, 4, 1, 5, 9, 2, 6];
      const ablate: Steering = { kind: "ablate", direction: r };
      for (let l = 0; l < 3; l++) {
        for (const name of ["resid_pre", "resid_mid", "resid_post"]) {
          const x = rows(residWith(model, prompt, `blocks.${l}.hook_${name}`, ablate));
          const worst = Math.max(...x.map((row) => Math.abs(row.reduce((a, v, j) => a + v * rHat[j], 0)) / Math.hypot(...row)));
          assert.ok(worst < 1e-5, `blocks.${l}.hook_${name}: |x·r̂|/‖x‖ = ${worst}`);
        }
      }
      const before = Array.from(model.embed.W_E.dataSync());
      const ortho = orthogonalizeWeights(model, r);
      assert.deepEqual(Array.from(model.embed.W_E.dataSync()), before, "the original model is left as it was");
      const hooked = steeredLogits(model, [prompt], ablate).dataSync();
      const weights = noGrad(() => ortho.forward([prompt]).dataSync());
      assert.ok(maxAbsDiff(hooked, weights) < 1e-4, `logits differ by ${maxAbsDiff(hooked, weights)}`);
      // and the ablation does something
      assert.ok(maxAbsDiff(hooked, noGrad(() => model.forward([prompt]).dataSync())) > 1e-3);
    });
  }

  test("projectOut: x − (x·r̂)r̂; a bad direction is named", () => {
    const x = tensor([[3, 4, 0]]);
    const e = tensor([0, 1, 0]);
    assert.deepEqual(Array.from(projectOut(x, e).dataSync()), [3, 0, 0]);
    const model = tiny();
    assert.throws(() => steeredLogits(model, [[1]], { kind: "ablate", direction: tensor([1, 2]) }), /d_model = 16 numbers, got shape \[2\]/);
    assert.throws(() => steeredLogits(model, [[1]], { kind: "ablate", direction: tensor(new Array(D).fill(0)) }), /non-zero length/);
  });
});

describe("running with steering", () => {
  test("coefficient 0 changes nothing", () => {
    const model = tiny();
    const v = actAddVector(model, [1, 2], [3, 4], 1);
    const prompt = [[1, 2, 3, 4, 5]];
    const clean = noGrad(() => model.forward(prompt).dataSync());
    assert.deepEqual(Array.from(steeredLogits(model, prompt, { kind: "add", layer: 1, vector: v, coef: 0 }).dataSync()), Array.from(clean));
    assert.deepEqual(generateSteered(model, [1, 2], { kind: "add", layer: 1, vector: v, coef: 0 }, { maxNewTokens: 6, generator: new Generator(4) }), generate(model, [1, 2], { maxNewTokens: 6, generator: new Generator(4) }));
  });

  test("hooks are removed after the run, and after an error in it", () => {
    const model = tiny();
    const v = tensor(new Array(D).fill(1));
    const s: Steering[] = [{ kind: "add", layer: 0, vector: v, coef: 1 }, { kind: "ablate", direction: v }];
    withSteering(model, s, (m) => m.forward([[1, 2]]));
    assert.ok(noHooksLeft(model));
    assert.throws(() => withSteering(model, s, () => {
      throw new Error("boom");
    }), /boom/);
    assert.ok(noHooksLeft(model));
    assert.throws(() => generateSteered(model, [1], s, { maxNewTokens: 2, topK: -1 }), /topK must be a positive integer/);
    assert.ok(noHooksLeft(model));
    // a bad steering is refused before any hook is attached
    assert.throws(() => withSteering(model, [{ kind: "add", layer: 0, vector: v, coef: 1 }, { kind: "add", layer: 7, vector: v, coef: 1 }], (m) => m.forward([[1]])), /layer 7 is out of range/);
    assert.ok(noHooksLeft(model));
    assert.throws(() => withSteering(model, { kind: "add", layer: 0, vector: tensor([1, 2]), coef: 1 }, (m) => m.forward([[1]])), /must be \(d_model = 16\) or \(positions, 16\)/);
    assert.throws(() => withSteering(model, { kind: "add", layer: 0, vector: v, coef: NaN }, (m) => m.forward([[1]])), /finite number/);
  });

  test("steered generation with the KV cache equals generation without it (ActAdd past the prompt, CAA from the prompt's end, ablation)", () => {
    const model = tiny();
    const prompt = [2, 7];
    const v4 = actAddVector(model, [1, 2, 3, 4], [5, 6, 7, 8], 1); // 4 rows: 2 on the prompt, 2 on generated tokens
    const caa = caaVector(model, [{ positive: [1, 2], negative: [3, 4] }], 2);
    const cases: Steering[] = [
      { kind: "add", layer: 1, vector: v4, coef: 6 },
      { kind: "add", layer: 2, vector: caa, coef: 8, start: prompt.length - 1 },
      { kind: "ablate", direction: caa },
    ];
    const plain = generate(model, prompt, { maxNewTokens: 12, temperature: 0 });
    for (const [i, s] of cases.entries()) {
      for (const opts of [{ temperature: 0 }, { temperature: 1 }]) {
        const cached = generateSteered(model, prompt, s, { ...opts, maxNewTokens: 12, generator: new Generator(i) });
        const uncached = generateSteered(model, prompt, s, { ...opts, maxNewTokens: 12, useCache: false, generator: new Generator(i) });
        assert.deepEqual(cached, uncached, `case ${i}, temperature ${opts.temperature}`);
      }
      assert.notDeepEqual(generateSteered(model, prompt, s, { maxNewTokens: 12, temperature: 0 }), plain, `case ${i} steers`);
    }
    assert.ok(noHooksLeft(model));
  });
});

describe("sweep", () => {
  test("the grid of layers × coefficients with finite effects and costs; c = 0 is the clean model", () => {
    const model = tiny();
    const windows = [[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1], [7, 8, 9, 10, 1, 2]];
    const cells: number[] = [];
    const r = steeringSweep(model, {
      layers: [0, 2],
      coefs: [-4, 0, 4],
      vectorAt: (l) => actAddVector(model, [1, 2], [3, 4], l),
      prompts: [[1], [2, 3]],
      samples: 3,
      score: (ids) => ids.filter((t) => t === 5).length,
      lossWindows: windows,
      generate: { maxNewTokens: 5 },
      onCell: (d) => cells.push(d),
    });
    assert.deepEqual([r.layers, r.coefs, r.cells.length, r.cells[0].length], [[0, 2], [-4, 0, 4], 2, 3]);
    assert.deepEqual(cells, [1, 2, 3, 4, 5, 6]);
    for (const c of r.cells.flat()) for (const x of [c.effect.mean, c.effect.stderr, c.loss, c.cost]) assert.ok(Number.isFinite(x));
    assert.equal(r.cells[1][1].cost, 0);
    assert.deepEqual(r.cells[0][1].effect, r.clean.effect);
    assert.deepEqual(r.cells[0][1].shift, { mean: 0, stderr: 0, n: 3 });
    for (const c of r.cells.flat()) assert.ok(Math.abs(c.shift.mean - (c.effect.mean - r.clean.effect.mean)) < 1e-12, "the paired change averages to the change of the means");
    assert.ok(Math.abs(r.clean.loss - meanLoss(model, windows, null)) < 1e-6);
    assert.ok(r.cells[1][2].cost !== 0, "steering changes the loss");
    assert.equal(r.clean.samples.length, 3);
    assert.ok(r.vectorNorm.every((x) => x > 0) && r.residNorm.every((x) => x > 0));
    assert.throws(() => steeringSweep(model, { layers: [5], coefs: [1], vectorAt: () => tensor([1]), prompts: [[1]], score: () => 0, lossWindows: windows }), /layer 5 is out of range/);
  });

  test("meanStderr", () => {
    const s = meanStderr([1, 2, 3, 4]);
    assert.equal(s.mean, 2.5);
    assert.ok(Math.abs(s.stderr - Math.sqrt(5 / 3 / 4)) < 1e-12);
    assert.deepEqual(meanStderr([7]), { mean: 7, stderr: 0, n: 1 });
  });
});

describe("pairs files", () => {
  test("parsed with line numbers; formatPairs round-trips; the built-in set is there", () => {
    assert.deepEqual(parsePairs('{"positive": "a", "negative": "b"}\n\n{"positive":"c","negative":"d"}\n'), [{ positive: "a", negative: "b" }, { positive: "c", negative: "d" }]);
    assert.throws(() => parsePairs('{"positive": "a", "negative": "b"}\n{"positive": "a"}', "p.jsonl"), /p\.jsonl line 2: "negative" is missing/);
    assert.throws(() => parsePairs('{"positive": "a", "negative": ""}', "p.jsonl"), /line 1: "negative" must be a non-empty string/);
    assert.throws(() => parsePairs("\n[1, 2]", "p.jsonl"), /line 2: expected an object/);
    assert.throws(() => parsePairs("{oops", "p.jsonl"), /line 1: not JSON/);
    assert.throws(() => parsePairs("\n\n", "p.jsonl"), /no pairs/);
    assert.deepEqual(parsePairs(formatPairs(SENTIMENT_PAIRS)), SENTIMENT_PAIRS);
  });
});

const SHAKESPEARE = fileURLToPath(new URL("../../shared/data/tinyshakespeare.txt", import.meta.url));

describe("dgpt steer", { timeout: 120_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), "dgpt-steer-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const data = join(tmp, "text.txt");
  writeFileSync(data, readFileSync(SHAKESPEARE, "utf8").slice(0, 20_000));
  const model = join(tmp, "model");
  const gen = ["--max-tokens", "6", "--samples", "2"];

  test("actadd, caa, ablate and sweep on a small trained model", async () => {
    let r = await dgptHere(["train", "--preset", "char-small", "--data", data, "--n-layers", "2", "--d-model", "32", "--n-heads", "2", "--block-size", "16", "--batch-size", "4", "--steps", "10", "--eval-iters", "1", "--sample", "0", "--out", model]);
    assert.equal(r.code, 0, r.err);
    r = await dgptHere(["steer", "actadd", "--model", model, "--plus", "love", "--minus", "hate", "--layer", "1", "--coef", "4", "--prompt", "ROMEO:", ...gen, "--data", data, "--windows", "2", "--context-size", "16", "--json", join(tmp, "actadd.json")]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /ActAdd at blocks\.1\.hook_resid_pre: 4 × \(h\("love"\) − h\("hate"\)\), added to positions 0–3/);
    assert.match(r.out, /before \(sentiment -?[\d.]+\): "ROMEO:/);
    assert.match(r.out, /loss on 2 held-out windows of 16 tokens: clean [\d.]+, steered [\d.]+ \(cost [+-][\d.]+ nats per token\)/);
    const j = JSON.parse(readFileSync(join(tmp, "actadd.json"), "utf8")) as { generations: unknown[]; loss: { cost: number } };
    assert.equal(j.generations.length, 2);
    assert.ok(Number.isFinite(j.loss.cost));

    const pairs = join(tmp, "pairs.jsonl");
    writeFileSync(pairs, '{"positive": "good", "negative": "bad"}\n{"positive": "I love", "negative": "I hate"}\n');
    r = await dgptHere(["steer", "caa", "--model", model, "--pairs", pairs, "--layer", "0", "--coef", "2", "--positions", "after-prompt", ...gen, "--prompt", "A", "--save", join(tmp, "v.json")]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /CAA at blocks\.0\.hook_resid_pre: 2 × the mean difference over .*pairs\.jsonl/);
    r = await dgptHere(["steer", "ablate", "--model", model, "--direction", join(tmp, "v.json"), "--weights", ...gen, "--prompt", "A"]);
    assert.equal(r.code, 0, r.err);
    const gap = Number(/logit difference between the hooks and the orthogonalised weights on the prompt: (\S+)/.exec(r.out)?.[1]);
    assert.ok(gap < 1e-4, r.out);

    const html = join(tmp, "sweep.html");
    r = await dgptHere(["steer", "sweep", "--model", model, "--pairs", pairs, "--layers", "0-1", "--coefs", "-2,0,2", "--samples", "2", "--max-tokens", "4", "--prompt", "A", "B", "--data", data, "--windows", "2", "--context-size", "16", "--out", html, "--json", join(tmp, "sweep.json")]);
    assert.equal(r.code, 0, r.err);
    const sweep = JSON.parse(readFileSync(join(tmp, "sweep.json"), "utf8")) as { cells: { cost: number }[][]; method: string };
    assert.equal(sweep.method, "caa");
    assert.deepEqual(sweep.cells.map((row) => row.length), [3, 3]);
    assert.match(readFileSync(html, "utf8"), /Effect: change in lexicon sentiment/);
  });

  test("bad input is named", async () => {
    const bad = async (args: string[], re: RegExp) => {
      const r = await dgptHere(["steer", ...args]);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.out}`);
      assert.match(r.err, re);
    };
    const base = ["--model", model, ...gen];
    await bad(["actadd", ...base, "--plus", "a", "--minus", "b", "--layer", "5", "--coef", "1"], /--layer 5 is out of range: the model has layers 0 to 1 \(n_layers = 2\)/);
    await bad(["actadd", ...base, "--plus", "", "--minus", "b", "--layer", "0", "--coef", "1"], /--plus is empty/);
    await bad(["actadd", ...base, "--plus", "a", "--minus", "b", "--layer", "0", "--coef", "lots"], /--coef: expected a number, got "lots"/);
    await bad(["actadd", ...base, "--plus", "a", "--minus", "b", "--layer", "x", "--coef", "1"], /--layer: expected a layer number from 0 to 1/);
    await bad(["actadd", ...base, "--plus", "a", "--minus", "bb", "--layer", "0", "--coef", "1", "--pad", "ab"], /--pad "ab" must be one token/);
    const broken = join(tmp, "broken.jsonl");
    writeFileSync(broken, '{"positive": "a", "negative": "b"}\n{"positive": 3, "negative": "b"}\n');
    await bad(["caa", ...base, "--pairs", broken, "--layer", "0", "--coef", "1"], /broken\.jsonl line 2: "positive" must be a non-empty string/);
    await bad(["ablate", ...base], /give either --direction FILE or --from-pairs/);
    writeFileSync(join(tmp, "short.json"), "[1, 2, 3]");
    await bad(["ablate", ...base, "--direction", join(tmp, "short.json")], /3 numbers, but the model's d_model is 32/);
    await bad(["sweep", "--model", model, "--plus", "a", "--minus", "b", "--layers", "0-4", "--data", data], /--layers: layer 2 is out of range: the model has layers 0 to 1/);
    await bad(["sweep", "--model", model, "--plus", "a", "--minus", "b", "--coefs", "1,x", "--data", data], /--coefs: "x" in "1,x" is not a number/);
    await bad(["sweep", "--model", model, "--plus", "a", "--data", data], /--method actadd needs --plus and --minus/);
  });
});
