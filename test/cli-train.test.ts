// `dgpt train` never loses a user's work, tried as a user would: in a real process, killed with
// real signals. A second run into the same folder is refused; --resume continues (and says from
// which step); SIGTERM and SIGHUP save last/ before exiting; a crash in the middle of saving a
// checkpoint leaves the previous one usable. Also: `dgpt generate | head` ends when the reader goes.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { dgptHere } from "./dgpt-here.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SHAKESPEARE = fileURLToPath(new URL("../../shared/data/tinyshakespeare.txt", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "dgpt-cli-train-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const data = join(tmp, "text.txt");
writeFileSync(data, readFileSync(SHAKESPEARE, "utf8").slice(0, 60_000));

/** `dgpt ARGS` as its own process (the CLI from source), in `cwd`. */
function dgpt(args: string[], cwd = tmp): ChildProcess & { output: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> } {
  const child = spawn(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", import.meta.resolve("tsx"), join(ROOT, "src/cli/bin.ts"), ...args], { cwd, env: { ...process.env, DGPT_THREADS: "1" } });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const output = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, out, err })));
  return Object.assign(child, { output });
}

/** Resolves when the child's stdout has printed something matching `re`. */
function waitFor(child: ChildProcess, re: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (d: Buffer) => {
      seen += d;
      if (re.test(seen)) {
        child.stdout!.off("data", onData);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.on("close", () => reject(new Error(`exited before printing ${re}: ${seen}`)));
  });
}

const tiny = ["--preset", "char-small", "--data", data, "--n-layers", "1", "--d-model", "32", "--n-heads", "2", "--block-size", "16", "--batch-size", "4", "--eval-iters", "1", "--sample", "0"];
/** What a resume needs: the model, block size and batch size come from the checkpoint. */
const resumeFlags = ["--preset", "char-small", "--data", data, "--sample", "0", "--resume"];
const trainerStep = (dir: string) => (JSON.parse(readFileSync(join(dir, "last", "trainer.json"), "utf8")) as { step: number }).step;

describe("dgpt train keeps what was trained", { timeout: 240_000 }, () => {
  const out = join(tmp, "run");

  test("a second run into the same --out is refused; --resume continues from the saved step; --overwrite starts over", async () => {
    let r = await dgptHere(["train", ...tiny, "--steps", "20", "--eval-interval", "10", "--out", out]);
    assert.equal(r.code, 0, r.err);
    assert.equal(trainerStep(out), 20);
    const weights = readFileSync(join(out, "last", "model.safetensors"));

    r = await dgptHere(["train", ...tiny, "--steps", "3", "--out", out]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--out .*run already holds a training run \(saved at step 20\); add --resume to continue it, --overwrite to replace it/);
    assert.deepEqual(readFileSync(join(out, "last", "model.safetensors")), weights, "the refused run changed nothing");

    r = await dgptHere(["train", ...tiny, "--steps", "30", "--out", out, "--resume"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--n-layers cannot change a run that --resume continues \(its model and tokenizer come from .*run[/\\]last\)/);
    r = await dgptHere(["train", ...resumeFlags, "--steps", "30", "--out", out]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out + r.err, /resuming from step 20 \(.*run[/\\]last\)/);
    assert.equal(trainerStep(out), 30);

    r = await dgptHere(["train", ...tiny, "--steps", "5", "--eval-interval", "5", "--out", out, "--overwrite"]);
    assert.equal(r.code, 0, r.err);
    assert.equal(trainerStep(out), 5);
    const metrics = readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { type: string });
    assert.equal(metrics.filter((m) => m.type === "step").length, 5, "the old run's metrics are gone");
  });

  test("--resume where nothing was saved is an error, not a fresh start", async () => {
    const r = await dgptHere(["train", ...resumeFlags, "--steps", "5", "--out", join(tmp, "empty")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--resume: .*empty has no checkpoint to continue from/);
    assert.ok(!existsSync(join(tmp, "empty", "metrics.jsonl")));
  });

  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    test(`${signal} saves last/ and exits ${signal === "SIGTERM" ? 143 : 129}; --resume continues from there`, async () => {
      const dir = join(tmp, signal);
      const child = dgpt(["train", ...tiny, "--steps", "100000", "--eval-interval", "1000", "--out", dir]);
      await waitFor(child, /step {5}0: train loss/); // the first evaluation has printed: training is under way
      child.kill(signal);
      const r = await child.output;
      assert.equal(r.code, signal === "SIGTERM" ? 143 : 129, r.err);
      assert.match(r.out, new RegExp(`stopped by ${signal} at step (\\d+): saved .*${signal}[/\\\\]last; continue with --resume`));
      const step = trainerStep(dir);
      assert.ok(step > 0 && step < 100000, `saved at step ${step}`);
      const again = await dgpt(["train", ...resumeFlags, "--steps", String(step + 3), "--out", dir]).output;
      assert.equal(again.code, 0, again.err);
      assert.match(again.out + again.err, new RegExp(`resuming from step ${step} `));
      assert.equal(trainerStep(dir), step + 3);
    });
  }

  test("a crash between the two renames of a checkpoint swap leaves the previous checkpoint, and resume finds it", async () => {
    const dir = join(tmp, "crash");
    let r = await dgptHere(["train", ...tiny, "--steps", "10", "--eval-interval", "5", "--out", dir]);
    assert.equal(r.code, 0, r.err);
    // what a kill after "last → .last.old" and before ".last.partial → last" leaves behind
    renameSync(join(dir, "last"), join(dir, ".last.old"));
    r = await dgptHere(["train", ...resumeFlags, "--steps", "12", "--out", dir]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out + r.err, /resuming from step 10 /);
    assert.equal(trainerStep(dir), 12);
    assert.ok(!existsSync(join(dir, ".last.old")), "the stale copy is cleaned up by the next save");
  });

  test("dgpt generate | head: the program ends when the reader closes the pipe", async () => {
    const child = dgpt(["generate", "--model", out, "--max-tokens", "1000000"]);
    await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
    const t0 = Date.now();
    child.stdout!.destroy(); // the reader goes away, as `head` does after its lines
    const r = await child.output;
    assert.equal(r.code, 0, r.err);
    assert.ok(Date.now() - t0 < 30_000, "it stopped instead of generating a million tokens");
    assert.doesNotMatch(r.err, /EPIPE|Error/);
  });
});
