// The attention atlas (dgpt repro attention-atlas): statistics against hand-computed values on
// constructed patterns, the site's files and links, its index page's sort/filter script run in
// a stub DOM (linkedom), and the whole run on the trained induction model.
import "../src/node.js";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseHTML } from "linkedom";
import { headStatistics, patternDefects, patternStats } from "../src/interp/attention-stats.js";
import { atlasSite, brokenLinks, INDEX_SCRIPT } from "../src/experiments/attention-atlas-site.js";
import { parsePromptFile, symbolPrompts } from "../src/experiments/attention-atlas.js";
import { attentionAtlas } from "../src/experiments/repro/attention-atlas.js";
import { symbolVocab } from "../src/interp/induction.js";
import type { ReproContext } from "../src/experiments/repro/types.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { saveModelDir } from "../src/models/gpt/io.node.js";
import { CharTokenizer } from "../src/tokenizers/char.js";
import { saveTokenizerFile } from "../src/tokenizers/files.node.js";
import { dgptHere } from "./dgpt-here.js";

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} ≉ ${b}`);

// queries 1 and 2 (query 0 is not scored): rows [.5 .5 0] and [.2 .3 .5]
const A = [
  [1, 0, 0],
  [0.5, 0.5, 0],
  [0.2, 0.3, 0.5],
];
// a previous-token head: each query on the key before it
const P = [
  [1, 0, 0],
  [1, 0, 0],
  [0, 1, 0],
];

describe("attention statistics", () => {
  test("match hand-computed values on a constructed pattern", () => {
    const s = patternStats(A);
    // entropy: q=1 ln 2 = 0.693147; q=2 −(.2 ln .2 + .3 ln .3 + .5 ln .5) = 1.029653; mean 0.861400
    close(s.entropy, 0.8614, 1e-5);
    close(s.firstToken, (0.5 + 0.2) / 2);
    close(s.previousToken, (0.5 + 0.3) / 2);
    close(s.self, (0.5 + 0.5) / 2);
    // distance: q=1 .5·1 = .5; q=2 .2·2 + .3·1 = .7
    close(s.meanDistance, 0.6);
    const p = patternStats(P);
    assert.deepEqual([p.entropy, p.previousToken, p.self, p.meanDistance], [0, 1, 0, 1]);
  });

  test("defects: row sums and attention to later keys", () => {
    assert.deepEqual(patternDefects(A), { rowSumError: 0, futureAttention: 0 });
    const d = patternDefects([
      [0.9, 0.1],
      [0.5, 0.4],
    ]);
    close(d.rowSumError, 0.1, 1e-12);
    close(d.futureAttention, 0.1, 1e-12);
  });

  test("headStatistics averages prompts equally and skips one-token prompts", () => {
    // one layer, two heads (A and P), on two prompts; a third prompt of one token has nothing to score
    const patterns = [[[A, P]], [[P, A]], [[[[1]], [[1]]]]] as unknown as number[][][][][];
    const rep = { induction: [[0.7, 0.1]], duplicateToken: [[0.2, 0.3]] };
    const { stats, perPrompt } = headStatistics(patterns, rep);
    close(stats.previousToken[0][0], (0.4 + 1) / 2);
    close(stats.meanDistance[0][1], (1 + 0.6) / 2);
    assert.ok(Number.isNaN(perPrompt[2].entropy[0][0]));
    assert.deepEqual(stats.induction, rep.induction);
  });
});

/** A tiny atlas input: 1 layer × 2 heads, two prompts (3 tokens and 2). */
function tinySite() {
  const two = [
    [1, 0],
    [0.25, 0.75],
  ];
  const patterns = [[[A, P]], [[two, two]]];
  const statistics = headStatistics(patterns, { induction: [[0.1, 0.9]], duplicateToken: [[0, 0]] });
  return atlasSite({ model: "tiny", about: "a test", prompts: [{ name: "abc", tokens: ["a", " b", "\n"] }, { name: "xy", tokens: ["x", "y"] }], patterns, statistics, notes: ["note"] });
}

describe("the atlas site", () => {
  test("writes every page and thumbnail, and every link resolves", () => {
    const files = tinySite();
    for (const f of ["index.html", "heads/L0H0.html", "heads/L0H1.html", "prompts/p0.html", "prompts/p1.html", "img/p0-L0H0.png", "img/p1-L0H1.png"]) assert.ok(f in files, f);
    assert.deepEqual(brokenLinks(files), []);
    // the thumbnails are PNGs (signature), one pixel per cell
    const png = files["img/p0-L0H0.png"] as Uint8Array;
    assert.deepEqual([...png.slice(1, 4)], [0x50, 0x4e, 0x47]);
    // and the link check does catch a missing page or an external URL
    const { ["heads/L0H1.html"]: _, ...missing } = files;
    assert.ok(brokenLinks(missing).some((b) => b.includes("heads/L0H1.html")));
    assert.ok(brokenLinks({ ...files, "x.html": '<a href="https://example.com/">x</a>' }).length === 1);
  });

  test("pages parse as HTML: the index has one card per head with its statistics, the head page one figure per prompt", () => {
    const files = tinySite();
    for (const [path, content] of Object.entries(files)) {
      if (!path.endsWith(".html")) continue;
      const { document } = parseHTML(content as string);
      assert.ok(document.querySelector("main h1"), `${path} has a title`);
      assert.equal(document.querySelectorAll("script[src], link[href^=http], img[src^=http]").length, 0, `${path} loads nothing external`);
    }
    const { document } = parseHTML(files["index.html"] as string);
    const cards = document.querySelectorAll("#heads .card");
    assert.equal(cards.length, 2);
    assert.equal(cards[1].getAttribute("href"), "heads/L0H1.html");
    close(Number(cards[1].getAttribute("data-previous-token")), (1 + 0.25) / 2);
    const head = parseHTML(files["heads/L0H0.html"] as string).document;
    assert.equal(head.querySelectorAll("section[id^=p] figure > svg").length, 2);
    // token labels with visible whitespace
    assert.match(files["heads/L0H0.html"] as string, /2:↵/);
  });

  test("the index's sort and filter script runs in a stub DOM", () => {
    assert.doesNotThrow(() => new Function(INDEX_SCRIPT), "the script compiles");
    const { document, window } = parseHTML(tinySite()["index.html"] as string);
    // linkedom's <select> has no value: give it a browser's (the selected option's, else the first's)
    for (const sel of Array.from(document.querySelectorAll("select"))) {
      const options = () => Array.from(sel.querySelectorAll("option"));
      Object.defineProperty(sel, "value", {
        get: () => (options().find((o) => o.hasAttribute("selected")) ?? options()[0]).getAttribute("value"),
        set: (v: string) => options().forEach((o) => o.toggleAttribute("selected", o.getAttribute("value") === v)),
      });
    }
    const script = document.querySelector("script")!.textContent!;
    new Function("document", "window", script)(document, window);
    const order = () => Array.from(document.querySelectorAll("#heads .card")).map((c) => c.querySelector(".name")!.textContent);
    const shown = () => Array.from(document.querySelectorAll("#heads .card:not(.out)")).map((c) => c.querySelector(".name")!.textContent);
    assert.deepEqual(order(), ["L0H0", "L0H1"]);
    assert.match(document.getElementById("shown")!.textContent!, /2 of 2 heads/);
    // sort by induction score (L0H1 0.9 > L0H0 0.1), highest first
    const sortBy = document.getElementById("sort-by") as unknown as HTMLSelectElement;
    sortBy.value = "induction";
    sortBy.dispatchEvent(new window.Event("change"));
    assert.deepEqual(order(), ["L0H1", "L0H0"]);
    assert.equal(document.getElementById("heads")!.className, "sorted");
    // keep only heads with mean distance ≥ 0.5: L0H1 ((1 + 0.25) / 2), not L0H0 ((0.6 + 0.25) / 2)
    (document.getElementById("filter-by") as unknown as HTMLSelectElement).value = "mean-distance";
    const min = document.getElementById("filter-min") as unknown as HTMLInputElement;
    min.value = "0.5";
    min.dispatchEvent(new window.Event("input"));
    assert.deepEqual(shown(), ["L0H1"]);
    assert.match(document.getElementById("shown")!.textContent!, /1 of 2 heads/);
    // the thumbnails switch to another prompt's images, which exist
    const thumbs = document.getElementById("thumb-prompt") as unknown as HTMLSelectElement;
    thumbs.value = "p1";
    thumbs.dispatchEvent(new window.Event("change"));
    const srcs = Array.from(document.querySelectorAll("#heads .card img")).map((i) => i.getAttribute("src")!);
    assert.deepEqual(srcs.sort(), ["img/p1-L0H0.png", "img/p1-L0H1.png"]);
    for (const src of srcs) assert.ok(src in tinySite());
    // back to the grid: layer-head order, the filtered head dimmed but in its place
    sortBy.value = "grid";
    sortBy.dispatchEvent(new window.Event("change"));
    assert.deepEqual(order(), ["L0H0", "L0H1"]);
    assert.deepEqual(shown(), ["L0H1"]);
  });
});

describe("prompts", () => {
  test("built-in symbol prompts have the length asked, with <bos> first", () => {
    const ps = symbolPrompts(symbolVocab(8), 21, 0);
    assert.ok(ps.length >= 4);
    for (const p of ps) {
      assert.equal(p.ids.length, 21, p.name);
      assert.equal(p.ids[0], 8);
      assert.equal(p.tokens[0], "<bos>");
      assert.ok(p.ids.every((id) => id >= 0 && id <= 8));
    }
  });

  test("a prompt file: ids per line for a model without tokenizer, JSON lines, and errors naming the line", () => {
    assert.deepEqual(parsePromptFile("1 2 3\n\n4 5\n", null, 10).map((p) => p.ids), [[1, 2, 3], [4, 5]]);
    assert.deepEqual(parsePromptFile('{"tokens": [0, 9]}\n', null, 10)[0].ids, [0, 9]);
    assert.throws(() => parsePromptFile("1 2\nhello\n", null, 10), /line 2: this model has no tokenizer/);
    assert.throws(() => parsePromptFile("1 12\n", null, 10), /line 1: token id 12 is not in the model's vocabulary/);
    assert.throws(() => parsePromptFile('{"tokens": [1]}\n{oops\n', null, 10), /line 2 is not JSON/);
    assert.throws(() => parsePromptFile("\n\n", null, 10), /no prompt/);
  });
});

describe("the reproduction", () => {
  test("on the trained induction model: a previous-token head in layer 0, an induction head in layer 1, sane patterns, a whole site", { timeout: 120_000 }, async () => {
    const logs: string[] = [];
    const ctx: ReproContext = {
      full: false,
      seed: 0,
      options: {},
      progress: () => {},
      log: (l) => logs.push(l),
      loadModel: () => Promise.reject(new Error("no --model in this test")),
      reportPath: "/tmp/x/report.html",
    };
    const out = await attentionAtlas.run(ctx);
    const failed = out.checks.filter((c) => !c.pass);
    assert.deepEqual(failed, [], JSON.stringify(failed));
    assert.equal(out.checks.length, 6);
    const data = out.data as { previousTokenHead: { layer: number; score: number }; inductionHead: { layer: number; score: number } };
    assert.equal(data.previousTokenHead.layer, 0);
    assert.equal(data.inductionHead.layer, 1);
    assert.equal(out.files!.dir, "/tmp/x/report-site");
    const files = out.files!.files;
    // 2 layers × 4 heads: 8 head pages, a page and 8 thumbnails per prompt
    const prompts = Object.keys(files).filter((f) => f.startsWith("prompts/")).length;
    assert.equal(Object.keys(files).filter((f) => f.startsWith("heads/")).length, 8);
    assert.equal(Object.keys(files).filter((f) => f.startsWith("img/")).length, 8 * prompts);
    assert.deepEqual(brokenLinks(files), []);
    // the report's first section links to the site, relative to the report
    assert.match(out.sections[0].svg!, /href="report-site\/index.html"/);
  });
});

describe("dgpt repro attention-atlas", () => {
  const tmp = mkdtempSync(join(tmpdir(), "dgpt-atlas-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  /** A random 2-layer model with a character tokenizer that lacks most letters (so some built-in prompts cannot be encoded). */
  async function tinyModelDir(): Promise<string> {
    const dir = join(tmp, "model");
    const tok = CharTokenizer.fromText("The cat sat on the mat. dog rug");
    await saveModelDir(dir, new HookedTransformer({ n_layers: 2, d_model: 16, n_heads: 2, d_vocab: tok.vocabSize, n_ctx: 24, attn_only: true, seed: 1 }));
    await saveTokenizerFile(join(dir, "tokenizer.json"), tok);
    return dir;
  }

  test("on a saved model: the built-in prompts it can encode, the report and the site", { timeout: 60_000 }, async () => {
    const model = await tinyModelDir();
    const out = join(tmp, "r.html");
    const r = await dgptHere(["repro", "attention-atlas", "--model", model, "--out", out, "--json", join(tmp, "r.json")]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /left out \d+ built-in prompt/);
    assert.match(r.out, /checks pass/);
    assert.match(r.out, /wrote \d+ files in .*r-site/);
    const site = join(tmp, "r-site");
    for (const f of ["index.html", "heads/L1H1.html", "prompts/p0.html", "img/p0-L1H1.png"]) assert.ok(existsSync(join(site, f)), f);
    // the index's links resolve to files on disk
    const { document } = parseHTML(readFileSync(join(site, "index.html"), "utf8"));
    const links = Array.from(document.querySelectorAll("a[href], img[src]")).map((e) => e.getAttribute("href") ?? e.getAttribute("src")!);
    assert.ok(links.length > 8);
    for (const l of links) assert.ok(existsSync(join(site, l.split("#")[0])), l);
    const rec = JSON.parse(readFileSync(join(tmp, "r.json"), "utf8"));
    const sane = rec.checks.filter((c: { what: string }) => /row sum|later keys|link/.test(c.what));
    assert.equal(sane.length, 3);
    assert.ok(sane.every((c: { pass: boolean }) => c.pass));
    assert.match(readFileSync(out, "utf8"), /href="r-site\/index.html"/);

    // again into the same site folder: refused without --overwrite, before any work
    const again = await dgptHere(["repro", "attention-atlas", "--model", model, "--out", join(tmp, "r2.html"), "--site", site]);
    assert.notEqual(again.code, 0);
    assert.match(again.err, /--site .*r-site already holds .*--overwrite/);
  });

  test("--prompts FILE, and bad prompts named by flag and line", { timeout: 60_000 }, async () => {
    const model = existsSync(join(tmp, "model")) ? join(tmp, "model") : await tinyModelDir();
    const prompts = join(tmp, "prompts.jsonl");
    writeFileSync(prompts, '{"text": "The cat sat."}\n{"tokens": [1, 2, 3, 1, 2, 3]}\n');
    const r = await dgptHere(["repro", "attention-atlas", "--model", model, "--prompts", prompts, "--out", join(tmp, "p.html"), "--json", join(tmp, "p.json"), "--site", join(tmp, "p-site")]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(readFileSync(join(tmp, "p.json"), "utf8")).data.prompts.map((p: { ids: number[] }) => p.ids.length), [12, 6]);
    assert.ok(existsSync(join(tmp, "p-site", "prompts", "p1.html")));

    writeFileSync(prompts, '{"text": "The cat sat."}\n{"text": "zebra"}\n');
    const bad = await dgptHere(["repro", "attention-atlas", "--model", model, "--prompts", prompts, "--out", join(tmp, "b.html"), "--site", join(tmp, "b-site")]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /--prompts .*prompts.jsonl: line 2: /);
    const missing = await dgptHere(["repro", "attention-atlas", "--model", model, "--prompts", join(tmp, "nope.txt"), "--out", join(tmp, "c.html"), "--site", join(tmp, "c-site")]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /--prompts .*nope.txt/);
  });
});
