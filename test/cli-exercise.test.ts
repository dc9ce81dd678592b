// `dgpt exercise list | new | check` as a student runs them: the list by unit, a starter file
// written (and not overwritten), the untouched starter failing plainly, a correct solution passing
// through the real path (esbuild, the worker), an endless loop stopped by --timeout, bad input named.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { dgptHere } from "./dgpt-here.js";
import { EXERCISES } from "../src/exercises/index.js";

const tmp = mkdtempSync(join(tmpdir(), "dgpt-cli-exercise-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const SOLUTION = `import { type Tensor } from "decoding-gpt";
import { center } from "./helper";

export function layerNorm(x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor {
  const c = center(x);
  return c.div(c.square().mean(-1, true).add(eps).sqrt()).mul(w).add(b);
}
`;
const HELPER = `import type { Tensor } from "decoding-gpt";
export const center = (x: Tensor): Tensor => x.sub(x.mean(-1, true));
`;

describe("dgpt exercise", { timeout: 240_000 }, () => {
  const starter = join(tmp, "layernorm.ts");

  test("list: every exercise, under its unit", async () => {
    const r = await dgptHere(["exercise", "list"]);
    assert.equal(r.code, 0, r.err);
    for (const ex of EXERCISES) assert.match(r.out, new RegExp(`^  ${ex.name} +${ex.title.replace(/[()|.*+?^$[\]{}\\]/g, "\\$&")}$`, "m"));
    assert.match(r.out, /^1\. Neural networks and autodiff$/m);
    assert.match(r.out, /^5\. Alignment$/m);
  });

  test("new: writes the starter, refuses to replace it without --overwrite; an unknown name lists the known ones", async () => {
    let r = await dgptHere(["exercise", "new", "layernorm", "--out", starter]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /wrote .*layernorm\.ts/);
    const text = readFileSync(starter, "utf8");
    assert.match(text, /export function layerNorm\(x: Tensor, w: Tensor, b: Tensor, eps: number\): Tensor \{/);
    assert.match(text, /σ² = \(1\/d\) Σ_j \(x_j − μ\)²/);
    writeFileSync(starter, text + "// my notes\n");
    r = await dgptHere(["exercise", "new", "layernorm", "--out", starter]);
    assert.equal(r.code, 1);
    assert.match(r.err, /exists already; add --overwrite/);
    assert.match(readFileSync(starter, "utf8"), /my notes/);
    r = await dgptHere(["exercise", "new", "layer-norm"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /no exercise named "layer-norm"; the exercises are: autodiff-op, .*layernorm/);
  });

  test("check: the untouched starter fails plainly, case by case; exit code 1", async () => {
    const r = await dgptHere(["exercise", "check", "layernorm", starter]);
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /✗ the example from the statement/);
    assert.match(r.out, /First failure: the example from the statement\n {2}your function threw Error: layerNorm: not written yet\n {2}inputs:\n {4}x = float32 \[1, 3\] \[\[1, 2, 3\]\]/);
    assert.match(r.out, /0 of 7 checks passed\./);
  });

  test("check: a correct solution (with a helper module of its own) passes; exit code 0", async () => {
    writeFileSync(join(tmp, "helper.ts"), HELPER);
    const file = join(tmp, "solution.ts");
    writeFileSync(file, SOLUTION);
    const r = await dgptHere(["exercise", "check", "layernorm", file]);
    assert.equal(r.code, 0, r.out + r.err);
    assert.equal((r.out.match(/✓/g) ?? []).length, 7);
    assert.match(r.out, /7 of 7 checks passed\. Well done\./);
  });

  test("check: an endless loop is stopped by --timeout and named; bad input is refused", async () => {
    const loop = join(tmp, "loop.ts");
    writeFileSync(loop, SOLUTION.replace("const c = center(x);", "for (;;) {}\n  const c = center(x);"));
    writeFileSync(join(tmp, "helper.ts"), HELPER);
    let r = await dgptHere(["exercise", "check", "layernorm", loop, "--timeout", "2"]);
    assert.equal(r.code, 1);
    assert.match(r.out, /✗ time limit of 2 s exceeded in case "the example from the statement"/);
    r = await dgptHere(["exercise", "check", "layernorm", join(tmp, "nope.ts")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /no such file: .*nope\.ts/);
    r = await dgptHere(["exercise", "check", "layernorm", loop, "--timeout", "0"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--timeout: expected a positive number of seconds/);
  });
});
