// The pages of `dgpt sae dashboard`: an SAE's latents as a feature browser in the manner of
// Neuronpedia and SAELens's sae_dashboard. An index of every latent sorted by density (with the
// SAE's log-density histogram), and one card per chosen latent: its activation histogram, its
// direct logit effects, its top-activating contexts and samples from each activation interval,
// the tokens of every context shaded by the latent's activation (hover for the value).
//
// Self-contained HTML and CSS, no scripts: the hover values are title attributes. A page holds at
// most CARDS_PER_PAGE cards (a single-file dashboard at most SINGLE_FILE_CARDS) and the index at
// most INDEX_ROWS rows, so every page opens in well under a second whatever the SAE's size.
import type { FeatureContext, LatentFeatures, SaeFeaturesResult } from "../../sae/features.js";
import { escapeXml, visibleToken } from "../../plot/index.js";

export const CARDS_PER_PAGE = 25;
export const SINGLE_FILE_CARDS = 50;
export const INDEX_ROWS = 5000;

export interface DashboardInfo {
  /** What the SAE is: architecture, widths, hook (one line). */
  title: string;
  /** Where the text came from and how much of it (one line). */
  source: string;
  /** The command that made the dashboard. */
  command?: string;
}

/** Token id → its text (id -1 is padding and never asked for). */
export type Piece = (id: number) => string;

/** Where a latent's card is: the page's file name ("" = this page) and the anchor. */
export type CardLink = (latent: number) => string | null;

const CSS = `
:root { color-scheme: light; }
body { margin: 0; background: #f4f5f7; color: #1f2328; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 20px 48px; }
h1 { font-size: 1.45rem; margin: 0.3em 0 0.2em; }
.sub { color: #57606a; margin: 0 0 16px; }
nav.pages { margin: 0 0 16px; color: #57606a; }
nav.pages a { margin-right: 10px; }
a { color: #2458c6; text-decoration: none; }
a:hover { text-decoration: underline; }
section.box { background: #fff; border: 1px solid #d9dce1; border-radius: 8px; padding: 14px 18px; margin: 0 0 18px; }
section.box h2 { font-size: 1.05rem; margin: 0 0 8px; }
.note { color: #57606a; font-size: 12.5px; margin: 6px 0 0; }
table.index { border-collapse: collapse; width: 100%; font-size: 13px; }
table.index th { text-align: left; font-weight: 600; color: #57606a; border-bottom: 1px solid #d9dce1; padding: 4px 8px; position: sticky; top: 0; background: #fff; }
table.index td { border-bottom: 1px solid #eef0f3; padding: 3px 8px; vertical-align: middle; }
table.index td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { display: inline-block; height: 8px; background: #f08c2b; border-radius: 2px; vertical-align: middle; margin-right: 6px; }
.card { background: #fff; border: 1px solid #d9dce1; border-radius: 8px; margin: 0 0 22px; overflow: hidden; }
.card:target { outline: 3px solid #f08c2b; }
.card > header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 18px; padding: 10px 16px; background: #fbfbfc; border-bottom: 1px solid #e4e6ea; }
.card > header h2 { font-size: 1.15rem; margin: 0; }
.stat { color: #57606a; font-size: 13px; }
.stat b { color: #1f2328; font-weight: 600; font-variant-numeric: tabular-nums; }
.cols { display: grid; grid-template-columns: 300px minmax(0, 1fr); }
.left { padding: 12px 16px; border-right: 1px solid #eef0f3; }
.right { padding: 12px 16px; min-width: 0; }
h3 { font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; color: #57606a; margin: 0 0 6px; }
h3 + .note { margin-top: -4px; margin-bottom: 6px; }
.left section + section, .right section + section { margin-top: 14px; }
table.logits { border-collapse: collapse; width: 100%; font-size: 12.5px; }
table.logits td { padding: 1px 4px; }
table.logits td.v { text-align: right; font-variant-numeric: tabular-nums; width: 4.5em; }
td.tokpos { background: #e6f4ea; }
td.tokneg { background: #fde8e8; }
.tok { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; white-space: pre; }
.ctx { display: flex; gap: 10px; align-items: baseline; padding: 1px 0; border-bottom: 1px dashed #f0f1f3; }
.ctx .v { flex: 0 0 3.6em; text-align: right; color: #57606a; font-size: 12px; font-variant-numeric: tabular-nums; }
.ctx .t { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; white-space: pre; overflow: hidden; text-overflow: ellipsis; min-width: 0; }
.ctx .t span[title] { border-radius: 2px; }
.ctx .t .c { outline: 1.5px solid #b35a00; outline-offset: -1px; font-weight: 700; }
.ctx .t .ws { color: #9aa1a9; }
.ctx .t span[style] .ws { color: #5c2b00; }
.interval { margin: 8px 0 2px; font-size: 12.5px; color: #57606a; }
.interval b { color: #1f2328; font-weight: 600; }
.hist svg { display: block; }
@media (max-width: 800px) { .cols { grid-template-columns: 1fr; } .left { border-right: none; border-bottom: 1px solid #eef0f3; } }
`.trim();

function page(title: string, sub: string, body: string): string {
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${escapeXml(title)}</title>\n<style>\n${CSS}\n</style>\n</head>\n<body>\n<main>\n<h1>${escapeXml(title)}</h1>\n<p class="sub">${sub}</p>\n${body}\n</main>\n</body>\n</html>\n`
  );
}

/** A number for a page: 3 significant digits, no exponent for everyday sizes. */
export function fmt(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1000 || a < 0.001) return x.toExponential(2);
  return x.toPrecision(3).replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
}

/** A density as a percentage (and its log₁₀). */
export function fmtDensity(d: number): string {
  if (d === 0) return "0 (dead)";
  const pct = 100 * d;
  return `${pct >= 1 ? pct.toFixed(2) : pct >= 0.01 ? pct.toFixed(3) : pct.toExponential(1)} %`;
}

/** The background of a token with activation a, for a latent whose largest is max. */
function shade(a: number, max: number): string {
  const t = max > 0 ? Math.min(1, a / max) : 0;
  // Neuronpedia's orange, from faint to strong
  return `rgba(240,120,20,${(0.12 + 0.78 * t).toFixed(2)})`;
}

/** A token's text in a context line: newlines, tabs and control characters as marks (a space stays a space: lit, its cell is shaded). */
function tokenText(piece: string): string {
  if ([...piece].some((ch) => ch !== " " && visibleToken(ch) !== ch)) return `<span class="ws">${escapeXml(visibleToken(piece))}</span>`;
  return escapeXml(piece);
}

/** One context: its tokens, zero-activation runs as plain text, lit ones shaded with their value on hover. */
export function contextHtml(c: FeatureContext, max: number, piece: Piece): string {
  let out = "";
  c.tokens.forEach((id, i) => {
    const a = c.acts[i];
    const text = piece(id);
    const lit = a > 0;
    if (!lit && i !== c.center) {
      out += tokenText(text);
      return;
    }
    const cls = i === c.center ? ` class="c"` : "";
    const style = lit ? ` style="background:${shade(a, max)}"` : "";
    out += `<span${cls}${style} title="${escapeXml(`${visibleToken(text)} · ${fmt(a)}`)}">${tokenText(text)}</span>`;
  });
  return `<div class="ctx"><span class="v">${fmt(c.value)}</span><span class="t">${out}</span></div>`;
}

/** The histogram of nonzero activations as a small SVG (bars, the axis's ends labelled). */
export function activationHistogramSvg(h: { edges: number[]; counts: number[] }, width = 268, height = 96): string {
  const n = h.counts.length;
  if (n === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="24" role="img"><text x="0" y="16" font-size="12" fill="#57606a">never fires</text></svg>`;
  const top = Math.max(...h.counts);
  const plotH = height - 20;
  const bw = width / n;
  const bars = h.counts
    .map((c, i) => {
      if (c === 0) return "";
      const bh = Math.max(1, (c / top) * (plotH - 4));
      return `<rect x="${(i * bw).toFixed(1)}" y="${(plotH - bh).toFixed(1)}" width="${Math.max(0.6, bw - 0.6).toFixed(1)}" height="${bh.toFixed(1)}" fill="#f08c2b"><title>${escapeXml(`${fmt(h.edges[i])} – ${fmt(h.edges[i + 1])}: ${c}`)}</title></rect>`;
    })
    .join("");
  const lo = "0";
  const hi = fmt(h.edges[n]);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="system-ui, sans-serif">` +
    `${bars}<line x1="0" x2="${width}" y1="${plotH + 0.5}" y2="${plotH + 0.5}" stroke="#8c959f"/>` +
    `<text x="1" y="${height - 4}" font-size="11" fill="#57606a">${lo}</text>` +
    `<text x="${width / 2}" y="${height - 4}" font-size="11" fill="#57606a" text-anchor="middle">activation</text>` +
    `<text x="${width - 1}" y="${height - 4}" font-size="11" fill="#57606a" text-anchor="end">${escapeXml(hi)}</text></svg>`
  );
}

/** The log₁₀-density histogram of the whole SAE (dead latents counted apart). */
export function densityHistogramSvg(h: { edges: number[]; counts: number[]; dead: number }, width = 1000, height = 190): string {
  const n = h.counts.length;
  const left = 44;
  const plotW = width - left - 10;
  const plotH = height - 44;
  const top = Math.max(1, ...h.counts);
  const bw = plotW / n;
  const bars = h.counts
    .map((c, i) => {
      if (c === 0) return "";
      const bh = Math.max(1, (c / top) * (plotH - 6));
      return `<rect x="${(left + i * bw).toFixed(1)}" y="${(8 + plotH - bh).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${bh.toFixed(1)}" fill="#4269d0"><title>${escapeXml(`10^${h.edges[i]} – 10^${h.edges[i + 1]}: ${c} latents`)}</title></rect>`;
    })
    .join("");
  const lo = h.edges[0];
  const hi = h.edges[n];
  const ticks: string[] = [];
  for (let e = Math.ceil(lo); e <= hi; e++) {
    const x = left + ((e - lo) / (hi - lo)) * plotW;
    ticks.push(`<line x1="${x}" x2="${x}" y1="${8 + plotH}" y2="${12 + plotH}" stroke="#8c959f"/><text x="${x}" y="${25 + plotH}" font-size="11" fill="#57606a" text-anchor="middle">${e === 0 ? "1" : `1e${e}`}</text>`);
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="system-ui, sans-serif" style="max-width:100%;height:auto">` +
    `<text x="${left - 6}" y="16" font-size="11" fill="#57606a" text-anchor="end">${top}</text><text x="${left - 6}" y="${8 + plotH}" font-size="11" fill="#57606a" text-anchor="end">0</text>` +
    `${bars}<line x1="${left}" x2="${left + plotW}" y1="${8 + plotH + 0.5}" y2="${8 + plotH + 0.5}" stroke="#8c959f"/>${ticks.join("")}` +
    `<text x="${left + plotW / 2}" y="${height - 4}" font-size="12" fill="#1f2328" text-anchor="middle">density: fraction of tokens a latent fires on (log scale); ${h.dead} dead latents not drawn</text></svg>`
  );
}

function logitTable(L: LatentFeatures, piece: Piece): string {
  if (!L.logits) return `<p class="note">no direct path to the logits from this hook</p>`;
  const rows = Math.max(L.logits.promoted.length, L.logits.suppressed.length);
  const cell = (e: { token: number; value: number } | undefined, cls: string) =>
    e ? `<td class="tok ${cls}">${escapeXml(visibleToken(piece(e.token)))}</td><td class="v ${cls}">${e.value >= 0 ? "+" : ""}${fmt(e.value)}</td>` : `<td></td><td></td>`;
  let body = "";
  for (let i = 0; i < rows; i++) body += `<tr>${cell(L.logits.promoted[i], "tokpos")}${cell(L.logits.suppressed[i], "tokneg")}</tr>`;
  return `<table class="logits"><tr><th colspan="2" style="text-align:left">promoted</th><th colspan="2" style="text-align:left">suppressed</th></tr>${body}</table>`;
}

/** One latent's card (its id is L{latent}, for links). */
export function latentCard(L: LatentFeatures, r: SaeFeaturesResult, piece: Piece): string {
  const max = L.maxAct;
  const top = L.top.map((c) => contextHtml(c, max, piece)).join("");
  const intervals = [...L.intervals]
    .reverse()
    .map((iv) => {
      const share = L.fires > 0 ? ` (${fmt((100 * iv.count) / L.fires)} % of its activations)` : "";
      return `<div class="interval">interval <b>${fmt(iv.lo)} – ${fmt(iv.hi)}</b>: ${iv.count} tokens${share}</div>` + iv.examples.map((c) => contextHtml(c, max, piece)).join("");
    })
    .join("");
  const stats = [
    ["density", fmtDensity(L.density)],
    ["fires on", `${L.fires} of ${r.tokens} tokens`],
    ["max", fmt(L.maxAct)],
    ["mean when active", fmt(L.meanAct)],
  ]
    .map(([k, v]) => `<span class="stat">${k} <b>${escapeXml(v)}</b></span>`)
    .join("");
  const dead = L.fires === 0;
  return (
    `<article class="card" id="L${L.latent}">\n<header><h2>Latent ${L.latent}</h2>${stats}</header>\n<div class="cols">\n<div class="left">` +
    `<section class="hist"><h3>Activation histogram</h3>${activationHistogramSvg(L.histogram)}<p class="note">nonzero activations; hover a bar for its count</p></section>` +
    `<section><h3>Logit effects</h3><p class="note">direct path per unit of activation</p>${logitTable(L, piece)}</section>` +
    `</div>\n<div class="right">` +
    (dead
      ? `<p class="note">This latent never fired on the ${r.tokens} tokens read.</p>`
      : `<section><h3>Top activations</h3><p class="note">the ${L.top.length} strongest of ${L.fires}; the outlined token is where it fires, shading is its activation on each token (hover for the value)</p>${top}</section>` +
        `<section><h3>Samples by activation interval</h3><p class="note">up to ${Math.max(...L.intervals.map((i) => i.examples.length), 0)} random examples from each interval, strongest interval first</p>${intervals}</section>`) +
    `</div>\n</div>\n</article>`
  );
}

/** The index rows' order: densest first (dead last), ties by latent id. */
export function densityOrder(r: SaeFeaturesResult): number[] {
  return Array.from(r.density.keys()).sort((a, b) => r.density[b] - r.density[a] || a - b);
}

/** The index: the SAE's density histogram and a table of latents sorted by density. */
export function indexBody(r: SaeFeaturesResult, piece: Piece, link: CardLink): string {
  const byLatent = new Map(r.latents.map((L) => [L.latent, L]));
  const order = densityOrder(r);
  const shown = order.slice(0, INDEX_ROWS);
  const maxD = r.density[order[0]] || 1;
  const rows = shown
    .map((j) => {
      const L = byLatent.get(j);
      const href = link(j);
      const name = href !== null ? `<a href="${escapeXml(href)}">${j}</a>` : String(j);
      const w = r.density[j] > 0 ? Math.max(1, Math.round((60 * (Math.log10(r.density[j]) + 8)) / (Math.log10(maxD) + 8))) : 0;
      const ctx = L && L.top.length ? contextHtml(L.top[0], L.maxAct, piece) : "";
      const promoted = L?.logits ? `<span class="tok">${L.logits.promoted.slice(0, 5).map((e) => escapeXml(visibleToken(piece(e.token)))).join(" ")}</span>` : "";
      return `<tr><td>${name}</td><td class="num"><span class="bar" style="width:${w}px"></span>${escapeXml(fmtDensity(r.density[j]))}</td><td class="num">${fmt(r.maxAct[j])}</td><td style="max-width:520px">${ctx}</td><td>${promoted}</td></tr>`;
    })
    .join("\n");
  const cut = order.length > shown.length ? `<p class="note">The ${order.length - shown.length} sparsest latents are left out of this table (it lists at most ${INDEX_ROWS}).</p>` : "";
  const dead = r.density.filter((d) => d === 0).length;
  const dense = r.density.filter((d) => d > 0.1).length;
  const l0 = r.density.reduce((a, b) => a + b, 0);
  return (
    `<section class="box"><h2>Feature density</h2>${densityHistogramSvg(r.densityHistogram)}` +
    `<p class="note">${dead} dead latents (never fired on these ${r.tokens} tokens), ${dense} dense ones (on more than 10 % of tokens). Their mean is L0 / d_sae = ${fmt(l0 / r.density.length)} (L0 ${fmt(l0)} latents per token).</p></section>\n` +
    `<section class="box"><h2>Latents by density</h2><p class="note">Densest first. A linked number opens its card; the context is its strongest activation; the tokens are those it promotes most (direct path).</p>${cut}` +
    `<table class="index"><thead><tr><th>latent</th><th>density</th><th>max</th><th>strongest context</th><th>promotes</th></tr></thead><tbody>\n${rows}\n</tbody></table></section>`
  );
}

function subtitle(info: DashboardInfo, r: SaeFeaturesResult): string {
  return `${escapeXml(info.source)} · ${r.tokens} tokens in ${r.windows} windows · logit effects: ${escapeXml(r.logitPath)}${info.command ? `<br><span class="tok">${escapeXml(info.command)}</span>` : ""}`;
}

export interface DashboardFiles {
  /** File name → page; "index.html" first. */
  pages: Map<string, string>;
}

/** The card pages' names: latents-1.html, latents-2.html, … */
export const cardPageName = (i: number): string => `latents-${i + 1}.html`;

/**
 * A folder of pages: index.html and card pages of at most CARDS_PER_PAGE latents each, the
 * cards in the order of `cards` (latent ids that r.latents holds).
 */
export function dashboardFolder(r: SaeFeaturesResult, cards: readonly number[], piece: Piece, info: DashboardInfo): DashboardFiles {
  const byLatent = new Map(r.latents.map((L) => [L.latent, L]));
  const where = new Map<number, string>();
  const groups: number[][] = [];
  for (let i = 0; i < cards.length; i += CARDS_PER_PAGE) groups.push(cards.slice(i, i + CARDS_PER_PAGE));
  groups.forEach((g, p) => g.forEach((j) => where.set(j, `${cardPageName(p)}#L${j}`)));
  const pages = new Map<string, string>();
  const sub = subtitle(info, r);
  const list = groups.length > 0 ? `<nav class="pages">pages of latent cards (${CARDS_PER_PAGE} each): ${groups.map((g, p) => `<a href="${cardPageName(p)}" title="latents ${g.join(", ")}">${p + 1}</a>`).join(" ")}</nav>` : "";
  pages.set("index.html", page(`SAE features: ${info.title}`, sub, list + indexBody(r, piece, (j) => where.get(j) ?? null)));
  groups.forEach((g, p) => {
    const nav =
      `<nav class="pages"><a href="index.html">← index</a> page ${p + 1} of ${groups.length}` +
      (p > 0 ? ` · <a href="${cardPageName(p - 1)}">previous</a>` : "") +
      (p + 1 < groups.length ? ` · <a href="${cardPageName(p + 1)}">next</a>` : "") +
      `<br>${g.map((j) => `<a href="#L${j}">${j}</a>`).join(" ")}</nav>`;
    const body = g.map((j) => latentCard(byLatent.get(j)!, r, piece)).join("\n");
    pages.set(cardPageName(p), page(`SAE features: ${info.title}: latents ${g[0]}${g.length > 1 ? ` … ${g[g.length - 1]}` : ""}`, sub, nav + body));
  });
  return { pages };
}

/** One page: the index and at most SINGLE_FILE_CARDS cards under it. */
export function dashboardPage(r: SaeFeaturesResult, cards: readonly number[], piece: Piece, info: DashboardInfo): string {
  if (cards.length > SINGLE_FILE_CARDS) throw new Error(`dashboardPage: at most ${SINGLE_FILE_CARDS} cards fit one page, got ${cards.length}`);
  const byLatent = new Map(r.latents.map((L) => [L.latent, L]));
  const set = new Set(cards);
  const body = indexBody(r, piece, (j) => (set.has(j) ? `#L${j}` : null)) + "\n" + cards.map((j) => latentCard(byLatent.get(j)!, r, piece)).join("\n");
  return page(`SAE features: ${info.title}`, subtitle(info, r), body);
}
