// The dgpt CLI and the Node file edges: demos train and write plots; bad flags fail clearly;
// module checkpoints round-trip through .safetensors files.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { main } from "../src/cli/main.js";
import { trainSpirals } from "../src/demos/spirals.js";
import { fitFunction } from "../src/demos/fit.js";
import { loadModule, manualSeed, nn, saveModule } from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "dgpt-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function capture(fn: () => Promise<number>): Promise<{ code: number; err: string }> {
  const orig = console.error;
  let err = "";
  console.error = (...a: unknown[]) => {
    err += a.join(" ") + "\n";
  };
  return fn().finally(() => (console.error = orig)).then((code) => ({ code, err }));
}

test("the fit demo lowers the loss by orders of magnitude", () => {
  const r = fitFunction({ target: "sin", steps: 300, seed: 1 });
  assert.ok(r.finalLoss < r.losses[0] / 100, `loss ${r.losses[0]} → ${r.finalLoss}`);
  assert.equal(r.prediction.length, r.x.length);
});

test("the spirals classifier's loss falls and accuracy rises", () => {
  const r = trainSpirals({ classes: 3, pointsPerClass: 60, steps: 150, grid: 10 });
  assert.ok(r.losses[r.losses.length - 1] < r.losses[0] / 3, `loss ${r.losses[0]} → ${r.losses.at(-1)}`);
  assert.ok(r.accuracies[0] < 0.6 && r.finalAccuracy > 0.9, `accuracy ${r.accuracies[0]} → ${r.finalAccuracy}`);
  assert.equal(r.grid.length, 10);
});

test("dgpt demo fit writes an HTML page with the plots", async () => {
  const out = join(dir, "fit.html");
  const orig = console.log;
  console.log = () => {};
  try {
    assert.equal(await main(["demo", "fit", "--steps", "20", "--out", out]), 0);
  } finally {
    console.log = orig;
  }
  const html = readFileSync(out, "utf8");
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /MLP fit of sin\(x\)/);
  assert.equal((html.match(/<figure>/g) ?? []).length, 2);
});

test("bad flags give a clear error and a non-zero exit code", async () => {
  let r = await capture(() => main(["demo", "fit", "--steps", "abc", "--out", join(dir, "x.html")]));
  assert.equal(r.code, 1);
  assert.match(r.err, /--steps: expected a number, got "abc"/);
  r = await capture(() => main(["demo", "fit", "--target", "nope", "--out", join(dir, "x.html")]));
  assert.match(r.err, /unknown target "nope"/);
  r = await capture(() => main(["demo", "spirals", "--classes", "1", "--out", join(dir, "x.html")]));
  assert.match(r.err, /need at least 2 classes/);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith("x")), []);
  // an output in a folder that does not exist yet: the folder is made
  const orig = console.log;
  console.log = () => {};
  try {
    assert.equal(await main(["demo", "fit", "--steps", "2", "--out", join(dir, "new-dir", "x.html")]), 0);
  } finally {
    console.log = orig;
  }
  // an existing page is not replaced without --overwrite
  r = await capture(() => main(["demo", "fit", "--steps", "2", "--out", join(dir, "new-dir", "x.html")]));
  assert.equal(r.code, 1);
  assert.match(r.err, /--out .*x\.html exists already; add --overwrite to replace it, or choose another --out/);
});

test("module weights round-trip through a .safetensors file; bad files are refused", async () => {
  manualSeed(0);
  const a = new nn.MLP([3, 5, 2]);
  const path = join(dir, "mlp.safetensors");
  await saveModule(path, a, { note: "test" });
  const b = new nn.MLP([3, 5, 2]);
  assert.deepEqual(await loadModule(path, b), { note: "test" });
  assert.deepEqual(b.layers[1].weight.toArray(), a.layers[1].weight.toArray());
  await assert.rejects(loadModule(path, new nn.MLP([3, 4, 2])), /size mismatch for "layers.0.weight"/);
  const bad = join(dir, "bad.safetensors");
  writeFileSync(bad, readFileSync(path).subarray(0, 20));
  await assert.rejects(loadModule(bad, b), /safetensors: .*bad\.safetensors/);
});

test("library errors reach the CLI user in CLI words: no function names, the flag that fixes it", async () => {
  const { plainMessage } = await import("../src/cli/common.js");
  const { decodeUtf8 } = await import("../src/data/corpus.js");
  const { loadCorpus } = await import("../src/data/corpus.node.js");
  let err: unknown;
  try {
    decodeUtf8(new Uint8Array([0x61, 0xff, 0x62]), { where: "x.txt" });
  } catch (e) {
    err = e;
  }
  const utf8 = plainMessage(err);
  assert.match(utf8, /add --replace-invalid-utf8 to read it/);
  assert.doesNotMatch(utf8, /invalid: "replace"|^decodeUtf8:/);
  err = await loadCorpus("tinyshakespeare", { localDirs: [], cacheDir: join(dir, "cache"), fetch: () => Promise.reject(Object.assign(new Error("offline"), { code: "ENOTFOUND" })) }).catch((e: unknown) => e);
  const offline = plainMessage(err);
  assert.match(offline, /cannot reach the server.*give a text file's path with --data/);
  assert.doesNotMatch(offline, /localDirs|^loadCorpus:/);
  assert.equal(plainMessage(new Error("/m/config.json: loadStateDict: missing key(s): \"x\"")), "/m/config.json: missing key(s): \"x\"");
  assert.equal(plainMessage(new Error("train config: batchSize must be an integer ≥ 1, got 0")), "train config: batchSize must be an integer ≥ 1, got 0", "a config file's own field names stay");
});

test("--verbose (or DGPT_DEBUG) adds the stack to an error; without it the user sees one line", async () => {
  let r = await capture(() => main(["demo", "fit", "--steps", "abc"]));
  assert.equal(r.code, 1);
  assert.equal(r.err.trim().split("\n").length, 1, r.err);
  r = await capture(() => main(["--verbose", "demo", "fit", "--steps", "abc"]));
  assert.match(r.err, /--steps: expected a number[^]*\n\s+at /);
  r = await capture(() => main(["demo", "fit", "--steps", "abc", "--verbose"]));
  assert.match(r.err, /\n\s+at /, "the flag also works after the command");
});
