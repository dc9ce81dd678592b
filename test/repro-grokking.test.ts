// `dgpt repro grokking` (issue 17) scaled down: the Fourier analysis on grids whose spectrum is
// known by construction, a tiny training run of both arms, and the CLI end to end with a bad flag.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import "../src/node.js";
import { dgptHere } from "./dgpt-here.js";
import { excludedLogits, fourierBasis, frequencyNorms, gridLossAccuracy, logitFourierNorms2d, restrictedLogits, sumFrequencyNorms } from "../src/interp/fourier.js";
import { firstStep, GROKKING_QUICK, keyFrequencies, trainGrokking } from "../src/experiments/grokking.js";

const dir = mkdtempSync(join(tmpdir(), "dgpt-grok-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const p = 11;
const w = (k: number) => (2 * Math.PI * k) / p;
/** A logits grid from a formula f(a, b, c). */
const grid = (f: (a: number, b: number, c: number) => number) => {
  const g = new Float32Array(p * p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) for (let c = 0; c < p; c++) g[(a * p + b) * p + c] = f(a, b, c);
  return g;
};
/** The Fourier circuit's logits: Σ_k cos(w_k(a + b − c)) over frequencies 2 and 4. */
const circuit = (a: number, b: number, c: number) => 3 * Math.cos(w(2) * (a + b - c)) + 2 * Math.cos(w(4) * (a + b - c));
/** A part that is no function of a + b alone ("memorisation"), and an offset per answer. */
const other = (a: number, b: number, c: number) => Math.sin(w(1) * a) * (c % 3) + 0.5 * Math.cos(w(3) * (a - b)) + 0.1 * c;

describe("Fourier analysis mod p", () => {
  test("the basis is orthonormal", () => {
    const { rows, names } = fourierBasis(p);
    assert.equal(rows.length, p);
    assert.deepEqual(names.slice(0, 3), ["const", "cos 1", "sin 1"]);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
      const dot = rows[i].reduce((s, v, x) => s + v * rows[j][x], 0);
      assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-12, `row ${i} · row ${j} = ${dot}`);
    }
    assert.throws(() => fourierBasis(12), /odd p/);
  });

  test("frequencyNorms finds the one frequency a matrix is made of, with its norm", () => {
    const v = [1, -2, 2]; // ‖v‖ = 3
    const M = new Float64Array(p * 3);
    for (let x = 0; x < p; x++) for (let j = 0; j < 3; j++) M[x * 3 + j] = Math.cos(w(4) * x + 0.3) * v[j];
    const { constant, norms } = frequencyNorms(M, p, 3);
    assert.ok(constant < 1e-9);
    // ‖cos(w x + φ)‖ over x = √(p/2), so the component's norm is √(p/2)·‖v‖
    assert.ok(Math.abs(norms[3] - Math.sqrt(p / 2) * 3) < 1e-9, String(norms[3]));
    norms.forEach((n, i) => i !== 3 && assert.ok(n < 1e-9, `frequency ${i + 1}: ${n}`));
  });

  test("the (a+b) spectrum, key frequencies, restricted and excluded logits of a known grid", () => {
    const L = grid((a, b, c) => circuit(a, b, c) + other(a, b, c));
    const norms = sumFrequencyNorms(L, p);
    // cos(w(a+b−c)) = cos(w(a+b))cos(wc) + sin(w(a+b))sin(wc): along the unit (a+b) directions
    // its coefficients are (p/√2)·(cos w c, sin w c), of norm (p/√2)·√p over c, per unit of amplitude
    assert.ok(Math.abs(norms[1] - (3 * p ** 1.5) / Math.SQRT2) < 1e-3, String(norms[1]));
    assert.ok(Math.abs(norms[3] - (2 * p ** 1.5) / Math.SQRT2) < 1e-3, String(norms[3]));
    for (const k of [1, 3, 5]) assert.ok(norms[k - 1] < 1e-3, `frequency ${k}: ${norms[k - 1]}`);
    assert.deepEqual(keyFrequencies(L, p), [2, 4]);
    // excluded: the circuit is gone, the rest untouched
    const ex = excludedLogits(L, p, [2, 4]);
    const wantEx = grid(other);
    ex.forEach((v, i) => assert.ok(Math.abs(v - wantEx[i]) < 1e-4, `excluded[${i}] = ${v}, want ${wantEx[i]}`));
    // restricted: the circuit plus each answer's mean logit (here the mean of `other` over a, b is 0.1·c)
    const re = restrictedLogits(L, p, [2, 4]);
    const wantRe = grid((a, b, c) => circuit(a, b, c) + 0.1 * c);
    re.forEach((v, i) => assert.ok(Math.abs(v - wantRe[i]) < 1e-4, `restricted[${i}] = ${v}, want ${wantRe[i]}`));
    assert.throws(() => restrictedLogits(L, p, [6]), /1 … 5/);
  });

  test("the 2-D Fourier norms: four bright terms per frequency, and Parseval", () => {
    const L = grid((a, b, c) => Math.cos(w(3) * (a + b - c)));
    const n2 = logitFourierNorms2d(L, p);
    const total = L.reduce((s, v) => s + v * v, 0);
    const sum = n2.reduce((s, v) => s + v * v, 0);
    assert.ok(Math.abs(sum - total) < 1e-6 * total, `Σ‖·‖² ${sum} vs ‖L‖² ${total}`);
    const bright = [5, 6]; // rows "cos 3", "sin 3"
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
      const on = bright.includes(i) && bright.includes(j);
      assert.ok(on ? n2[i * p + j] > 1 : n2[i * p + j] < 1e-6, `(${i}, ${j}): ${n2[i * p + j]}`);
    }
  });

  test("gridLossAccuracy: cross-entropy and argmax on the chosen rows", () => {
    const L = grid((a, b, c) => (c === (a + b) % p ? Math.log(3) : 0));
    const inputs = [0, 5, 17];
    const right = gridLossAccuracy(L, p, inputs, inputs.map((i) => (Math.floor(i / p) + (i % p)) % p));
    // softmax of the answer: 3 / (3 + p − 1)
    assert.ok(Math.abs(right.loss + Math.log(3 / (p + 2))) < 1e-6);
    assert.equal(right.accuracy, 1);
    const wrong = gridLossAccuracy(L, p, inputs, inputs.map((i) => (Math.floor(i / p) + (i % p) + 1) % p));
    assert.equal(wrong.accuracy, 0);
  });
});

describe("training (tiny)", () => {
  test("both arms memorise; weight decay keeps the weights smaller; snapshots and milestones", () => {
    const tiny = { ...GROKKING_QUICK, p: 13, trainFrac: 0.5, dModel: 32, nHeads: 4, dMlp: 64, initStd: 1 / Math.sqrt(32), lr: 1e-2, steps: 120, evalEvery: 10, snapshotEvery: 40 };
    const wd = trainGrokking(tiny);
    const no = trainGrokking({ ...tiny, weightDecay: 0, snapshotEvery: 0 });
    assert.equal(wd.train.inputs.length + wd.test.inputs.length, 13 * 13);
    assert.deepEqual(wd.snapshots.map((s) => s.step), [0, 40, 80, 120]);
    assert.equal(no.snapshots.length, 0);
    assert.deepEqual(wd.history.map((h) => h.step).slice(0, 3), [0, 10, 20]);
    for (const run of [wd, no]) {
      assert.ok(run.history[0].trainAcc < 0.3, "an untrained model is near chance");
      assert.ok(firstStep(run.history, (h) => h.trainAcc, 0.9) !== null, `the training set is memorised: ${JSON.stringify(run.history.at(-1))}`);
    }
    assert.ok(wd.history.at(-1)!.weightNormSq < no.history.at(-1)!.weightNormSq, "weight decay shrinks Σ‖θ‖²");
    // the same split and the same initial weights in both arms
    assert.deepEqual([...wd.train.inputs], [...no.train.inputs]);
    assert.equal(wd.history[0].weightNormSq, no.history[0].weightNormSq);
  });
});

describe("dgpt repro grokking", () => {
  test("runs end to end on tiny settings and writes the report and the JSON", async () => {
    const out = join(dir, "g.html");
    const json = join(dir, "g.json");
    const r = await dgptHere(["repro", "grokking", "--p", "11", "--steps", "40", "--train-frac", "0.5", "--out", out, "--json", json]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /checks pass/);
    const rec = JSON.parse(readFileSync(json, "utf8"));
    assert.equal(rec.name, "grokking");
    assert.equal(rec.settings.p, 11);
    assert.equal(rec.checks.length, 8);
    assert.equal(rec.data.withWeightDecay.history.at(-1).step, 40);
    assert.equal(rec.data.embedNorms.length, 5);
    const html = readFileSync(out, "utf8");
    for (const h of ["The embedding in the Fourier basis", "restricted and excluded loss", "Total sum of squared weights"]) assert.ok(html.includes(h), h);
  });

  test("a bad flag is an error that names it, and writes nothing", async () => {
    for (const [flag, value] of [["--p", "12"], ["--train-frac", "1.5"], ["--steps", "0"], ["--lr", "abc"]]) {
      const out = join(dir, `bad${flag}.html`);
      const r = await dgptHere(["repro", "grokking", flag, value, "--out", out, "--json", join(dir, "bad.json")]);
      assert.notEqual(r.code, 0);
      assert.ok(r.err.includes(flag), `${flag} ${value}: ${r.err}`);
      assert.equal(existsSync(out), false);
    }
  });
});
