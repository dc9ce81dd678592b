// `dgpt align prefs | rm | ppo | rloo | dpo` as a user runs them, on a tiny word-level model trained
// first: each writes its folder, metrics, summary and page; a reward model folder round-trips;
// bad input is named (preference files with missing fields or empty completions, β ≤ 0, a
// reference or reward model with another vocabulary, a negative KL coefficient); a run whose
// reward turns NaN stops with the step and the reason and keeps the last good policy.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { dgptHere } from "./dgpt-here.js";
import { tensor } from "../src/index.js";
import { saveSafetensors } from "../src/io/checkpoint.node.js";
import { loadModelDir } from "../src/models/gpt/io.node.js";
import { loadRewardModel, saveRewardModel } from "../src/align/reward-files.node.js";

const STORIES = fileURLToPath(new URL("../../shared/data/tinystories_10k.txt", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "dgpt-cli-align-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const data = join(tmp, "stories.txt");
writeFileSync(data, readFileSync(STORIES, "utf8").slice(0, 60_000));

describe("dgpt align", { timeout: 300_000 }, () => {
  const model = join(tmp, "sft");
  const prefs = join(tmp, "prefs.jsonl");
  const rmDir = join(tmp, "rm");
  const small = ["--max-new-tokens", "8", "--eval-prompts", "4", "--data", data, "--prompt-words", "5"];

  test("prefs → rm → ppo, rloo, dpo: folders, metrics, summaries and pages", async () => {
    // a word-level model: even barely trained, its samples are words, some of them in the sentiment lexicon
    let r = await dgptHere(["train", "--preset", "char-small", "--tokenizer", "word", "--data", data, "--n-layers", "1", "--d-model", "32", "--n-heads", "2", "--block-size", "32", "--batch-size", "4", "--steps", "20", "--eval-iters", "1", "--sample", "0", "--out", model]);
    assert.equal(r.code, 0, r.err);
    r = await dgptHere(["align", "prefs", "--model", model, "--n", "40", "--max-new-tokens", "16", "--data", data, "--prompt-words", "5", "--out", prefs]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /\d+ pairs from \d+ prompts \(\d+ ties or empty completions dropped\)/);
    const lines = readFileSync(prefs, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>);
    assert.ok(lines.length >= 4 && lines.every((p) => p.chosen.length > 0 && p.rejected.length > 0));

    r = await dgptHere(["align", "rm", "--model", model, "--prefs", prefs, "--steps", "4", "--batch-size", "4", "--out", rmDir]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /held-out accuracy [\d.]+ % \(\d+ pairs\)/);
    for (const f of ["reward_model.json", "score.safetensors", "config.json", "tokenizer.json", "rm.html", "metrics.jsonl", "summary.json"]) assert.ok(existsSync(join(rmDir, f)), f);

    r = await dgptHere(["align", "ppo", "--model", model, "--reward", rmDir, "--steps", "2", "--batch-size", "4", "--mini-batch-size", "2", "--ppo-epochs", "1", "--save-every", "1", ...small, "--out", join(tmp, "ppo")]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /before: sentiment -?[\d.]+, reward model -?[\d.]+; KL to the reference 0\.00/);
    assert.match(r.out, /median step: generation \d+ ms, scoring \d+ ms, update \d+ ms/);
    for (const f of ["policy/config.json", "policy/model.safetensors", "policy/value_head.safetensors", "policy/tokenizer.json", "ppo.html", "summary.json"]) assert.ok(existsSync(join(tmp, "ppo", f)), f);
    const metrics = readFileSync(join(tmp, "ppo", "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
    assert.equal(metrics.length, 2);
    for (const k of ["reward", "kl", "klCoef", "entropy", "clipFrac", "valueLoss", "msGenerate", "msScore", "msUpdate"]) assert.ok(Number.isFinite(metrics[1][k]), k);
    assert.equal(metrics[0].kl, 0);
    assert.match(readFileSync(join(tmp, "ppo", "ppo.html"), "utf8"), /KL to the reference/);
    assert.equal((await loadModelDir(join(tmp, "ppo", "policy"))).cfg.d_vocab, (await loadModelDir(join(model, "best"))).cfg.d_vocab);

    r = await dgptHere(["align", "rloo", "--model", model, "--reward", "sentiment", "--target-kl", "2", "--steps", "2", "--prompts-per-step", "2", "--k", "2", ...small, "--out", join(tmp, "rloo")]);
    assert.equal(r.code, 0, r.err);
    assert.ok(existsSync(join(tmp, "rloo", "rloo.html")) && existsSync(join(tmp, "rloo", "policy", "config.json")));

    r = await dgptHere(["align", "dpo", "--model", model, "--prefs", prefs, "--beta", "0.1", "--steps", "2", "--batch-size", "4", "--eval-reward", rmDir, ...small, "--out", join(tmp, "dpo")]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /after 2 steps: sentiment -?[\d.]+, reward model -?[\d.]+; KL to the reference/);
    assert.ok(existsSync(join(tmp, "dpo", "dpo.html")) && existsSync(join(tmp, "dpo", "policy", "model.safetensors")));

    // a second run into the same folder is refused
    r = await dgptHere(["align", "dpo", "--model", model, "--prefs", prefs, "--beta", "0.1", "--steps", "1", ...small, "--out", join(tmp, "dpo")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /already holds .*add --overwrite/);
  });

  test("a reward model folder round-trips: the same scores after loading", async () => {
    const rm = await loadRewardModel(rmDir);
    const seqs = [{ prompt: [1, 2, 3], completion: [4, 5] }, { prompt: [6], completion: [7, 8, 9] }];
    const dir = join(tmp, "rm-copy");
    await saveRewardModel(dir, rm);
    const again = await loadRewardModel(dir);
    assert.deepEqual(Array.from(again.scoreSequences(seqs)), Array.from(rm.scoreSequences(seqs)));
    await assert.rejects(loadRewardModel(model), /is not a reward model folder: it has no reward_model\.json/);
  });

  test("bad input: preference files, β ≤ 0, other vocabularies, a negative KL coefficient", async () => {
    const bad = join(tmp, "bad.jsonl");
    writeFileSync(bad, '{"prompt": "Once", "chosen": " happy"}\n');
    let r = await dgptHere(["align", "rm", "--model", model, "--prefs", bad, "--out", join(tmp, "rm-bad")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /bad\.jsonl:1: missing field "rejected"/);
    writeFileSync(bad, '{"prompt": "Once", "chosen": " happy", "rejected": " sad"}\n{"prompt": "One day", "chosen": "", "rejected": " sad"}\n');
    r = await dgptHere(["align", "dpo", "--model", model, "--prefs", bad, "--beta", "0.1", "--out", join(tmp, "dpo-bad")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /bad\.jsonl:2: field "chosen" is empty/);
    for (const beta of ["0", "-0.5"]) {
      r = await dgptHere(["align", "dpo", "--model", model, "--prefs", prefs, "--beta", beta, "--out", join(tmp, "dpo-beta")]);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`--beta must be > 0 .*got ${beta}`));
    }
    // a model with another vocabulary (a char tokenizer built from other text)
    const other = join(tmp, "other");
    const otherText = join(tmp, "digits.txt");
    writeFileSync(otherText, "0123456789 ".repeat(400));
    r = await dgptHere(["train", "--preset", "char-small", "--data", otherText, "--n-layers", "1", "--d-model", "16", "--n-heads", "2", "--block-size", "32", "--batch-size", "2", "--steps", "1", "--eval-iters", "1", "--sample", "0", "--out", other]);
    assert.equal(r.code, 0, r.err);
    r = await dgptHere(["align", "ppo", "--model", model, "--reference", other, "--reward", "sentiment", ...small, "--out", join(tmp, "ppo-ref")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--reference .*other: its vocabulary has \d+ tokens, the policy's \d+: the reference must share the policy's tokenizer/);
    r = await dgptHere(["align", "ppo", "--model", other, "--reward", rmDir, ...small, "--out", join(tmp, "ppo-rm")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--reward .*rm: the reward model's vocabulary has \d+ tokens, the policy's \d+/);
    r = await dgptHere(["align", "rloo", "--model", model, "--reward", "sentiment", "--kl-coef", "-1", ...small, "--out", join(tmp, "rloo-kl")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--kl-coef must be ≥ 0/);
    r = await dgptHere(["align", "ppo", "--model", model, "--reward", join(tmp, "nothing"), ...small, "--out", join(tmp, "ppo-none")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /--reward .*nothing: .*no such folder/);
  });

  test("a reward that turns NaN: the run stops with the step and the reason, keeping the last good policy", async () => {
    const broken = join(tmp, "rm-nan");
    const rm = await loadRewardModel(rmDir);
    await saveRewardModel(broken, rm);
    await saveSafetensors(join(broken, "score.safetensors"), { "score.weight": tensor([Array.from({ length: rm.body.cfg.d_model }, () => NaN)]) });
    const out = join(tmp, "ppo-nan");
    const r = await dgptHere(["align", "ppo", "--model", model, "--reward", broken, "--steps", "3", "--batch-size", "4", "--mini-batch-size", "2", ...small, "--out", out]);
    assert.equal(r.code, 1);
    assert.match(r.err, /ppo training diverged at step 1: the reward is NaN \(entry 0\); stopped\. The last good policy \(step 0\) is in .*policy/);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as { diverged: { step: number; lastGoodStep: number } };
    assert.deepEqual([summary.diverged.step, summary.diverged.lastGoodStep], [1, 0]);
    assert.ok(existsSync(join(out, "policy", "model.safetensors")) && existsSync(join(out, "ppo.html")));
  });
});
