// `dgpt scaling sweep | fit | chinchilla` end to end on tiny settings: a grid sweep that resumes,
// an IsoFLOP sweep fitted by both approaches, and the refusals (bad budgets, a malformed runs
// file, a sweep folder that would be replaced).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { dgptHere } from "./dgpt-here.js";
import { parseRuns } from "../src/scaling/runs.js";

const dir = mkdtempSync(join(tmpdir(), "dgpt-scaling-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Tiny runs: batches of 4 windows of 16 characters, 2 held-out batches. */
const TINY = ["--data", "tinyshakespeare", "--batch-size", "4", "--block-size", "16", "--eval-batches", "2"];

describe("dgpt scaling sweep", () => {
  const out = join(dir, "grid");
  test("a 2 × 2 grid trains four runs and writes runs.jsonl and a page", async () => {
    const r = await dgptHere(["scaling", "sweep", ...TINY, "--sizes", "1x16,1x32", "--tokens", "1k,2k", "--out", out]);
    assert.equal(r.code, 0, r.err);
    const runs = parseRuns(readFileSync(join(out, "runs.jsonl"), "utf8"));
    assert.deepEqual(runs.map((x) => x.id), ["L1-d16-h1-D1024", "L1-d16-h1-D1984", "L1-d32-h1-D1024", "L1-d32-h1-D1984"]);
    for (const x of runs) {
      assert.equal(x.tokens, x.steps * 4 * 16);
      assert.equal(x.flops6ND, 6 * x.params * x.tokens);
      assert.ok(x.paramsNonEmbedding < x.params && x.valLoss > 0 && x.valLoss < 6, JSON.stringify(x));
    }
    // the longer run of each size ends lower
    assert.ok(runs[1]!.valLoss < runs[0]!.valLoss && runs[3]!.valLoss < runs[2]!.valLoss, runs.map((x) => x.valLoss).join(", "));
    assert.ok(existsSync(join(out, "sweep.html")) && existsSync(join(out, "sweep.json")));
  });

  test("the folder is not replaced without --resume or --overwrite, and --resume trains only the new runs", async () => {
    const again = await dgptHere(["scaling", "sweep", ...TINY, "--sizes", "1x16,1x32", "--tokens", "1k,2k", "--out", out]);
    assert.equal(again.code, 1);
    assert.match(again.err, /already holds a sweep .*--resume/);
    const other = await dgptHere(["scaling", "sweep", ...TINY, "--lr", "0.01", "--sizes", "1x16", "--tokens", "1k", "--out", out, "--resume"]);
    assert.equal(other.code, 1);
    assert.match(other.err, /other settings \(lr: 0\.002 then, 0\.01 now\)/);
    const more = await dgptHere(["scaling", "sweep", ...TINY, "--sizes", "1x16,1x32", "--tokens", "1k,2k,3k", "--out", out, "--resume"]);
    assert.equal(more.code, 0, more.err);
    assert.equal(more.out.match(/in runs\.jsonl already/g)?.length, 4);
    assert.equal(parseRuns(readFileSync(join(out, "runs.jsonl"), "utf8")).length, 6);
  });

  test("bad flags are refused before any training", async () => {
    const cases: [string[], RegExp][] = [
      [["--sizes", "1x16", "--budgets", "1e8,-3e8"], /--budgets: "-3e8" is not a positive number of FLOPs \(it is negative\)/],
      [["--sizes", "1x16", "--tokens", "1k", "--budgets", "1e8"], /either --tokens .* or --budgets/],
      [["--sizes", "2y16", "--tokens", "1k"], /--sizes 2y16: "2y16" is not a model size/],
      [["--sizes", "1x30x4", "--tokens", "1k"], /not divisible by 4 heads/],
      [["--sizes", "1x16", "--tokens", "10"], /10 tokens is less than one step/],
    ];
    for (const [flags, want] of cases) {
      const r = await dgptHere(["scaling", "sweep", ...TINY, ...flags, "--out", join(dir, "refused")]);
      assert.equal(r.code, 1, flags.join(" "));
      assert.match(r.err, want);
    }
  });
});

describe("dgpt scaling fit", () => {
  const out = join(dir, "iso");
  test("an IsoFLOP sweep fitted by approach 3 (with intervals) and approach 2", async () => {
    const s = await dgptHere(["scaling", "sweep", ...TINY, "--sizes", "1x8,1x16,2x16", "--budgets", "4e7,1.2e8", "--out", out]);
    assert.equal(s.code, 0, s.err);
    const runs = parseRuns(readFileSync(join(out, "runs.jsonl"), "utf8"));
    assert.equal(runs.length, 6);
    for (const x of runs) assert.ok(Math.abs(x.flops6ND / x.budget! - 1) < 0.2, `${x.id}: 6ND ${x.flops6ND} for budget ${x.budget}`);
    const html = join(dir, "fit.html");
    const json = join(dir, "fit.json");
    const f = await dgptHere(["scaling", "fit", "--runs", out, "--bootstrap", "5", "--starts", "coarse", "--out", html, "--json", json]);
    assert.equal(f.code, 0, f.err);
    assert.match(f.out, /Approach 3: .* from 432 starts/);
    assert.match(f.out, /α = \S+ {2}\[\S+, \S+\]/);
    assert.match(f.out, /Approach 2: IsoFLOP profiles/);
    const data = JSON.parse(readFileSync(json, "utf8")) as { fit: { law: Record<string, number> }; bootstrap: { samples: number }; runs: unknown[] };
    assert.equal(data.runs.length, 6);
    assert.equal(data.bootstrap.samples, 5);
    assert.ok(Number.isFinite(data.fit.law.alpha));
    assert.match(readFileSync(html, "utf8"), /IsoFLOP profiles/);
  });

  test("a malformed runs file is an error naming its line", async () => {
    const good = readFileSync(join(out, "runs.jsonl"), "utf8").split("\n")[0]!;
    const bad = join(dir, "bad.jsonl");
    writeFileSync(bad, `${good}\n${good}\n{"id": "x", "valLoss": \n`);
    const r = await dgptHere(["scaling", "fit", "--runs", bad, "--out", join(dir, "bad.html"), "--json", join(dir, "bad.json")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /bad\.jsonl:3: not valid JSON/);
    writeFileSync(bad, `${good}\n${good.replace(/"tokens":\d+/, '"tokens":-5')}\n`);
    const r2 = await dgptHere(["scaling", "fit", "--runs", bad, "--out", join(dir, "bad.html"), "--json", join(dir, "bad.json")]);
    assert.match(r2.err, /bad\.jsonl:2: "tokens" must be a number ≥ 0, got -5/);
  });
});

test("dgpt scaling chinchilla gives the published law's optimum", async () => {
  const r = await dgptHere(["scaling", "chinchilla", "--compute", "5.76e23"]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /N_opt 3\.22e10 parameters, D_opt 2\.98e12 tokens, 92\.6 tokens per parameter/);
  const neg = await dgptHere(["scaling", "chinchilla", "--compute", "-1e21"]);
  assert.equal(neg.code, 1);
  assert.match(neg.err, /--compute: "-1e21" is not a positive number of FLOPs/);
});
