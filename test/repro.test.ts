// `dgpt repro`: the framework (checks, the report page and JSON, the CLI) and the TMS checks on
// small runs. The induction reproduction is tested in induction.test.ts, on the model trained
// there; the quick scale of each reproduction is measured in docs/repro.md, not in CI.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import "../src/node.js";
import { atLeast, atMost, checksText, getReproduction, holds, near, REPRODUCTIONS, reproPage, reproRecord, type Reproduction, type ReproOutput } from "../src/experiments/repro/index.js";
import { dimensionalityChecks, phaseChecks } from "../src/experiments/repro/tms.js";
import { dimensionalitySweep, phaseDiagram } from "../src/experiments/tms.js";
import { dgptHere } from "./dgpt-here.js";

describe("the reproduction framework", () => {
  test("checks state their tolerance and decide pass by it", () => {
    assert.deepEqual(atLeast("acc", 0.97, 0.95, "≈ 100%"), { what: "acc", paper: "≈ 100%", ours: "0.970", tolerance: "≥ 0.950", pass: true });
    assert.equal(atLeast("acc", 0.9, 0.95, "").pass, false);
    assert.equal(atMost("ratio", 0.6, 0.5, "").pass, false);
    assert.deepEqual(near("logit diff", 3.4, 3.56, 0.3, "3.56"), { what: "logit diff", paper: "3.56", ours: "3.400", tolerance: "3.560 ± 0.300", pass: true });
    assert.equal(near("x", 3.0, 3.56, 0.3, "").pass, false);
    assert.equal(holds("formed", false, "", "best 0.2").ours, "no (best 0.2)");
  });

  test("the record, the terminal table and the page show every check with its verdict", () => {
    const r: Reproduction = { name: "demo", title: "A demo", papers: [{ cite: "Doe 2020", title: "On demos", url: "https://example.org" }], summary: "Trains nothing.", minutes: { quick: 0, full: 0 }, run: async () => out };
    const out: ReproOutput = { checks: [atLeast("a <b>", 2, 1, "≥ 1"), atMost("c", 2, 1, "≤ 1")], settings: { steps: 3 }, data: { x: [1, 2] }, sections: [{ heading: "Curve", caption: "text" }] };
    const rec = reproRecord(r, out, { full: false, seed: 4, seconds: 1.234 });
    assert.equal(rec.passed, false);
    assert.equal(rec.scale, "quick");
    assert.equal(rec.seconds, 1.2);
    const text = checksText(rec);
    assert.match(text[1], /^pass +a <b> +≥ 1 +2 +≥ 1$/);
    assert.match(text[2], /^FAIL +c/);
    assert.equal(text[3], "1 of 2 checks pass (quick scale, seed 4, 1.2 s)");
    const html = reproPage(r, out, rec, "dgpt repro demo");
    assert.match(html, /1 of 2 checks pass/);
    assert.match(html, /<tr class="pass"><td>a &lt;b&gt;<\/td>/, "cells are escaped");
    assert.match(html, /<tr class="fail"><td>c<\/td>/);
    assert.match(html, /Doe 2020, &quot;On demos&quot; — https:\/\/example.org/);
    assert.match(html, /Command: dgpt repro demo/);
  });

  test("every reproduction has a unique command name, a paper and a summary; an unknown name lists them", () => {
    const names = REPRODUCTIONS.map((r) => r.name);
    assert.deepEqual(names, [...new Set(names)]);
    for (const r of REPRODUCTIONS) {
      assert.match(r.name, /^[a-z]+(-[a-z0-9]+)*$/);
      assert.ok(r.papers.length > 0 && r.papers.every((p) => p.url.startsWith("https://")), r.name);
      assert.ok(r.summary.length > 50 && r.minutes.quick > 0 && r.minutes.full >= r.minutes.quick, r.name);
    }
    assert.ok(names.includes("induction") && names.includes("tms"));
    assert.throws(() => getReproduction("grok"), /no reproduction "grok"; there are: induction, .*tms/);
  });
});

describe("dgpt repro: bad input", () => {
  test("bad input: an unknown reproduction, a missing model folder, a report that exists", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "dgpt-repro-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const unknown = await dgptHere(["repro", "nope"]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.err, /no reproduction "nope"; there are: induction, /);
    const missing = await dgptHere(["repro", "induction", "--model", join(dir, "none"), "--out", join(dir, "x.html")]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /no such directory/);
    const list = await dgptHere(["repro", "--list"]);
    assert.equal(list.code, 0);
    assert.match(list.out, /^induction +Induction heads \(Olsson et al\. 2022; Elhage et al\. 2021\)/m);
  });
});

describe("dgpt repro tms: the checks on small runs", () => {
  test("a 3 × 3 phase diagram: dense drops or dedicates, sparse superposes as an antipodal pair", () => {
    const p = phaseDiagram({ seed: 0, steps: 2000, batchSize: 256, lr: 1e-2, densities: [1, 0.1, 0.01], importances: [0.2, 1, 5], restarts: 4 });
    const checks = phaseChecks(p);
    assert.deepEqual(checks.filter((c) => !c.pass).map((c) => `${c.what}: ${c.ours}`), []);
  });

  test("a small dimensionality sweep falls from one dimension per feature to several features per dimension", () => {
    const r = dimensionalitySweep({ seed: 0, nFeatures: 40, nHidden: 4, nInstances: 6, maxSparsity: 0.95, steps: 1500, batchSize: 256, lr: 1e-2 });
    const checks = dimensionalityChecks(r);
    assert.equal(checks.length, 5);
    assert.ok(checks[0]!.pass, `dense: ${checks[0]!.ours}`);
    assert.ok(checks[3]!.pass, `sparse features per dimension: ${checks[3]!.ours}`);
    // the checks read the sweep: the sparsest instance stores more features than the densest
    assert.ok(r.analyses[r.analyses.length - 1]!.represented > r.analyses[0]!.represented);
  });
});
