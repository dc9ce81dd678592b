// The abacus reproduction at tiny scale: the addition task (format, exact sums of long numbers,
// split, registry), abacus places on its tokens, batched greedy decoding against one-at-a-time
// generation, a short training run that learns, and `dgpt repro abacus` end to end with its
// refusals of bad flags.
import "../src/node.js";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ADDITION_DIGIT_IDS, addDecimal, additionTask, makeTask, parseTaskSpec, randomDigits } from "../src/data/tasks/index.js";
import { additionAccuracyGrid, diagonal, greedyAnswers, trainAdditionModel } from "../src/experiments/addition.js";
import { abacus } from "../src/experiments/repro/abacus.js";
import { generate } from "../src/models/gpt/generate.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { abacusPositions } from "../src/models/gpt/positional.js";
import { Generator } from "../src/tensor/index.js";
import { dgptHere } from "./dgpt-here.js";

const dir = mkdtempSync(join(tmpdir(), "dgpt-abacus-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("the addition task", () => {
  const task = additionTask({ maxDigits: 4 });
  const ids = (s: string) => s.split(" ").map((t) => task.vocab.indexOf(t));

  test("numbers are written least-significant digit first, the sum too, ending with <eos>", () => {
    const e = task.example("123", "4567");
    assert.deepEqual(e.prompt, ids("3 2 1 + 7 6 5 4 ="));
    assert.deepEqual(e.answer, ids("0 9 6 4 <eos>"));
    assert.equal(e.sum, "4690");
    assert.deepEqual(task.example("99", "1").answer, ids("0 0 1 <eos>"));
    assert.deepEqual(ADDITION_DIGIT_IDS, ids("0 1 2 3 4 5 6 7 8 9"));
  });

  test("sums of 100-digit numbers are exact (against BigInt)", () => {
    const gen = new Generator(3);
    for (let k = 0; k < 50; k++) {
      const a = randomDigits(1 + gen.randint(0, 100), gen);
      const b = randomDigits(1 + gen.randint(0, 100), gen);
      assert.equal(addDecimal(a, b), (BigInt(a) + BigInt(b)).toString(), `${a} + ${b}`);
    }
    assert.equal(addDecimal("0", "0"), "0");
    assert.throws(() => addDecimal("12a", "1"), /digit strings/);
  });

  test("operand lengths: 1 … maxDigits in training, exactly (i, j) on the test grid; no leading zeros", () => {
    const lens = new Set<string>();
    for (const e of task.generate(400, 1)) {
      assert.ok(e.a.length >= 1 && e.a.length <= 4 && e.b.length <= 4, `${e.a} + ${e.b}`);
      assert.ok(!/^0\d/.test(e.a) && !/^0\d/.test(e.b));
      assert.ok(e.tokens.length <= task.maxLength);
      lens.add(`${e.a.length},${e.b.length}`);
    }
    assert.equal(lens.size, 16); // every pair of lengths occurs
    for (const e of task.examplesOfLength(9, 3, 20, 5)) assert.deepEqual([e.a.length, e.b.length], [9, 3]);
    assert.equal(task.lengthFor(9), 3 * 9 + 4);
  });

  test("the split is disjoint and the metric is exact match", () => {
    const { train, test: held } = task.split({ nTrain: 300, nTest: 50, seed: 2 });
    const seen = new Set(train.map((e) => `${e.a}+${e.b}`));
    assert.ok(held.every((e) => !seen.has(`${e.a}+${e.b}`)));
    const e = held[0];
    assert.ok(task.evaluate(e.answer, e));
    assert.ok(!task.evaluate(e.answer.slice(0, -1), e)); // no <eos>
    assert.ok(!task.evaluate([...e.answer.slice(0, -1), 3, e.answer.at(-1)!], e));
  });

  test("registered for dgpt train --task, with checked options", () => {
    const t = makeTask("addition", { maxDigits: 3 });
    assert.equal(t.maxLength, 13);
    assert.deepEqual(parseTaskSpec("addition", "maxDigits=7,nTrain=10").options, { maxDigits: 7 });
    assert.throws(() => makeTask("addition", { maxDigits: 0 }), /maxDigits must be an integer/);
    assert.throws(() => makeTask("addition", { digits: 3 }), /has no option "digits"/);
  });

  test("abacus places: 1, 2, 3 … within each number, 0 elsewhere", () => {
    const e = task.example("123", "4567");
    const places = abacusPositions(e.tokens, 1, e.tokens.length, new Set(ADDITION_DIGIT_IDS));
    assert.deepEqual([...places], [1, 2, 3, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0]);
  });
});

describe("addition experiment", () => {
  test("batched greedy decoding gives what one-at-a-time generation gives", () => {
    const task = additionTask({ maxDigits: 4 });
    const eos = task.vocab.indexOf("<eos>");
    for (const positional of ["abacus", "standard"] as const) {
      const model = new HookedTransformer({ n_layers: 2, d_model: 32, n_heads: 2, d_vocab: task.vocab.length, n_ctx: task.lengthFor(4), positional_embedding_type: positional, abacus_digit_ids: [...ADDITION_DIGIT_IDS], abacus_max_digits: 6, initializer_range: 0.5, seed: 4 });
      const prompts = task.examplesOfLength(3, 2, 6, 8).map((e) => e.prompt);
      const batched = greedyAnswers(model, prompts, eos, 5);
      const single = prompts.map((p) => generate(model, p, { maxNewTokens: 5, temperature: 0, stopTokens: [eos] }));
      assert.deepEqual(batched, single, positional);
      assert.ok(new Set(batched.map((a) => a.join())).size > 1, "a random model with large weights answers differently per prompt");
    }
  });

  test("a short abacus run learns 1- and 2-digit addition", () => {
    const r = trainAdditionModel({ positional: "abacus", trainDigits: 2, testDigits: 3, steps: 1000, batchSize: 64, d_model: 32, n_heads: 2, lr: 3e-3, seed: 1 });
    assert.equal(r.maxOffset, 3);
    assert.equal(r.losses.length, 1000);
    const first = r.losses.slice(0, 10).reduce((a, b) => a + b) / 10;
    const last = r.losses.slice(-20).reduce((a, b) => a + b) / 20;
    assert.ok(last < 0.5 * first, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
    const grid = additionAccuracyGrid(r.model, r.task, { maxDigits: 3, perCell: 30, seed: 5, cells: "diagonal" });
    const d = diagonal(grid);
    assert.equal(d.length, 3);
    assert.ok(d.every((x) => x >= 0 && x <= 1));
    assert.ok(Number.isNaN(grid.accuracy[0][1]), "off-diagonal cells are not measured with cells: diagonal");
    assert.ok(d[0] > 0.5 && d[1] > 0.3, `accuracy ${d.join(", ")} (chance is about 0.1 for one digit)`);
  });

  test("run() at tiny scale: the checks, the curves and the figures", async () => {
    const out = await abacus.run({
      full: false,
      seed: 0,
      options: { positions: "standard,abacus", trainDigits: "2", testDigits: "4", steps: "20" },
      progress: () => {},
      log: () => {},
      loadModel: () => Promise.reject(new Error("no model needed")),
    });
    const data = out.data as { lengths: number[]; accuracyByLength: Record<string, number[]>; abacusGrid: number[][] };
    assert.deepEqual(data.lengths, [1, 2, 3, 4]);
    assert.deepEqual(Object.keys(data.accuracyByLength), ["standard", "abacus"]);
    assert.equal(data.abacusGrid.length, 4);
    assert.ok(data.abacusGrid.flat().every((x) => x >= 0 && x <= 1));
    assert.equal(out.checks.length, 6);
    for (const c of out.checks) assert.ok(c.paper && c.tolerance && c.ours, JSON.stringify(c));
    assert.equal(out.sections.filter((s) => s.svg?.startsWith("<svg")).length, 3);
  });
});

describe("dgpt repro abacus", () => {
  test("runs at tiny scale and writes the JSON and the page", async () => {
    const json = join(dir, "a.json");
    const html = join(dir, "a.html");
    const r = await dgptHere(["repro", "abacus", "--positions", "abacus,rotary", "--train-digits", "2", "--test-digits", "3", "--steps", "10", "--json", json, "--out", html]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /checks pass/);
    const rec = JSON.parse(readFileSync(json, "utf8"));
    assert.equal(rec.name, "abacus");
    assert.deepEqual(rec.settings.positionals, ["abacus", "rotary"]);
    assert.equal(rec.data.accuracyByLength.rotary.length, 3);
    assert.ok(existsSync(html) && readFileSync(html, "utf8").includes("Accuracy by operand length"));
  });

  test("bad flags are refused with the flag's name", async () => {
    const cases: [string[], RegExp][] = [
      [["--positions", "learned"], /--positions: "learned" is not one of standard, rotary, abacus, none/],
      [["--positions", "standard,rotary"], /--positions: the comparison needs abacus/],
      [["--train-digits", "4", "--test-digits", "4"], /--test-digits 4: must be more than --train-digits 4/],
      [["--steps", "0"], /--steps: expected an integer ≥ 1, got "0"/],
      [["--max-offset", "x"], /--max-offset: expected an integer ≥ 0/],
    ];
    for (const [flags, re] of cases) {
      const r = await dgptHere(["repro", "abacus", ...flags, "--json", join(dir, "bad.json"), "--out", join(dir, "bad.html")]);
      assert.equal(r.code, 1, flags.join(" "));
      assert.match(r.err, re);
      assert.ok(!existsSync(join(dir, "bad.json")));
    }
  });
});
