// The exercises' checkers. The library's own implementation passes every case of every exercise;
// each planted mistake (exercise-mistakes.ts) fails, first at the case meant to catch it, with a
// message and the inputs that broke it; a candidate that is missing, not a function, throws,
// returns a Promise or the wrong type gets a plain failed verdict; the χ² test behind the
// stochastic exercise gives textbook p-values; a solution file is graded in a worker (a missing
// export, a throw while loading, process.exit are plain verdicts there too; a passing file goes
// through the same path in cli-exercise.test.ts).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { transformSync } from "esbuild";
import { EXERCISES, exerciseByName, firstFailure, grade, starterSource } from "../src/exercises/index.js";
import { checkFile, compileSolution } from "../src/exercises/load.node.js";
import { chiSquareTest } from "../src/exercises/stats.js";
import { tensor, type Tensor } from "../src/index.js";
import { PLANTED } from "./exercise-mistakes.js";

describe("every exercise: the reference passes, the planted mistakes are caught", () => {
  for (const ex of EXERCISES) {
    test(`${ex.name}: the library's own implementation passes all ${ex.cases.length} cases`, () => {
      const v = grade(ex, ex.reference);
      const failed = v.cases.filter((c) => !c.ok).map((c) => `${c.name}: ${c.message}`);
      assert.deepEqual(failed, []);
      assert.equal(v.passed, true);
      assert.equal(v.cases.length, ex.cases.length);
    });
    const planted = PLANTED[ex.name] ?? [];
    test(`${ex.name}: at least two planted mistakes`, () => assert.ok(planted.length >= 2, `${planted.length} planted`));
    for (const p of planted) {
      test(`${ex.name}: catches "${p.mistake}"`, () => {
        const v = grade(ex, p.fn);
        assert.equal(v.passed, false);
        const first = firstFailure(v);
        assert.ok(first, "a failing case");
        assert.match(first.name, p.caughtBy, `caught first by "${first.name}": ${first.message}`);
        assert.ok(first.message.length > 0);
        assert.ok(first.inputs && first.inputs.length > 0, "the failure shows the inputs");
      });
    }
  }
});

describe("plain verdicts for a candidate that is not a working function", () => {
  const ln = exerciseByName("layernorm");

  test("a missing export or a non-function is a problem, with no cases run", () => {
    const missing = grade(ln, undefined);
    assert.equal(missing.passed, false);
    assert.deepEqual(missing.cases, []);
    assert.match(missing.problem!, /does not export a function named layerNorm/);
    assert.match(grade(ln, 42).problem!, /layerNorm should be a function, but the file exports a number \(42\)/);
  });

  test("a throw fails each case, saying so and naming the inputs", () => {
    const v = grade(ln, () => {
      throw new RangeError("boom");
    });
    assert.equal(v.cases.length, ln.cases.length);
    for (const c of v.cases) {
      assert.equal(c.ok, false);
      assert.equal(c.message, "your function threw RangeError: boom");
      assert.match(c.inputs!, /^x = float/);
    }
  });

  test("the wrong return type, a Promise, NaN: each a failed case with a plain message", () => {
    assert.match(firstFailure(grade(ln, () => 3))!.message, /y should be a Tensor, but it is a number \(3\)/);
    assert.match(firstFailure(grade(ln, () => [[1, 2, 3]]))!.message, /y should be a Tensor, but it is an array of length 1/);
    assert.match(firstFailure(grade(ln, async () => tensor([1])))!.message, /returned a Promise/);
    const nan = grade(ln, (x: Tensor) => x.mul(NaN));
    assert.match(firstFailure(nan)!.message, /y differs from the expected value at index \[0, 0\]: expected -1\.224745, got NaN/);
    const dpo = exerciseByName("dpo-loss");
    assert.match(firstFailure(grade(dpo, (a: Tensor) => a))!.message, /the loss has the wrong shape/);
  });

  test("changing an input in place is named (the reference would otherwise see changed inputs)", () => {
    const inPlace = (x: Tensor, w: Tensor, b: Tensor, eps: number) => {
      const mu = x.mean(-1, true);
      x.sub_(mu);
      return x.div(x.square().mean(-1, true).add(eps).sqrt()).mul(w).add(b);
    };
    assert.match(firstFailure(grade(ln, inPlace))!.message, /your function changed its input x in place \(an op ending in _ such as sub_\)/);
  });

  test("a result built from numbers fails the gradient check, which says why", () => {
    const mlp = exerciseByName("mlp-layer");
    const planted = PLANTED["mlp-layer"].find((p) => /graph/.test(p.mistake))!;
    const c = grade(mlp, planted.fn).cases.find((r) => /gradient check/.test(r.name))!;
    assert.match(c.message, /not connected to its inputs in the autograd graph/);
  });
});

describe("the χ² test of the stochastic exercise", () => {
  test("p-values match the χ² tables", () => {
    // 95th percentiles: 3.841 (1 degree of freedom), 11.070 (5); 99.9th: 20.515 (5)
    const at = (stat: number, df: number) => {
      // counts that give exactly this statistic: one category off by d, the rest even
      const n = 1000;
      const k = df + 1;
      const e = n / k;
      const d = Math.sqrt((stat * e * (k - 1)) / k);
      const obs = Array.from({ length: k }, (_, i) => (i === 0 ? e + d : e - d / (k - 1)));
      return chiSquareTest(obs, new Array<number>(k).fill(1 / k));
    };
    assert.ok(Math.abs(at(3.841, 1).p - 0.05) < 5e-4);
    assert.ok(Math.abs(at(11.07, 5).p - 0.05) < 5e-4);
    assert.ok(Math.abs(at(20.515, 5).p - 0.001) < 2e-5);
    assert.equal(at(0, 3).p, 1);
  });
});

describe("starter files", () => {
  for (const ex of EXERCISES) {
    test(`${ex.name}: the starter compiles and exports ${ex.exportName}`, () => {
      const src = starterSource(ex, "mine.ts");
      assert.match(src, new RegExp(`export function ${ex.exportName}\\(`));
      assert.match(src, /npx dgpt exercise check .* mine\.ts/);
      assert.match(src, /Example/);
      assert.doesNotThrow(() => transformSync(src, { loader: "ts", format: "esm" }));
    });
  }
});

test("docs/exercises.md lists every exercise and every case", () => {
  const doc = readFileSync(new URL("../docs/exercises.md", import.meta.url), "utf8");
  for (const ex of EXERCISES) {
    assert.ok(doc.includes(`### \`${ex.name}\``), ex.name);
    for (const c of ex.cases) assert.ok(doc.includes(`- ${c.name}\n`), `${ex.name}: ${c.name}`);
  }
});

describe("solution files, graded in a worker", { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "dgpt-exercises-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test("a syntax error names the file, line and column (nothing runs)", () => {
    const r = compileSolution(file("broken.ts", "export function layerNorm(x {\n"));
    assert.ok("problem" in r);
    assert.match(r.problem, /does not compile:\n.*broken\.ts:1:\d+: /);
  });

  test("a missing export, a throw while loading, process.exit: plain verdicts, the checker carries on", async () => {
    const [missing, throwing, exiting] = await Promise.all([
      checkFile("dpo-loss", file("missing.ts", "export const dpo = 1;\n")),
      checkFile("dpo-loss", file("throws.ts", 'throw new Error("at load");\nexport function dpoLoss() {}\n')),
      checkFile("dpo-loss", file("exits.ts", "export function dpoLoss() { process.exit(7); }\n")),
    ]);
    assert.match(missing.problem!, /does not export a function named dpoLoss .*\(it exports: dpo\)/);
    assert.match(throwing.problem!, /loading the file threw Error: at load/);
    assert.match(exiting.problem!, /stopped early \(exit code 7\) in case "the example from the statement/);
  });
});
