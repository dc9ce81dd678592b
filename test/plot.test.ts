import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  barChart,
  heatmap,
  heatmapGrid,
  htmlPage,
  imageGrid,
  installNodePlotDocument,
  linePlot,
  plotDocument,
  scatterPlot,
  setPlotDocument,
  writePlot,
} from "../src/plot/index.node.js";

// ------------------------------------------------------------------------------------------------
// helpers: a small XML well-formedness check, element counting inside one mark's <g>

const ENTITY = /^&(?:#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos);/i;

/** Asserts that `xml` is well-formed enough for any XML parser: balanced tags, one root, no raw `<`
 *  or bare `&` in text or attributes, no characters XML forbids. */
function assertWellFormed(xml: string): void {
  // eslint-disable-next-line no-control-regex
  assert.ok(!/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(xml), "contains a control character XML forbids");
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  const tag = /^<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/;
  while (i < xml.length) {
    const c = xml[i];
    if (c === "&") {
      assert.ok(ENTITY.test(xml.slice(i, i + 12)), `bare & at ${i}: ${JSON.stringify(xml.slice(i - 20, i + 20))}`);
      i++;
      continue;
    }
    if (c !== "<") {
      i++;
      continue;
    }
    if (xml.startsWith("<!--", i)) {
      const end = xml.indexOf("-->", i);
      assert.ok(end > 0, "unclosed comment");
      i = end + 3;
      continue;
    }
    const m = tag.exec(xml.slice(i, i + 100_000));
    assert.ok(m, `malformed tag at ${i}: ${JSON.stringify(xml.slice(i, i + 60))}`);
    const [whole, close, name, attrs, selfClose] = m;
    for (let k = attrs!.indexOf("&"); k >= 0; k = attrs!.indexOf("&", k + 1)) {
      assert.ok(ENTITY.test(attrs!.slice(k, k + 12)), `bare & in attributes of <${name}>: ${attrs}`);
    }
    if (close) {
      assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    } else if (!selfClose) {
      if (stack.length === 0) roots++;
      stack.push(name!);
    } else if (stack.length === 0) {
      roots++;
    }
    i += whole.length;
  }
  assert.deepEqual(stack, [], "unclosed elements");
  assert.equal(roots, 1, "exactly one root element");
}

/** The markup inside the first <g aria-label="LABEL"> (Plot names each mark's group). */
function markGroup(svg: string, label: string): string {
  const m = new RegExp(`<g[^>]*aria-label="${label}"[^>]*>([\\s\\S]*?)</g>`).exec(svg);
  assert.ok(m, `no <g aria-label="${label}"> in the SVG`);
  return m[1]!;
}

function count(s: string, re: RegExp): number {
  return (s.match(re) ?? []).length;
}

/** All text contents of <text> elements, entities decoded. */
function texts(svg: string): string[] {
  const out: string[] = [];
  for (const m of svg.matchAll(/<text[^>]*>([\s\S]*?)<\/text>/g)) {
    out.push(
      m[1]!
        .replace(/<[^>]+>/g, "")
        .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, "&"),
    );
  }
  return out;
}

/** "rgb(r, g, b)" or "#rrggbb" to [r, g, b]. */
function rgb(c: string): number[] {
  const m = /^rgb\((\d+), ?(\d+), ?(\d+)\)$/.exec(c);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const h = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(c);
  assert.ok(h, `unexpected colour ${c}`);
  return [parseInt(h[1]!, 16), parseInt(h[2]!, 16), parseInt(h[3]!, 16)];
}

function assertStandaloneSvg(svg: string): void {
  assert.ok(svg.startsWith("<svg "), "starts with <svg");
  assert.ok(svg.endsWith("</svg>"));
  assert.match(svg.slice(0, 200), /xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assertWellFormed(svg);
}

const HAS_RSVG = spawnSync("rsvg-convert", ["--version"]).status === 0;

// ------------------------------------------------------------------------------------------------
// linePlot

test("linePlot: title, axis labels, legend, one path per series", () => {
  const svg = linePlot({
    title: "Training loss",
    series: [
      { name: "train", x: [0, 1, 2, 3], y: [3, 2, 1.5, 1.2] },
      { name: "val", x: [0, 2], y: [3.1, 1.8] },
    ],
    xLabel: "step",
    yLabel: "loss",
  });
  assertStandaloneSvg(svg);
  const t = texts(svg);
  assert.ok(t.includes("Training loss"));
  assert.ok(t.some((s) => s.includes("step")), "x label");
  assert.ok(t.some((s) => s.includes("loss") && s !== "Training loss"), "y label");
  assert.ok(t.includes("train") && t.includes("val"), "legend names");
  // two line marks, each with one path whose vertex count is the series length
  const lines = [...svg.matchAll(/<g[^>]*aria-label="line"[^>]*>([\s\S]*?)<\/g>/g)].map((m) => m[1]!);
  assert.equal(lines.length, 2);
  assert.deepEqual(lines.map((g) => count(g, /<path/g)), [1, 1]);
  const vertices = lines.map((g) => count(/d="([^"]*)"/.exec(g)![1]!, /[ML]/g));
  assert.deepEqual(vertices, [4, 2]);
  assert.ok(svg.includes('width="1000"') && svg.includes('height="400"'), "default size: a page card's width");
});

test("linePlot: NaN and infinite points are skipped, the line joins the rest", () => {
  const svg = linePlot({ series: [{ name: "loss", x: [0, 1, 2, 3, 4], y: [1, NaN, 0.5, Infinity, 0.25] }] });
  const d = /d="([^"]*)"/.exec(markGroup(svg, "line"))![1]!;
  assert.equal(count(d, /[ML]/g), 3);
  assert.ok(!d.includes("NaN"));
  // a single series needs no legend
  assert.ok(!texts(svg).includes("loss"));
});

test("linePlot: logY draws a log axis; dots series gives circles; typed arrays accepted", () => {
  const x = new Float32Array([1, 2, 3, 4]);
  const svg = linePlot({
    series: [
      { name: "data", x, y: new Float64Array([10, 1, 0.1, 0.01]), mark: "dots" },
      { name: "fit", x: [1, 4], y: [10, 0.01] },
    ],
    logY: true,
    width: 500,
    height: 300,
  });
  assertStandaloneSvg(svg);
  assert.equal(count(markGroup(svg, "dot"), /<circle/g), 4);
  const t = texts(svg);
  for (const label of ["0.01", "0.1", "1", "10"]) assert.ok(t.includes(label), `log tick ${label}`);
  assert.ok(svg.includes('width="500"') && svg.includes('height="300"'));
});

test("linePlot: yRules draws labelled horizontal reference lines", () => {
  const svg = linePlot({ series: [{ name: "D", x: [1, 10, 100], y: [1, 0.5, 0.4], mark: "dots" }], logX: true, yDomain: [0, 1.1], yRules: [{ y: 1, label: "1" }, { y: 0.5, label: "1/2" }, { y: 0.4 }] });
  assertStandaloneSvg(svg);
  assert.equal(count(markGroup(svg, "rule"), /<line/g), 3);
  const t = texts(svg);
  assert.ok(t.includes("1/2"), "the rule's label is drawn");
  assert.throws(() => linePlot({ series: [{ name: "a", x: [1], y: [1] }], yRules: [{ y: NaN }] }), /linePlot: yRules\[0\] must be \{y, label\?\} with a finite y/);
  assert.throws(() => linePlot({ series: [{ name: "a", x: [1], y: [1] }], logY: true, yRules: [{ y: 0 }] }), /yRules\[0\]\.y is 0; a log y axis needs positive values/);
});

test("linePlot: validation errors name the argument", () => {
  assert.throws(() => linePlot({ series: [] }), /linePlot: series is empty/);
  assert.throws(
    () => linePlot({ series: [{ name: "val", x: [1, 2, 3], y: [1, 2] }] }),
    /linePlot: series\[0\] \("val"\): x has 3 values but y has 2/,
  );
  assert.throws(() => linePlot({ series: [{ name: "a", x: [], y: [] }] }), /series\[0\] \("a"\) is empty/);
  assert.throws(
    () => linePlot({ series: [{ name: "ok", x: [1], y: [1] }, { name: "bad", x: [1, 2], y: [NaN, NaN] }] }),
    /series\[1\] \("bad"\) has no finite \(x, y\) point/,
  );
  assert.throws(() => linePlot({ series: [{ name: "l", x: [1, 2], y: [1, 0] }], logY: true }), /series\[0\] \("l"\)\.y\[1\] is 0; a log y axis needs positive values/);
  assert.throws(() => linePlot({ series: [{ name: "l", x: [1, 2], y: ["1", 2] as unknown as number[] }] }), /series\[0\] \("l"\)\.y\[0\] must be a number/);
  assert.throws(() => linePlot({ series: [{ name: "l", x: [1], y: [1] }], width: -5 }), /linePlot: width must be a number between/);
  assert.throws(() => linePlot({ series: [{ name: "l", x: [1], y: [1] }], width: 1e9 }), /width must be a number between/);
  assert.throws(() => linePlot(null as unknown as Parameters<typeof linePlot>[0]), /linePlot: expected an options object/);
  assert.throws(() => linePlot({ series: [{ name: "l", x: [1], y: [1] }], title: "t", subtitle: "s", height: 120 }), /height 120 leaves only/);
});

test("linePlot: labels with <&>\" are escaped", () => {
  const name = `a<b & "c" > d`;
  const svg = linePlot({ title: name, series: [{ name, x: [0, 1], y: [0, 1] }, { name: "n2", x: [0, 1], y: [1, 0] }], xLabel: name, yLabel: name });
  assertStandaloneSvg(svg);
  assert.ok(!svg.includes("a<b"), "no raw <");
  assert.ok(svg.includes("a&lt;b &amp;"));
  const t = texts(svg);
  assert.ok(t.filter((s) => s.includes(name)).length >= 4, "title, legend, and both axis labels");
});

// ------------------------------------------------------------------------------------------------
// scatterPlot

test("scatterPlot: one circle per point, legend per group, decision regions as merged rects", () => {
  const points = [
    { x: -1, y: -1, group: 0 },
    { x: 1, y: 1, group: 1 },
    { x: 0.5, y: -0.5, group: 1 },
    { x: -0.5, y: 0.5, group: 2 },
  ];
  // 3 rows × 4 cols; runs of equal class per row: [0,0,1,1] → 2, [0,1,1,1] → 2, [2,2,2,2] → 1
  const values = [
    [0, 0, 1, 1],
    [0, 1, 1, 1],
    [2, 2, 2, 2],
  ];
  const svg = scatterPlot({
    title: "Decision regions",
    points,
    groupNames: ["cat", "dog", "eel"],
    background: { values, x: [-2, 2], y: [-2, 2] },
    xLabel: "x1",
    yLabel: "x2",
  });
  assertStandaloneSvg(svg);
  assert.equal(count(markGroup(svg, "dot"), /<circle/g), 4);
  assert.equal(count(markGroup(svg, "rect"), /<rect/g), 5);
  const t = texts(svg);
  for (const s of ["Decision regions", "cat", "dog", "eel"]) assert.ok(t.includes(s), s);
  assert.ok(t.some((s) => s.includes("x1")) && t.some((s) => s.includes("x2")));
  // class k's points and regions share colour k (regions lighter): the three dot fills differ
  const fills = new Set([...markGroup(svg, "dot").matchAll(/fill="([^"]+)"/g)].map((m) => m[1]));
  assert.equal(fills.size, 3);
});

test("scatterPlot: string groups in order of appearance; probability background; no groups", () => {
  const svg = scatterPlot({
    points: [
      { x: 0, y: 0, group: "b" },
      { x: 1, y: 1, group: "a" },
    ],
    background: { values: [[0, 0.25, 0.5, 1]], x: [0, 1], y: [0, 1], kind: "probability" },
  });
  assertStandaloneSvg(svg);
  const t = texts(svg);
  assert.ok(t.indexOf("b") < t.indexOf("a") && t.indexOf("b") >= 0, "legend b before a");
  assert.equal(count(markGroup(svg, "rect"), /<rect/g), 4);
  const plain = scatterPlot({ points: [{ x: 0, y: 0 }, { x: 1, y: 2 }, { x: 2, y: 1 }] });
  assert.equal(count(markGroup(plain, "dot"), /<circle/g), 3);
});

test("scatterPlot: validation errors name the argument", () => {
  assert.throws(() => scatterPlot({ points: [] }), /scatterPlot: points is empty/);
  assert.throws(() => scatterPlot({ points: [{ x: 0, y: NaN }] }), /points\[0\]\.y must be a finite number, got NaN/);
  assert.throws(() => scatterPlot({ points: [{ x: 0, y: 0, group: 1 }, { x: 1, y: 1 }] }), /points\[1\] has no group/);
  const p = [{ x: 0, y: 0, group: 0 }];
  assert.throws(() => scatterPlot({ points: p, background: { values: [[0, 1], [1]], x: [0, 1], y: [0, 1] } }), /background\.values\[1\] has 1 values but background\.values\[0\] has 2/);
  assert.throws(() => scatterPlot({ points: p, background: { values: [[0, 1.5]], x: [0, 1], y: [0, 1] } }), /background\.values\[0\]\[1\] is 1\.5; class ids must be non-negative integers/);
  assert.throws(() => scatterPlot({ points: p, background: { values: [[0, 1.5]], x: [0, 1], y: [0, 1], kind: "probability" } }), /background\.values\[0\]\[1\] is 1\.5; probabilities must lie in \[0, 1\]/);
  assert.throws(() => scatterPlot({ points: p, background: { values: [[0]], x: [1, 0], y: [0, 1] } }), /background\.x must be \[lo, hi\] with finite lo < hi/);
  assert.throws(() => scatterPlot({ points: p, background: { values: [], x: [0, 1], y: [0, 1] } }), /background\.values is empty/);
});

// ------------------------------------------------------------------------------------------------
// heatmap

test("heatmap: one rect per finite cell, token labels, colour legend", () => {
  const toks = [" The", " cat", " sat"];
  const values = [
    [1, NaN, NaN],
    [0.3, 0.7, NaN],
    [0.2, 0.3, 0.5],
  ];
  const svg = heatmap({ title: "Attention L0H1", values, rowLabels: toks, colLabels: toks, xLabel: "key", yLabel: "query", colorLabel: "weight", domain: [0, 1] });
  assertStandaloneSvg(svg);
  assert.equal(count(markGroup(svg, "cell"), /<rect/g), 6, "masked (NaN) cells are blank");
  const t = texts(svg);
  // token labels keep their leading space (drawn as a no-break space)
  for (const tok of toks) assert.equal(t.filter((s) => s === tok.replace(/ /g, "\u00a0")).length, 2, `row and column label ${JSON.stringify(tok)}`);
  for (const s of ["Attention L0H1", "weight", "0.0", "1.0"]) assert.ok(t.includes(s), s);
  assert.ok(t.some((s) => s.includes("key")) && t.some((s) => s.includes("query")));
  assert.match(svg, /<linearGradient id="dgpt-ramp-[a-z0-9]+"/);
  // cells come row by row: value 1 (first) must be drawn darker than value 0.2 (fourth) in "blues"
  const fills = [...markGroup(svg, "cell").matchAll(/fill="([^"]+)"/g)].map((m) => rgb(m[1]!));
  assert.equal(fills.length, 6);
  const sum = (c: number[]) => c[0]! + c[1]! + c[2]!;
  assert.ok(sum(fills[0]!) < sum(fills[3]!) - 200, `${fills[0]} darker than ${fills[3]}`);
  assert.ok(fills[0]![2]! > fills[0]![0]!, "blue");
});

test("heatmap: repeated labels are kept apart; diverging is symmetric around 0; cellText", () => {
  const values = [
    [-2, 1],
    [0.5, 0],
  ];
  const svg = heatmap({ values, rowLabels: ["the", "the"], colLabels: ["a", "a"], diverging: true, cellText: true });
  assertStandaloneSvg(svg);
  assert.equal(count(markGroup(svg, "cell"), /<rect/g), 4);
  const t = texts(svg);
  assert.equal(t.filter((s) => s === "the").length, 2);
  assert.equal(t.filter((s) => s === "a").length, 2);
  for (const s of ["-2", "1", "0.5", "0"]) assert.ok(t.includes(s), `cell text ${s}`);
  // ramp legend runs from -2 to 2 with 0 in the middle
  for (const s of ["-2", "-1", "0", "1", "2"]) assert.ok(t.includes(s), `legend tick ${s}`);
  assert.equal(count(markGroup(svg, "text"), /<text/g), 4);
  // "rdbu" around 0: -2 is red, 1 is blue, 0 is near white
  const [neg, pos, , zero] = [...markGroup(svg, "cell").matchAll(/fill="([^"]+)"/g)].map((m) => rgb(m[1]!));
  assert.ok(neg![0]! > neg![2]! + 50, `-2 is red: ${neg}`);
  assert.ok(pos![2]! > pos![0]! + 50, `1 is blue: ${pos}`);
  assert.ok(zero!.every((c) => c > 225), `0 is near white: ${zero}`);
  const custom = heatmap({ values, cellText: [["p", "q"], ["r", "s"]] });
  assert.deepEqual(texts(markGroup(custom, "text")), ["p", "q", "r", "s"]);
});

test("heatmap: labels with <&>\" and control characters are escaped", () => {
  const labels = ['<a href="x">', "&amp;", "\n", "\u0001"];
  const svg = heatmap({ title: "<b>&", values: [[1, 2, 3, 4]], rowLabels: ['x"y'], colLabels: labels });
  assertStandaloneSvg(svg);
  assert.ok(!svg.includes("<a href") && !svg.includes("<b>"));
  const t = texts(svg);
  assert.ok(t.includes("<b>&"));
  assert.ok(t.includes('<a\u00a0href="x">'));
  assert.ok(t.includes("&amp;"), "a literal '&amp;' label shows as typed");
  assert.ok(t.includes("\\n"), "newline shown as \\n");
  assert.ok(t.includes("\uFFFD"), "control character replaced");
  assert.ok(t.includes('x"y'));
});

test("heatmap: validation errors name the argument", () => {
  assert.throws(() => heatmap({ values: [] }), /heatmap: values is empty/);
  assert.throws(() => heatmap({ values: [[]] }), /heatmap: values\[0\] is empty/);
  assert.throws(() => heatmap({ values: [[1, 2], [3]] }), /values\[1\] has 1 values but values\[0\] has 2/);
  assert.throws(() => heatmap({ values: [[NaN, -Infinity]] }), /values has no finite value/);
  assert.throws(() => heatmap({ values: [[1, 2]], rowLabels: ["a", "b"] }), /rowLabels has 2 entries but 1 are needed/);
  assert.throws(() => heatmap({ values: [[1, 2]], colLabels: ["a"] }), /colLabels has 1 entries but 2 are needed/);
  assert.throws(() => heatmap({ values: [[1, 2]], colorScheme: "nope" }), /colorScheme "nope" is not a known colour scheme/);
  assert.throws(() => heatmap({ values: [[1, 2]], domain: [1, 1] }), /domain must be \[lo, hi\]/);
  assert.throws(() => heatmap({ values: [[1, 2]], cellText: [["a"]] }), /cellText\[0\] has 1 entries but 2 are needed/);
  assert.throws(() => heatmap({ values: [[1, "x" as unknown as number]] }), /values\[0\]\[1\] must be a number/);
  assert.throws(() => heatmap({ values: Array.from({ length: 4097 }, () => new Float32Array(4097)) }), /values is 4097×4097, more than the 16777216 cells/);
});

// ------------------------------------------------------------------------------------------------
// barChart

test("barChart: one rect per bar, vertical and horizontal, labels escaped", () => {
  const labels = [" Paris", " London", "<&>\""];
  const values = [3.5, -1, 0.25];
  for (const horizontal of [false, true]) {
    const svg = barChart({ title: "Top logits", labels, values, horizontal, xLabel: "token", yLabel: "logit" });
    assertStandaloneSvg(svg);
    assert.equal(count(markGroup(svg, "bar"), /<rect/g), 3);
    const t = texts(svg);
    assert.ok(t.includes("Top logits"));
    assert.ok(t.includes("\u00a0Paris") && t.includes("<&>\""));
    assert.ok(t.some((s) => s.includes("token")) && t.some((s) => s.includes("logit")));
    // the negative bar has its own colour
    const fills = [...markGroup(svg, "bar").matchAll(/fill="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(fills[0], fills[2]);
    assert.notEqual(fills[0], fills[1]);
  }
});

test("barChart: validation errors name the argument", () => {
  assert.throws(() => barChart({ labels: ["a", "b"], values: [1] }), /barChart: labels has 2 entries but values has 1/);
  assert.throws(() => barChart({ labels: [], values: [] }), /barChart: values is empty/);
  assert.throws(() => barChart({ labels: ["a"], values: [NaN] }), /barChart: values\[0\] is NaN; values must be finite/);
  assert.throws(() => barChart({ labels: [1 as unknown as string, {} as unknown as string], values: [1, 2] }), /labels\[1\] must be a string/);
  assert.throws(() => barChart({ labels: ["a"], values: [1], color: "red; x" }), /color must be a CSS colour/);
});

// ------------------------------------------------------------------------------------------------
// htmlPage, files, document

test("htmlPage: self-contained page, escaped text, inline SVGs", () => {
  const a = linePlot({ title: "A", series: [{ name: "s", x: [0, 1], y: [0, 1] }] });
  const b = heatmap({ title: "B", values: [[0, 1]] });
  const page = htmlPage("Run <1> & co", [
    { heading: "Loss <curve>", svg: a, caption: "train & \"val\"" },
    { heading: "Attention", svg: `<?xml version="1.0"?>\n${b}` },
  ]);
  assert.ok(page.startsWith("<!DOCTYPE html>"));
  assert.match(page, /<meta charset="utf-8">/);
  assert.ok(page.includes("<title>Run &lt;1&gt; &amp; co</title>"));
  assert.ok(page.includes("<h2>Loss &lt;curve&gt;</h2>"));
  assert.ok(page.includes("<figcaption>train &amp; &quot;val&quot;</figcaption>"));
  assert.equal(count(page, /<figure>\n<svg xmlns=/g), 2);
  assert.ok(!page.includes("<?xml"));
  assert.ok(page.includes(a) && page.includes(b));
  // nothing to fetch: no scripts, links, imports or URLs other than the SVG namespace
  assert.ok(!/<script|<link|@import|\bsrc=|href=/i.test(page));
  const urls = page.match(/https?:\/\/[^\s"')]+/g) ?? [];
  assert.deepEqual([...new Set(urls)], ["http://www.w3.org/2000/svg"]);
  assert.throws(() => htmlPage("t", [{ heading: "h", svg: "<div>x</div>" }]), /htmlPage: sections\[0\]\.svg must be SVG markup/);
  assert.throws(() => htmlPage("t", [{ heading: 3 as unknown as string, svg: a }]), /sections\[0\]\.heading must be a string/);
  assert.throws(() => htmlPage("t", "x" as unknown as []), /sections must be an array/);
});

test("writePlot: writes atomically, checks content against the extension", async () => {
  const dir = await mkdtemp(join(tmpdir(), "dgpt-plot-"));
  try {
    const svg = barChart({ labels: ["a"], values: [1] });
    const path = join(dir, "bars.svg");
    await writeFile(path, "old");
    await writePlot(path, svg);
    assert.equal(await readFile(path, "utf8"), svg);
    const page = htmlPage("p", [{ heading: "h", svg }]);
    await writePlot(join(dir, "page.html"), page);
    assert.equal(await readFile(join(dir, "page.html"), "utf8"), page);
    await assert.rejects(writePlot(join(dir, "x.svg"), page), /ends in \.svg but the content is an HTML page/);
    await assert.rejects(writePlot(join(dir, "x.svg"), "hello"), /neither SVG/);
    await assert.rejects(writePlot(join(dir, "missing", "x.svg"), svg));
    assert.equal(await readFile(path, "utf8"), svg, "failed writes leave the old file alone");
    assert.deepEqual((await readdir(dir)).sort(), ["bars.svg", "page.html"], "no temp files left");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("without a DOM document the core says how to get one", () => {
  setPlotDocument(null);
  try {
    assert.throws(() => plotDocument(), /no DOM document.*decoding-gpt\/node/);
    assert.throws(() => barChart({ labels: ["a"], values: [1] }), /no DOM document/);
  } finally {
    installNodePlotDocument();
  }
  assert.ok(barChart({ labels: ["a"], values: [1] }).startsWith("<svg"));
});

test("every chart parses with librsvg (strict XML) when rsvg-convert is installed", { skip: !HAS_RSVG && "rsvg-convert not installed" }, () => {
  const svgs = [
    linePlot({ title: "t & <u>", series: [{ name: "a", x: [1, 2], y: [1, 2] }, { name: "b\u0002", x: [1, 2], y: [2, 1] }], logY: true }),
    scatterPlot({ points: [{ x: 0, y: 0, group: "<x>" }], background: { values: [[0, 1]], x: [-1, 1], y: [-1, 1] } }),
    heatmap({ values: [[1, NaN], [0, -1]], rowLabels: ["<&>", "\t"], colLabels: ['"', "'"], diverging: true, cellText: true }),
    barChart({ labels: ["&", "<"], values: [1, -1], horizontal: true }),
  ];
  for (const svg of svgs) {
    const png = execFileSync("rsvg-convert", ["-f", "png"], { input: svg });
    assert.ok(png.subarray(1, 4).toString() === "PNG" && png.length > 500);
  }
});

// ------------------------------------------------------------------------------------------------
// pages that read well: margins that fit the tick labels, legible heatmap cells, small multiples,
// labelled image grids, anchors and compact cards (the browser checks are in test/pages.test.ts)

test("tick labels get the margin they need: wide y ticks move the axis right", () => {
  const svg = barChart({ labels: ["1", "2", "3"], values: [100_000, 200_000, 300_000], yLabel: "occurrences" });
  // the y tick labels are right-aligned 9 px left of the axis at x = marginLeft
  const axis = /aria-label="y-axis tick label"[^>]*>\s*<text transform="translate\(([\d.]+),/.exec(svg);
  assert.ok(axis, "y tick labels drawn");
  const marginLeft = Number(axis[1]);
  // "300,000" is 7 characters of 10 px type: about 42 px, plus the 9 px offset
  assert.ok(marginLeft - 9 >= 42, `marginLeft ${marginLeft} leaves room for "300,000"`);
  const small = barChart({ labels: ["1"], values: [5] });
  const smallAxis = Number(/aria-label="y-axis tick label"[^>]*>\s*<text transform="translate\(([\d.]+),/.exec(small)![1]);
  assert.equal(smallAxis, 40, "short labels keep Plot's default margin");
});

test("heatmap: cells with text are wide enough for it, and a wide heatmap keeps its size", () => {
  const words = ["␣resolved", "Citizen", "a", "↵"];
  const values = [Array.from({ length: 40 }, (_, j) => j / 40)];
  const svg = heatmap({ values, cellText: [values[0]!.map((_, j) => words[j % 4]!)] });
  const rect = /aria-label="cell"[\s\S]*?<rect[^>]*width="([\d.]+)"/.exec(svg)!;
  // "␣resolved" is 9 characters of 11 px type, about 59 px
  assert.ok(Number(rect[1]) >= 59, `cell width ${rect[1]}`);
  const width = Number(/^<svg[^>]*width="(\d+)"/.exec(svg)![1]);
  assert.ok(width > 40 * 59, "40 such cells make the figure wider than a page card");
  assert.match(svg, /^<svg[^>]*style="max-width: none"/, "it scrolls on the page rather than shrinking");
  const font = /<g[^>]*font-size="([\d.]+)"[^>]*aria-label="text"/.exec(svg);
  assert.ok(font && Number(font[1]) >= 11, `cell text at 11 px: ${font?.[1]}`);
  // a very long token is cut rather than widening every cell
  const long = heatmap({ values: [[0, 1]], cellText: [["x".repeat(60), "y"]] });
  const cut = texts(markGroup(long, "text"));
  assert.ok(cut[0]!.endsWith("…") && cut[0]!.length < 20, `cut: ${cut[0]}`);
});

test("heatmap: a long colour-legend label widens a narrow figure instead of being cut", () => {
  const label = "restored: (patched − corrupted) / (clean − corrupted)";
  const svg = heatmap({ values: [[0, 1]], colorLabel: label });
  assert.ok(texts(svg).includes(label), "the label is drawn whole");
});

test("heatmapGrid: one linked tile per (row, column), masked cells grey", () => {
  const tile = [[1, NaN], [0.5, 0.5]];
  const svg = heatmapGrid({ tiles: [[tile, tile], [tile, tile]], rowLabels: ["layer 0", "layer 1"], colLabels: ["H0", "H1"], links: [["#L0H0", "#L0H1"], ["#L1H0", "#L1H1"]] });
  assertStandaloneSvg(svg);
  assert.deepEqual([...svg.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]), ["#L0H0", "#L0H1", "#L1H0", "#L1H1"]);
  // spaces in labels are non-breaking, as in heatmap's
  for (const s of ["layer\u00a00", "layer\u00a01", "H0", "H1"]) assert.ok(texts(svg).includes(s), `label ${s}`);
  assert.equal(count(svg, /fill="#f0f0f0"/g), 4, "the masked cell of each tile");
  assert.throws(() => heatmapGrid({ tiles: [[tile], []] }), /heatmapGrid: tiles must be/);
});

test("imageGrid: each image with its label under it", () => {
  const pixels = new Float32Array(4 * 3).fill(0);
  pixels[5] = 1;
  const svg = imageGrid({ images: [{ pixels, label: "3→5" }, { pixels, label: "7→1" }], imageWidth: 4, imageHeight: 3, scale: 5 });
  assertStandaloneSvg(svg);
  assert.deepEqual(texts(svg).filter((t) => t.includes("→")), ["3→5", "7→1"]);
  assert.equal(count(svg, /fill="rgb\(0,0,0\)"/g), 2, "one black pixel per image, white ones left to the background");
  assert.throws(() => imageGrid({ images: [{ pixels: [1, 2] }], imageWidth: 4, imageHeight: 3 }), /images\[0\]\.pixels has 2 values but 3×4 = 12/);
});

test("htmlPage: anchors, compact cards and text-only sections", () => {
  const svg = barChart({ labels: ["a"], values: [1] });
  const page = htmlPage("p", [
    { heading: "Setup", caption: "clean: a\ncorrupted: b" },
    { heading: "L0H1", svg, id: "L0H1", compact: true },
  ]);
  assert.ok(page.includes('<section>\n<h2>Setup</h2>\n<p class="text">clean: a\ncorrupted: b</p>\n</section>'));
  assert.ok(page.includes('<section id="L0H1" class="compact">'));
  assert.throws(() => htmlPage("p", [{ heading: "x", svg, id: "1 bad" }]), /sections\[0\]\.id must start with a letter/);
  assert.throws(() => htmlPage("p", [{ heading: "x" }]), /sections\[0\] needs an svg, a caption or a table/);
});

test("htmlPage: a section's table is escaped, rows may carry pass/fail, and a malformed one is refused", () => {
  const page = htmlPage("p", [{ heading: "Checks", table: { header: ["check", "verdict"], rows: [["a < b", "x"], { cells: ["c", "pass"], class: "pass" }] } }]);
  assert.ok(page.includes("<thead><tr><th>check</th><th>verdict</th></tr></thead>"));
  assert.ok(page.includes("<tr><td>a &lt; b</td><td>x</td></tr>"));
  assert.ok(page.includes('<tr class="pass"><td>c</td><td>pass</td></tr>'));
  assert.throws(() => htmlPage("p", [{ heading: "x", table: { header: ["a", "b"], rows: [["only one"]] } }]), /sections\[0\]\.table rows\[0\] must hold 2 strings/);
  assert.throws(() => htmlPage("p", [{ heading: "x", table: { header: ["a"], rows: [{ cells: ["1"], class: "green" }] } as never }]), /class must be "pass" or "fail"/);
});

test("linePlot: a short integer x axis has a tick at each integer, a long one does not", () => {
  const xTicks = (svg: string) => {
    const axis = /aria-label="x-axis tick label">([\s\S]*?)<\/g>/.exec(svg)![1]!;
    return [...axis.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
  };
  const short = linePlot({ series: [{ name: "a", x: [1, 2, 3, 4, 5, 6], y: [1, 2, 1, 2, 1, 2] }], xLabel: "step" });
  assert.deepEqual(xTicks(short), ["1", "2", "3", "4", "5", "6"]);
  const fractional = linePlot({ series: [{ name: "a", x: [0.5, 1, 1.5], y: [1, 2, 3] }] });
  assert.ok(xTicks(fractional).some((t) => /\.\d/.test(t!)));
  const long = linePlot({ series: [{ name: "a", x: Array.from({ length: 100 }, (_, i) => i), y: Array.from({ length: 100 }, (_, i) => i) }] });
  assert.ok(xTicks(long).length < 20);
});
