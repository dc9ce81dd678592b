// The page of `dgpt interp attention`: an overview of every head's pattern (layer rows × head
// columns of thumbnails, each a link to the head's card), the head-detector scores, then one
// compact card per drawn head with its full pattern and token labels.
import { promptTitle } from "./tokens.js";
import type { HeadName } from "../../interp/attention.js";
import { heatmap, heatmapGrid, htmlPage, visibleToken, type PageSection } from "../../plot/index.js";

/** One head's pattern: rows are queries, each row the attention to every key (plain or typed arrays). */
export type HeadPattern = readonly ArrayLike<number>[];

export interface AttentionPageInput {
  /** The prompt's token texts. */
  tokens: string[];
  /** patterns[layer][head][query][key]: attention probabilities. */
  patterns: readonly (readonly HeadPattern[])[];
  /** Head-detector scores [layer][head], when computed (they need two tokens or more). */
  scores?: Partial<Record<HeadName, number[][]>>;
  /** "mul" scores lie in [0, 1], "abs" ones in [-1, 1]. */
  errorMeasure?: "mul" | "abs";
  /** The heads that get a card, as [layer, head] pairs (default: every head). The overview and
   *  the score tables show every head either way. */
  heads?: readonly (readonly [number, number])[];
}

/** The anchor of a head's card, e.g. "L0H3". */
const headId = (l: number, h: number) => `L${l}H${h}`;

/**
 * Cards of all heads together draw at most this many cells as rects; past it they are images.
 * A rect with its hover tooltip is ~130 bytes: 50,000 of them (GPT-2 small's 144 heads at 25
 * tokens) make ~6.5 MB of page, and many more make the browser slow.
 */
const VECTOR_PAGE_CELLS = 50_000;
/** Prompts up to this long label every token on a card's axes; longer ones every k-th. */
const LABEL_ALL = 120;
/** The width a long prompt's card is fitted to (a page card is ~1018 px wide). */
const CARD_W = 1000;

/**
 * Estimated bytes of the page for a prompt of n tokens with `drawn` of `all` heads carded. A card
 * is its image (an indexed PNG in base64: ~1 KB of header and palette, and then per row and per
 * cell, fitted to softmax patterns of random scores, the most costly attention we found: 0.71 B a
 * cell at 120 tokens, 0.34 at 300, 0.24 at 527, 0.17 at 1024, since a row sums to 1 and most of
 * its cells fall in the palest colour steps) and the SVG around it (legend, frame, and ~130 bytes
 * per axis label: every token up to LABEL_ALL, ~85 per axis after). Up to a few thousand cells
 * are rects instead (VECTOR_PAGE_CELLS), which this does not count: that page is small anyway.
 * Measured pages of GPT-2 small's shape (144 heads) are 70-90% of this.
 */
export function attentionPageBytes(n: number, drawn: number, all: number): number {
  const labels = 2 * (n <= LABEL_ALL ? n : 85);
  const card = 4000 + 130 * labels + 1100 + 80 * n + 0.1 * n * n;
  return all * 10_000 + drawn * card; // the overview's thumbnails: ≤ 110 px square images, ≤ 10 KB each
}

/** Keys after the query are masked: blank. */
const future = (i: number, j: number) => j > i;

/** A copy of a head's pattern with the masked keys NaN, so that the heatmap leaves them blank. */
function masked(p: HeadPattern): Float64Array[] {
  return p.map((row, i) => {
    const out = new Float64Array(row.length).fill(NaN);
    for (let j = 0; j <= i && j < row.length; j++) out[j] = row[j]!;
    return out;
  });
}

/**
 * Side of a card's cells. Up to LABEL_ALL tokens: as small as still legible with every token
 * labelled (heatmap sets 10 px labels 12 px apart across, 11 down), and small enough that two
 * cards sit side by side on the page (about 470 px each, labels included) for prompts of up to
 * ~30 tokens. Longer prompts:
 * the pattern is fitted to a card's width (whole pixels, at least two per cell) and the heatmap
 * labels every k-th token, k enough to keep labels 12 px apart.
 */
function cardCellSize(n: number, labelW: number): number {
  if (n <= LABEL_ALL) return Math.max(12, Math.min(16, Math.floor((470 - labelW) / n)));
  return Math.max(2, Math.floor((CARD_W - labelW) / n)); // heatmap's cells are 2 px at least
}

export function attentionPage({ tokens, patterns, scores = {}, errorMeasure = "mul", heads }: AttentionPageInput): string {
  const L = patterns.length;
  const H = patterns[0]!.length;
  const n = tokens.length;
  const drawn = heads ?? patterns.flatMap((layer, l) => layer.map((_, h) => [l, h] as const));
  const hasCard = new Set(drawn.map(([l, h]) => headId(l, h)));
  const headNames = Array.from({ length: H }, (_, h) => `H${h}`);
  const layers = Array.from({ length: L }, (_, l) => `L${l}`);
  // the cards' cells as images once rects for all of them would make a heavy page
  const raster = (drawn.length * n * (n + 1)) / 2 > VECTOR_PAGE_CELLS;
  const notes = [
    `Each thumbnail is one head's pattern (queries down, keys across)${drawn.length < L * H ? `; the ${drawn.length} heads with a link have a card below` : "; click one for its card with token labels below"}.`,
  ];
  if (raster) notes.push("The cards draw their cells as images to keep the page light: hovering shows no values (--json writes them).");
  const sections: PageSection[] = [
    {
      heading: "All heads",
      svg: heatmapGrid({
        tiles: patterns as ArrayLike<number>[][][],
        blank: future,
        rowLabels: layers.map((l) => `layer ${l.slice(1)}`),
        colLabels: headNames,
        links: patterns.map((layer, l) => layer.map((_, h) => (hasCard.has(headId(l, h)) ? `#${headId(l, h)}` : ""))),
        domain: [0, 1],
        colorLabel: "attention (query row → key column)",
      }),
      caption: notes.join(" "),
    },
  ];
  const names = Object.keys(scores) as HeadName[];
  for (const name of names) {
    sections.push({
      compact: true,
      heading: `${name.replace(/_/g, " ")} scores`,
      svg: heatmap({ values: scores[name]!, rowLabels: layers, colLabels: headNames, cellText: true, domain: errorMeasure === "abs" ? [-1, 1] : [0, 1], colorLabel: "score", yLabel: "layer", xLabel: "head" }),
    });
  }
  const labels = tokens.map((t, i) => `${i}:${visibleToken(t)}`);
  const labelW = 6 * Math.max(...labels.map((l) => [...l].length)) + 32;
  const cellSize = cardCellSize(n, Math.min(labelW, 232)); // heatmap cuts labels at 200 px
  for (const [l, h] of drawn) {
    const caption = names.map((m) => `${m.replace(/_head$/, "").replace(/_/g, " ")} ${scores[m]![l]![h]!.toFixed(2)}`).join(" · ");
    sections.push({
      id: headId(l, h),
      compact: true,
      heading: headId(l, h),
      // raster: undefined leaves the choice to heatmap (an image past 4096 cells)
      svg: heatmap({ values: masked(patterns[l]![h]!), rowLabels: labels, colLabels: labels, domain: [0, 1], yLabel: "query", xLabel: "key", colorLabel: "attention", cellSize, raster: raster || undefined }),
      ...(caption ? { caption } : {}),
    });
  }
  return htmlPage(`Attention: ${promptTitle(tokens)}`, sections);
}
