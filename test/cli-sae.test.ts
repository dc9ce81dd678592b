// `dgpt sae train | eval` as a user runs them: a tiny char model trained first, an SAE trained on
// one of its hooks into a SAELens folder, a second run refused, a run stopped by a signal resumed,
// the saved SAE evaluated by `sae eval`, and bad flags named.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { dgptHere } from "./dgpt-here.js";
import { loadSae } from "../src/sae/files.node.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SHAKESPEARE = fileURLToPath(new URL("../../shared/data/tinyshakespeare.txt", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "dgpt-cli-sae-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const data = join(tmp, "text.txt");
writeFileSync(data, readFileSync(SHAKESPEARE, "utf8").slice(0, 40_000));

describe("dgpt sae", { timeout: 240_000 }, () => {
  const model = join(tmp, "model");
  const out = join(tmp, "sae");
  const saeFlags = ["sae", "train", "--model", model, "--hook", "blocks.0.hook_resid_post", "--data", data, "--d-sae", "64", "--k", "4", "--batch-size", "256", "--context-size", "16", "--eval-windows", "8"];

  test("train an SAE on a trained model's hook: a SAELens folder, metrics, evaluation; a second run is refused", async () => {
    let r = await dgptHere(["train", "--preset", "char-small", "--data", data, "--n-layers", "1", "--d-model", "32", "--n-heads", "2", "--block-size", "16", "--batch-size", "4", "--steps", "30", "--eval-iters", "1", "--sample", "0", "--out", model]);
    assert.equal(r.code, 0, r.err);
    r = await dgptHere([...saeFlags, "--tokens", "20000", "--out", out]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /topk k=4, d_in 32 → d_sae 64/);
    assert.match(r.out, /CE loss: clean [\d.]+, with the SAE [\d.]+, zero-ablated [\d.]+ → recovered/);
    for (const f of ["cfg.json", "sae_weights.safetensors", "metrics.jsonl", "eval.json"]) assert.ok(existsSync(join(out, f)), f);
    const loaded = await loadSae(out);
    assert.deepEqual([loaded.cfg.hook_name, loaded.cfg.d_in, loaded.cfg.d_sae, loaded.cfg.k], ["blocks.0.hook_resid_post", 32, 64, 4]);
    r = await dgptHere([...saeFlags, "--tokens", "20000", "--out", out]);
    assert.equal(r.code, 1);
    assert.match(r.err, /already holds an SAE run: continue it with --resume, or replace it with --overwrite/);
    r = await dgptHere(["sae", "eval", "--sae", out, "--model", model, "--data", data, "--windows", "8", "--context-size", "16", "--json", join(tmp, "eval.json")]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /L0 4\.0 latents per token/);
    assert.ok(JSON.parse(readFileSync(join(tmp, "eval.json"), "utf8")).ceLossRecovered > 0);
  });

  test("SIGTERM saves a checkpoint; --resume continues from it and finishes", async () => {
    const run = join(tmp, "sae-stopped");
    const child = spawn(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", import.meta.resolve("tsx"), join(ROOT, "src/cli/bin.ts"), ...saeFlags, "--tokens", "400000", "--out", run], { cwd: tmp, env: { ...process.env, DGPT_THREADS: "1" } });
    let outText = "";
    child.stdout.on("data", (d) => (outText += d));
    child.stderr.on("data", (d) => (outText += d));
    // stop once the first checkpoint is there
    while (!existsSync(join(run, "checkpoint", "state.json"))) await new Promise((r) => setTimeout(r, 100));
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.on("close", r));
    assert.equal(code, 143, outText);
    assert.match(outText, /stopped by SIGTERM at step \d+: continue with --resume/);
    const step = (JSON.parse(readFileSync(join(run, "checkpoint", "state.json"), "utf8")) as { step: number }).step;
    assert.ok(step > 0 && step < 1563);
    const r = await dgptHere([...saeFlags, "--tokens", "400000", "--out", run, "--resume"]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.err + r.out, new RegExp(`resuming from step ${step}`));
    assert.ok(existsSync(join(run, "cfg.json")));
    const lines = readFileSync(join(run, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { step: number });
    assert.equal(lines[lines.length - 1].step, 1563);
    assert.ok(lines.every((m, i) => i === 0 || m.step > lines[i - 1].step), "no step logged twice");
  });

  test("bad flags are named", async () => {
    const bad = async (extra: string[], re: RegExp) => {
      const r = await dgptHere([...saeFlags, "--tokens", "1000", "--out", join(tmp, "bad"), "--overwrite", ...extra]);
      assert.equal(r.code, 1);
      assert.match(r.err, re);
    };
    await bad(["--arch", "relu"], /--arch must be one of standard, topk, jumprelu, gated/);
    await bad(["--k", "100"], /--k 100 is more than --d-sae 64/);
    await bad(["--hook", "blocks.0.hook_resid_pots"], /resid_post/);
    await bad(["--l1", "-1"], /--l1 must be ≥ 0/);
    await bad(["--arch", "topk", "--resample"], /--resample is for standard, gated and jumprelu/);
    const r = await dgptHere(["sae", "eval", "--sae", tmp, "--model", model]);
    assert.equal(r.code, 1);
    assert.match(r.err, /is not an SAE folder/);
  });
});

describe("dgpt sae synthetic", { timeout: 120_000 }, () => {
  test("sweeps k on a known dictionary: a page and JSON; the k near the true count recovers the features, a large k does not", async () => {
    const out = join(tmp, "syn.html");
    const json = join(tmp, "syn.json");
    const r = await dgptHere(["sae", "synthetic", "--arch", "topk", "--values", "5,32", "--features", "64", "--d-in", "32", "--steps", "300", "--batch-size", "512", "--out", out, "--json", json]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /topk: 64 true features in 32 dimensions/);
    const { sweeps } = JSON.parse(readFileSync(json, "utf8")) as { sweeps: { rows: { value: number; mmcs: number; l0: number }[] }[] };
    const [small, large] = sweeps[0].rows;
    assert.deepEqual([small.value, large.value], [5, 32]);
    assert.ok(small.mmcs > 0.9 && large.mmcs < small.mmcs - 0.1, `MMCS at k 5: ${small.mmcs}, at k 32: ${large.mmcs}`);
    assert.ok(Math.abs(small.l0 - 5) < 0.01);
    assert.match(readFileSync(out, "utf8"), /topk: recovery against k/);
  });

  test("bad flags are named", async () => {
    const bad = async (args: string[], re: RegExp) => {
      const r = await dgptHere(["sae", "synthetic", "--out", join(tmp, "bad.html"), "--overwrite", ...args]);
      assert.equal(r.code, 1);
      assert.match(r.err, re);
    };
    await bad(["--arch", "relu"], /--arch: unknown architecture "relu"/);
    await bad(["--values", "1,2"], /--values: with several architectures \(topk, standard\) say which one/);
    await bad(["--arch", "topk", "--values", "2.5"], /--values: "2.5" is not a k/);
    await bad(["--arch", "topk", "--values", "600", "--features", "256"], /k 600 is more than --d-sae 512/);
    await bad(["--arch", "standard", "--values", "-1"], /"-1" is not a λ/);
  });
});
