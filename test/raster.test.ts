// Heatmap cells drawn as one PNG image (src/plot/raster.ts): the PNG decodes (with fast-png's own
// decoder) to the colour scale of the values, NaN transparent; base64 matches Node's; heatmap and
// heatmapGrid switch to an image above RASTER_CELLS and keep per-cell rects (with hover values)
// below it, with the same colours either way; the attention page's size estimate holds for the
// costliest attention-like patterns; --heads lists parse with errors that name the flag.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as Plot from "@observablehq/plot";
import { decode, convertIndexedToRgb } from "fast-png";
import { heatmap, heatmapGrid } from "../src/plot/index.node.js";
import { base64, cellPalette, cellsPng, RASTER_CELLS } from "../src/plot/raster.js";
import { attentionPage, attentionPageBytes } from "../src/cli/pages/attention.js";
import { parseHeadList, resolveHeads } from "../src/cli/options.js";

/** The blues scale over [0, 1] exactly as heatmap builds it, as [r, g, b]. */
const blues = Plot.scale({ color: { type: "linear", scheme: "blues", domain: [0, 1], clamp: true } }) as unknown as { apply(v: number): string };
const rgbOf = (c: string) => /^rgb\((\d+), ?(\d+), ?(\d+)\)$/.exec(c)!.slice(1, 4).map(Number);

/** A seeded uniform generator, so that failures repeat. */
function uniform(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** The RGBA pixels of an indexed PNG (opaque where the palette has no alpha). */
function pixels(png: Uint8Array): { width: number; height: number; rgba: Uint8Array } {
  const img = decode(png);
  assert.ok(img.palette, "an indexed PNG");
  const channels = img.palette[0]!.length;
  const colours = convertIndexedToRgb(img);
  const rgba = new Uint8Array(img.width * img.height * 4);
  for (let k = 0; k < img.width * img.height; k++) {
    for (let c = 0; c < 3; c++) rgba[k * 4 + c] = colours[k * channels + c]!;
    rgba[k * 4 + 3] = channels === 4 ? colours[k * channels + 3]! : 255;
  }
  return { width: img.width, height: img.height, rgba };
}

/** The PNG inside a data: URI of an SVG's first <image>. */
function imagePng(svg: string): Uint8Array {
  const m = /<image[^>]*href="data:image\/png;base64,([A-Za-z0-9+/=]+)"/.exec(svg);
  assert.ok(m, "an <image> with a PNG data URI");
  return new Uint8Array(Buffer.from(m[1]!, "base64"));
}

test("cellsPng round-trips through fast-png's decoder: the scale's colours, NaN transparent", () => {
  const rnd = uniform(1);
  const grid = Array.from({ length: 7 }, (_, i) => Array.from({ length: 9 }, (_, j) => (j > i ? NaN : i === 3 && j === 0 ? -0.5 : i === 4 && j === 1 ? 1.7 : rnd())));
  grid[6]![8] = Infinity; // not finite: blank too
  const png = cellsPng(grid, cellPalette((v) => blues.apply(v), [0, 1]));
  const { width, height, rgba } = pixels(png);
  assert.deepEqual([width, height], [9, 7], "one pixel per cell");
  let worst = 0;
  grid.forEach((row, i) =>
    row.forEach((v, j) => {
      const px = Array.from(rgba.subarray((i * width + j) * 4, (i * width + j) * 4 + 4));
      if (!Number.isFinite(v)) return assert.equal(px[3], 0, `cell (${i}, ${j}) = ${v} is transparent`);
      assert.equal(px[3], 255, `cell (${i}, ${j}) is opaque`);
      const want = rgbOf(blues.apply(v)); // clamped to the domain, as the vector cells are
      worst = Math.max(worst, ...want.map((c, k) => Math.abs(c - px[k]!)));
    }),
  );
  // the palette samples the scale at 255 steps: within one unit of the exact colour
  assert.ok(worst <= 1, `a pixel is ${worst} units from the scale's colour`);
  // on a palette step the colour is the scale's exactly
  const steps = [[0, 1 / 254, 100 / 254, 1]];
  const exact = pixels(cellsPng(steps, cellPalette((v) => blues.apply(v), [0, 1]))).rgba;
  steps[0]!.forEach((v, j) => assert.deepEqual(Array.from(exact.subarray(j * 4, j * 4 + 3)), rgbOf(blues.apply(v))));
  // an opaque blank colour (heatmapGrid's grey) has no transparency
  const grey = pixels(cellsPng([[NaN, 0]], cellPalette((v) => blues.apply(v), [0, 1], [240, 240, 240, 255]))).rgba;
  assert.deepEqual(Array.from(grey.subarray(0, 4)), [240, 240, 240, 255]);
});

test("base64 matches Node's for every length, and handles megabytes without Buffer", () => {
  const rnd = uniform(2);
  for (let n = 0; n < 10; n++) {
    const bytes = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
    assert.equal(base64(bytes), Buffer.from(bytes).toString("base64"), `${n} bytes`);
  }
  const big = Uint8Array.from({ length: 3_000_001 }, (_, i) => (i * 7919) & 255);
  assert.equal(base64(big), Buffer.from(big).toString("base64"));
});

test(`heatmap: above ${RASTER_CELLS} cells one PNG image, below it rects with hover values; same colours`, () => {
  const rnd = uniform(3);
  const n = 65; // 4225 cells: just above the threshold
  const values = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j > i ? NaN : rnd() ** 3)));
  const opts = { values, domain: [0, 1] as [number, number], xLabel: "key", yLabel: "query" };
  const raster = heatmap(opts);
  assert.match(raster, /<image [^>]*style="image-rendering:crisp-edges;image-rendering:pixelated"/);
  assert.match(raster, /<image [^>]*preserveAspectRatio="none"/);
  assert.match(raster, /<title>65 × 65 cells drawn as one image: values are not shown on hover<\/title>/);
  assert.equal((raster.match(/<rect/g) ?? []).length, 3, "no cell rects: the background, the frame and the legend's ramp");
  assert.ok(raster.length < 40_000, `${raster.length} bytes`);
  // the same grid as rects: one per finite cell, each with its value on hover
  const vector = heatmap({ ...opts, raster: false });
  const cells = [...vector.matchAll(/<rect fill="(rgb\([^"]+\))"[^>]*><title>([^<]*)<\/title><\/rect>/g)];
  assert.equal(cells.length, (n * (n + 1)) / 2);
  assert.equal(cells[1]![2], `query 1, key 0: ${Number(values[1]![0]!.toPrecision(3))}`);
  assert.ok(!vector.includes("<image"));
  // pixel (i, j) of the image has the colour of rect (i, j)
  const { width, rgba } = pixels(imagePng(raster));
  let k = 0;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const want = rgbOf(cells[k++]![1]!);
      worst = Math.max(worst, ...want.map((c, ch) => Math.abs(c - rgba[(i * width + j) * 4 + ch]!)));
    }
  }
  assert.ok(worst <= 1, `raster and vector cells differ by ${worst} units`);
  // below the threshold: rects by default; raster: true forces an image
  const small = values.slice(0, 64).map((row) => row.slice(0, 64));
  assert.ok(!heatmap({ values: small }).includes("<image"), "64 × 64 stays vector");
  assert.ok(heatmap({ values: small, raster: true }).includes("<image"));
  assert.throws(() => heatmap({ values: small, raster: "yes" as unknown as boolean }), /heatmap: raster must be a boolean/);
});

test("heatmap: an image holds grids past the rect limit, and long axes label every k-th row on round numbers", () => {
  const n = 700; // 490,000 cells: more than 250,000 rects could draw
  const values = Array.from({ length: n }, (_, i) => Float32Array.from({ length: n }, (_, j) => ((i + j) % 50) / 50));
  const svg = heatmap({ values, cellSize: 2 });
  const { width, height } = pixels(imagePng(svg));
  assert.deepEqual([width, height], [n, n]);
  // 2 px cells: every 10th label (12 px apart rounded up to a round step)
  const yTicks = [...svg.matchAll(/aria-label="y-axis tick label"[\s\S]*?<\/g>/g)][0]![0];
  const labels = [...yTicks.matchAll(/>(\d+)<\/text>/g)].map((m) => Number(m[1]));
  assert.deepEqual(labels.slice(0, 4), [0, 10, 20, 30]);
  assert.throws(() => heatmap({ values, raster: false }), /490000 marks is more than the 250000 one picture can hold \(raster: true draws the cells as one image\)/);
});

test("heatmapGrid: one image per tile for large grids, pooled to the tile's pixels, blank cells grey", () => {
  const n = 200;
  const tile = Array.from({ length: n }, (_, i) => Float32Array.from({ length: n }, (_, j) => (j === i ? 1 : 0.01)));
  const svg = heatmapGrid({ tiles: [[tile, tile]], links: [["#a", ""]], blank: (i, j) => j > i, tileSize: 50 });
  assert.equal((svg.match(/<image /g) ?? []).length, 2);
  assert.deepEqual([...svg.matchAll(/<a href="([^"]*)"/g)].map((m) => m[1]), ["#a"], "an empty link is no link");
  const { width, height, rgba } = pixels(imagePng(svg));
  assert.deepEqual([width, height], [50, 50], "max-pooled to the tile's 50 px");
  const px = (i: number, j: number) => Array.from(rgba.subarray((i * 50 + j) * 4, (i * 50 + j) * 4 + 4));
  assert.deepEqual(px(10, 10), [...rgbOf(blues.apply(1)), 255], "the diagonal survives pooling");
  assert.deepEqual(px(0, 49), [240, 240, 240, 255], "masked keys are grey");
  // a small grid stays rects
  const small = [[1, NaN], [0.5, 0.5]];
  assert.ok(!heatmapGrid({ tiles: [[small]] }).includes("<image"));
});

/** Softmax of random scores (σ = 1.5): a diffuse head, the costliest attention-like pattern measured. */
function diffuseHead(n: number, rnd: () => number): Float32Array[] {
  return Array.from({ length: n }, (_, i) => {
    const row = new Float32Array(n);
    let z = 0;
    for (let j = 0; j <= i; j++) {
      const g = Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
      row[j] = Math.exp(1.5 * g);
      z += row[j]!;
    }
    for (let j = 0; j <= i; j++) row[j]! /= z;
    return row;
  });
}

test("attention page: its size estimate bounds a page of diffuse heads; --heads draws only those cards", () => {
  const rnd = uniform(4);
  const n = 260;
  const [L, H] = [2, 4];
  const patterns = Array.from({ length: L }, () => Array.from({ length: H }, () => diffuseHead(n, rnd)));
  const tokens = Array.from({ length: n }, (_, i) => [" the", " cat", "\n", " sat"][i % 4]!);
  const html = attentionPage({ tokens, patterns });
  const estimate = attentionPageBytes(n, L * H, L * H);
  assert.ok(html.length <= estimate && html.length > 0.5 * estimate, `page ${html.length} bytes, estimated ${Math.round(estimate)}`);
  assert.equal((html.match(/<section id="L\dH\d"/g) ?? []).length, 8);
  const two = attentionPage({ tokens, patterns, heads: [[0, 1], [1, 3]] });
  assert.deepEqual([...two.matchAll(/<section id="(L\dH\d)"/g)].map((m) => m[1]), ["L0H1", "L1H3"]);
  assert.equal((two.match(/<a href="#/g) ?? []).length, 2, "only carded heads link from the overview");
  assert.ok(two.length <= attentionPageBytes(n, 2, L * H));
  assert.match(two, /hovering shows no values/);
});

test("--heads: layers and layer.head pairs, with errors that name the flag", () => {
  assert.deepEqual(parseHeadList("5, 9.6,10.7", "--heads"), [{ layer: 5 }, { layer: 9, head: 6 }, { layer: 10, head: 7 }]);
  assert.deepEqual(resolveHeads(parseHeadList("1.2,0,1.2", "--heads"), 2, 3, "--heads"), [[0, 0], [0, 1], [0, 2], [1, 2]], "model order, no repeats");
  for (const bad of ["", "5,", "a", "1.x", "-1", "1.2.3", "1..2", "1;2"]) {
    assert.throws(() => parseHeadList(bad, "--heads"), /^Error: --heads: .* is not a layer \(5\) or a layer\.head pair \(9\.6\)/, bad);
  }
  assert.throws(() => parseHeadList("5,,6", "--heads"), /--heads: an empty entry in "5,,6"/);
  assert.throws(() => resolveHeads(parseHeadList("12", "--heads"), 12, 12, "--heads"), /--heads: 12: there is no layer 12; the model has layers 0 to 11/);
  assert.throws(() => resolveHeads(parseHeadList("3.12", "--heads"), 12, 12, "--heads"), /--heads: 3\.12: there is no head 12; each layer has heads 0 to 11/);
});
