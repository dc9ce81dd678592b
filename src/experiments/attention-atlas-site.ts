// The attention atlas as a static site (after mivanit's pattern-lens): every head's pattern on
// every prompt, browsable by head and by prompt, with each head's statistics. The site is a map
// of files (path inside the site → content) that any writer can put in a folder; it works from
// file:// with no server and no external URL:
//   index.html             a card per head (thumbnail + statistics), in the layers × heads grid,
//                          sortable and filterable by any statistic (a short inline script), the
//                          statistics as layers × heads heatmaps, and the list of prompts;
//   heads/L{l}H{h}.html    one head: its statistics, and its pattern on every prompt with token labels;
//   prompts/p{i}.html      one prompt: its tokens and every head's pattern on it;
//   img/p{i}-L{l}H{h}.png  the thumbnails: a pixel per (query, key) cell, shown scaled up sharply.
import * as Plot from "@observablehq/plot";
import { heatmap } from "../plot/heatmap.js";
import { cellPalette, cellsPng } from "../plot/raster.js";
import { escapeXml } from "../plot/svg.js";
import { visibleToken } from "../plot/token-label.js";
import { HEAD_STATS, PATTERN_STATS, type HeadStatName, type HeadStatistics, type Pattern } from "../interp/attention-stats.js";

export interface AtlasPrompt {
  /** A short name ("repeated random tokens", or the prompt's first words). */
  name: string;
  /** The token texts, one per position (as the tokenizer writes them, or ids for a model without one). */
  tokens: string[];
}

export interface AtlasSiteInput {
  /** The model's name, for titles ("the induction model", "gpt2-small"). */
  model: string;
  /** A line about the model (layers, heads, how it was made). */
  about: string;
  prompts: AtlasPrompt[];
  /** patterns[prompt][layer][head][query][key]. */
  patterns: readonly (readonly (readonly Pattern[])[])[];
  statistics: HeadStatistics;
  /** Lines for the index's "about" box: the prompt caps, truncations, where the numbers come from. */
  notes: string[];
}

/**
 * Pattern cells the head pages draw as vector rects (one per cell, each showing its value on hover)
 * over the whole site; past it every pattern is an image (~100x smaller). At ~130 bytes a rect:
 * about 13 MB of pages at most. The 2-layer induction model's default atlas has ~18,000 cells.
 */
const VECTOR_SITE_CELLS = 100_000;

/** Thumbnails are shown this many CSS pixels square. */
const THUMB = 96;

export const headId = (l: number, h: number): string => `L${l}H${h}`;
const headPage = (l: number, h: number) => `heads/${headId(l, h)}.html`;
const promptPage = (p: number) => `prompts/p${p}.html`;
const thumbFile = (p: number, l: number, h: number) => `img/p${p}-${headId(l, h)}.png`;
/** A statistic's name as an HTML attribute and a menu value (data-previous-token …). */
const attr = (s: HeadStatName) => s.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());

/** A number for a card or a table: 3 significant digits. */
const fmt = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString()) : "–");

const CSS = `
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1f2328; font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; line-height: 1.45; }
main { max-width: 1200px; margin: 0 auto; padding: 20px 20px 48px; }
h1 { font-size: 1.5rem; margin: 0.3em 0 0.6em; }
h2 { font-size: 1.1rem; margin: 0 0 8px; }
nav { font-size: 0.9rem; margin-bottom: 8px; }
nav a { margin-right: 14px; }
section { background: white; border: 1px solid #d9dce1; border-radius: 8px; padding: 14px 18px; margin: 0 0 18px; }
section:target { outline: 3px solid #4269d0; }
.note { color: #555; font-size: 0.9rem; white-space: pre-wrap; margin: 0; }
figure { margin: 0; overflow-x: auto; display: inline-block; vertical-align: top; margin: 0 16px 10px 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.85rem; }
table { border-collapse: collapse; font-size: 0.85rem; }
th, td { border-bottom: 1px solid #e3e5e8; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f0f2f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img.pattern { image-rendering: crisp-edges; image-rendering: pixelated; border: 1px solid #d9dce1; background: #f0f0f0; display: block; }
.controls { display: flex; flex-wrap: wrap; gap: 8px 18px; align-items: center; font-size: 0.9rem; margin-bottom: 12px; }
.controls input[type=number] { width: 6em; }
.scroll { overflow-x: auto; }
#heads.grid { display: grid; gap: 10px; }
#heads.sorted { display: flex; flex-wrap: wrap; gap: 10px; }
.card { display: block; border: 1px solid #d9dce1; border-radius: 6px; padding: 6px; color: inherit; text-decoration: none; background: white; width: ${THUMB + 64}px; }
.card:hover { border-color: #4269d0; }
.card .name { font-weight: 600; font-size: 0.9rem; }
.card table { font-size: 0.72rem; width: 100%; }
.card td { padding: 0 2px; border: 0; }
#heads.grid .card.out { opacity: 0.15; }
#heads.sorted .card.out { display: none; }
.tokens { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85rem; display: flex; flex-wrap: wrap; gap: 3px; }
.tokens span { border: 1px solid #d9dce1; border-radius: 3px; padding: 0 3px; background: #f6f7f9; }
.tokens sub { color: #888; }
table.heads td { padding: 4px; border: 0; }
table.heads th { background: none; font-weight: 600; }
`.trim();

/** A page of the site: `depth` is how many folders below index.html it sits (for its links back). */
function page(title: string, body: string, depth: number, script = ""): string {
  const up = "../".repeat(depth);
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${escapeXml(title)}</title>\n<style>\n${CSS}\n</style>\n</head>\n<body>\n<main>\n` +
    `<nav><a href="${up}index.html">atlas: all heads</a></nav>\n<h1>${escapeXml(title)}</h1>\n${body}\n</main>\n` +
    (script ? `<script>\n${script}\n</script>\n` : "") +
    `</body>\n</html>\n`
  );
}

/** The prompt's tokens as small boxes with their positions. */
function tokenList(tokens: readonly string[]): string {
  return `<div class="tokens">${tokens.map((t, i) => `<span>${escapeXml(visibleToken(t))}<sub>${i}</sub></span>`).join("")}</div>`;
}

/** A copy of a pattern with the keys after each query NaN (blank in the figures). */
function masked(A: Pattern): Float64Array[] {
  return A.map((row, q) => {
    const out = new Float64Array(row.length).fill(NaN);
    for (let k = 0; k <= q && k < row.length; k++) out[k] = row[k]!;
    return out;
  });
}

/**
 * The script of index.html: sorts the head cards by a statistic (or keeps the layers × heads
 * grid) and marks the cards outside a filter range. Plain ES5 and the DOM only, so that it runs
 * from file:// in any browser (and in a test's stub DOM).
 */
export const INDEX_SCRIPT = `
(function () {
  var grid = document.getElementById("heads");
  var cards = Array.prototype.slice.call(grid.querySelectorAll(".card"));
  var sortBy = document.getElementById("sort-by");
  var order = document.getElementById("sort-order");
  var filterBy = document.getElementById("filter-by");
  var lo = document.getElementById("filter-min");
  var hi = document.getElementById("filter-max");
  var layer = document.getElementById("filter-layer");
  var count = document.getElementById("shown");
  var thumbs = document.getElementById("thumb-prompt");
  function value(card, stat) { return parseFloat(card.getAttribute("data-" + stat)); }
  function bound(input, dflt) { var v = parseFloat(input.value); return isNaN(v) ? dflt : v; }
  function update() {
    var stat = sortBy.value;
    var sorted = stat !== "grid";
    var list = cards.slice();
    if (sorted) {
      var sign = order.value === "desc" ? -1 : 1;
      list.sort(function (a, b) {
        var d = value(a, stat) - value(b, stat);
        return isNaN(d) ? (isNaN(value(a, stat)) ? 1 : -1) : sign * d;
      });
    }
    grid.className = sorted ? "sorted" : "grid";
    var min = bound(lo, -Infinity), max = bound(hi, Infinity), f = filterBy.value, shown = 0;
    for (var i = 0; i < list.length; i++) {
      var c = list[i];
      var v = value(c, f);
      var inRange = (min === -Infinity && max === Infinity) || (v >= min && v <= max);
      var inside = inRange && (layer.value === "all" || c.getAttribute("data-layer") === layer.value);
      c.className = inside ? "card" : "card out";
      if (inside) shown++;
      grid.appendChild(c);
    }
    count.textContent = shown + " of " + cards.length + " heads";
  }
  // the thumbnails show the chosen prompt: img/p{i}-L{l}H{h}.png
  function showPrompt() {
    for (var i = 0; i < cards.length; i++) {
      cards[i].querySelector("img").setAttribute("src", "img/" + thumbs.value + "-" + cards[i].getAttribute("data-id") + ".png");
    }
  }
  thumbs.addEventListener("change", showPrompt);
  var inputs = [sortBy, order, filterBy, lo, hi, layer];
  for (var i = 0; i < inputs.length; i++) {
    inputs[i].addEventListener("change", update);
    inputs[i].addEventListener("input", update);
  }
  update();
})();
`.trim();

/** The site: every file by its path inside the site folder. */
export function atlasSite(input: AtlasSiteInput): Record<string, string | Uint8Array> {
  const { prompts, patterns, statistics } = input;
  if (prompts.length === 0 || patterns.length !== prompts.length) throw new Error(`atlasSite: need one pattern set per prompt (${prompts.length} prompts, ${patterns.length} pattern sets)`);
  const L = patterns[0]!.length;
  const H = patterns[0]![0]!.length;
  const files: Record<string, string | Uint8Array> = {};
  const stats = statistics.stats;

  // thumbnails: blues over [0, 1], keys after the query blank (transparent: the page's grey shows)
  const blues = Plot.scale({ color: { type: "linear", scheme: "blues", domain: [0, 1], clamp: true } }) as unknown as { apply(v: number): string };
  const palette = cellPalette((v) => blues.apply(v), [0, 1]);
  patterns.forEach((layers, p) => layers.forEach((heads, l) => heads.forEach((A, h) => (files[thumbFile(p, l, h)] = cellsPng(masked(A), palette)))));
  const thumb = (p: number, l: number, h: number, up: string, size = THUMB) => `<img class="pattern" src="${up}${thumbFile(p, l, h)}" width="${size}" height="${size}" alt="${headId(l, h)} on prompt ${p}">`;

  // ---------------------------------------------------------------- index.html
  const options = HEAD_STATS.map((s) => `<option value="${attr(s.name)}">${escapeXml(s.label)}</option>`).join("");
  const controls =
    `<div class="controls">` +
    `<label>sort by <select id="sort-by"><option value="grid">layer, head (grid)</option>${options}</select></label>` +
    `<label><select id="sort-order"><option value="desc">highest first</option><option value="asc">lowest first</option></select></label>` +
    `<label>show heads with <select id="filter-by">${options}</select> from <input id="filter-min" type="number" step="any"> to <input id="filter-max" type="number" step="any"></label>` +
    `<label>layer <select id="filter-layer"><option value="all">all</option>${Array.from({ length: L }, (_, l) => `<option value="${l}">${l}</option>`).join("")}</select></label>` +
    `<label>thumbnails: prompt <select id="thumb-prompt">${prompts.map((pr, p) => `<option value="p${p}">p${p}: ${escapeXml(pr.name.length > 40 ? pr.name.slice(0, 39) + "…" : pr.name)}</option>`).join("")}</select></label>` +
    `<span id="shown"></span></div>`;
  const cards = [];
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < H; h++) {
      const data = HEAD_STATS.map((s) => ` data-${attr(s.name)}="${stats[s.name][l]![h]!}"`).join("");
      const rows = HEAD_STATS.map((s) => `<tr><td>${escapeXml(s.label)}</td><td class="num">${fmt(stats[s.name][l]![h]!)}</td></tr>`).join("");
      cards.push(`<a class="card" href="${headPage(l, h)}" data-id="${headId(l, h)}" data-layer="${l}" data-head="${h}"${data}><div class="name">${headId(l, h)}</div>${thumb(0, l, h, "")}<table>${rows}</table></a>`);
    }
  }
  const statMaps = HEAD_STATS.map((s) => {
    const values = stats[s.name];
    const svg = heatmap({ values, rowLabels: values.map((_, l) => `L${l}`), colLabels: values[0]!.map((_, h) => `H${h}`), cellText: H <= 16, yLabel: "layer", xLabel: "head", colorLabel: s.unit || "score", cellSize: H <= 16 ? 40 : 12, ...(s.unit ? {} : { domain: [0, 1] as [number, number] }) });
    return `<figure><figcaption><b>${escapeXml(s.label)}</b>: ${escapeXml(s.about)}</figcaption>${svg}</figure>`;
  }).join("\n");
  const promptRows = prompts.map((pr, p) => `<tr><td><a href="${promptPage(p)}">p${p}</a></td><td>${escapeXml(pr.name)}</td><td class="num">${pr.tokens.length}</td></tr>`).join("\n");
  files["index.html"] = page(
    `Attention atlas: ${input.model}`,
    `<section><p class="note">${escapeXml([input.about, ...input.notes].join("\n"))}</p></section>\n` +
      `<section><h2>Every head</h2><p class="note">Thumbnails: each head's pattern on one prompt (p0 first; choose another below), queries down, keys across. Click a head for its pattern on every prompt. Statistics: mean over the prompts (entropy … mean distance), or on repeated random tokens (induction, duplicate token).</p>\n${controls}\n<div class="scroll"><div id="heads" class="grid" style="grid-template-columns: repeat(${H}, max-content)">\n${cards.join("\n")}\n</div></div></section>\n` +
      `<section><h2>Prompts</h2><table><thead><tr><th></th><th>prompt</th><th>tokens</th></tr></thead><tbody>\n${promptRows}\n</tbody></table></section>\n` +
      `<section><h2>Statistics, layers × heads</h2>\n${statMaps}\n</section>`,
    0,
    INDEX_SCRIPT,
  );

  // ---------------------------------------------------------------- heads/L{l}H{h}.html
  const cells = patterns.reduce((s, layers) => s + (L * H * layers[0]![0]!.length * (layers[0]![0]!.length + 1)) / 2, 0);
  const raster = cells > VECTOR_SITE_CELLS;
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < H; h++) {
      const header = `<tr><th></th><th>all prompts</th>${prompts.map((_, p) => `<th><a href="#p${p}">p${p}</a></th>`).join("")}</tr>`;
      const rows = HEAD_STATS.map((s) => {
        const per = (PATTERN_STATS as readonly string[]).includes(s.name) ? statistics.perPrompt.map((pp) => fmt(pp[s.name as (typeof PATTERN_STATS)[number]][l]![h]!)) : prompts.map(() => "");
        return `<tr><td>${escapeXml(s.label)}</td><td class="num">${fmt(stats[s.name][l]![h]!)}</td>${per.map((v) => `<td class="num">${v}</td>`).join("")}</tr>`;
      }).join("\n");
      const figures = prompts.map((pr, p) => {
        const labels = pr.tokens.map((t, i) => `${i}:${visibleToken(t)}`);
        const svg = heatmap({ values: masked(patterns[p]![l]![h]!), rowLabels: labels, colLabels: labels, domain: [0, 1], yLabel: "query", xLabel: "key", colorLabel: "attention", cellSize: Math.max(8, Math.min(16, Math.floor(640 / labels.length))), raster });
        return `<section id="p${p}"><h2><a href="../${promptPage(p)}">p${p}</a>: ${escapeXml(pr.name)}</h2><figure>${svg}</figure></section>`;
      });
      const nav = [l * H + h - 1, l * H + h + 1].map((k, i) => (k >= 0 && k < L * H ? `<a href="${headId(Math.floor(k / H), k % H)}.html">${i === 0 ? "← " : ""}${headId(Math.floor(k / H), k % H)}${i === 1 ? " →" : ""}</a>` : "")).join(" ");
      files[headPage(l, h)] = page(
        `Head ${headId(l, h)} (layer ${l}, head ${h}) of ${input.model}`,
        `<nav>${nav}</nav>\n<section><h2>Statistics</h2><table>${header}\n${rows}</table></section>\n${figures.join("\n")}` +
          (raster ? `\n<p class="note">Patterns are drawn as images to keep the site small: hovering shows no values.</p>` : ""),
        1,
      );
    }
  }

  // ---------------------------------------------------------------- prompts/p{i}.html
  prompts.forEach((pr, p) => {
    const head = `<tr><th></th>${Array.from({ length: H }, (_, h) => `<th>H${h}</th>`).join("")}</tr>`;
    const rows = Array.from({ length: L }, (_, l) => `<tr><th>L${l}</th>${Array.from({ length: H }, (_, h) => `<td><a href="../${headPage(l, h)}#p${p}" title="${headId(l, h)}">${thumb(p, l, h, "../", H > 12 ? 64 : THUMB)}</a></td>`).join("")}</tr>`).join("\n");
    const nav = [p - 1, p + 1].map((q, i) => (q >= 0 && q < prompts.length ? `<a href="p${q}.html">${i === 0 ? "← " : ""}p${q}${i === 1 ? " →" : ""}</a>` : "")).join(" ");
    files[promptPage(p)] = page(
      `Prompt p${p}: ${pr.name}`,
      `<nav>${nav}</nav>\n<section><h2>Tokens (${pr.tokens.length})</h2>${tokenList(pr.tokens)}</section>\n<section><h2>Every head on this prompt</h2><p class="note">Queries down, keys across; click a head for its pattern with token labels.</p><table class="heads">${head}\n${rows}</table></section>`,
      1,
    );
  });
  return files;
}

/**
 * The relative links (href and src) of the site's HTML pages that point to no file of the site:
 * empty for a whole site. In-page anchors (#p3) and the part after # are ignored.
 */
export function brokenLinks(files: Record<string, string | Uint8Array>): string[] {
  const broken: string[] = [];
  for (const [path, content] of Object.entries(files)) {
    if (!path.endsWith(".html") || typeof content !== "string") continue;
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
    for (const m of content.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
      const link = m[1]!.split("#")[0]!;
      if (link === "" || /^data:/.test(link)) continue;
      if (/^[a-z]+:|^\//i.test(link)) {
        broken.push(`${path}: ${link} (not a relative link)`);
        continue;
      }
      const parts: string[] = [];
      for (const seg of (dir + link).split("/")) {
        if (seg === "..") parts.pop();
        else if (seg !== ".") parts.push(seg);
      }
      if (!(parts.join("/") in files)) broken.push(`${path}: ${m[1]}`);
    }
  }
  return broken;
}
