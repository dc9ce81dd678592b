// The page of `dgpt interp attention`: an overview of every head's pattern (layer rows × head
// columns of thumbnails, each a link to the head's card), the head-detector scores, then one
// compact card per head with its full pattern and token labels.
import { promptTitle } from "./tokens.js";
import type { HeadName } from "../../interp/attention.js";
import { heatmap, heatmapGrid, htmlPage, visibleToken, type PageSection } from "../../plot/index.js";

export interface AttentionPageInput {
  /** The prompt's token texts. */
  tokens: string[];
  /** patterns[layer][head][query][key]: attention probabilities. */
  patterns: number[][][][];
  /** Head-detector scores [layer][head], when computed (they need two tokens or more). */
  scores?: Partial<Record<HeadName, number[][]>>;
  /** "mul" scores lie in [0, 1], "abs" ones in [-1, 1]. */
  errorMeasure?: "mul" | "abs";
}

/** The anchor of a head's card, e.g. "L0H3". */
const headId = (l: number, h: number) => `L${l}H${h}`;

export function attentionPage({ tokens, patterns, scores = {}, errorMeasure = "mul" }: AttentionPageInput): string {
  const L = patterns.length;
  const H = patterns[0]!.length;
  const heads = Array.from({ length: H }, (_, h) => `H${h}`);
  const layers = Array.from({ length: L }, (_, l) => `L${l}`);
  // keys after the query are masked: leave them blank
  const masked = (p: number[][]) => p.map((row, i) => row.map((v, j) => (j > i ? NaN : v)));
  const sections: PageSection[] = [
    {
      heading: "All heads",
      svg: heatmapGrid({
        tiles: patterns.map((layer) => layer.map(masked)),
        rowLabels: layers.map((l) => `layer ${l.slice(1)}`),
        colLabels: heads,
        links: patterns.map((layer, l) => layer.map((_, h) => `#${headId(l, h)}`)),
        domain: [0, 1],
        colorLabel: "attention (query row → key column)",
      }),
      caption: "Each thumbnail is one head's pattern (queries down, keys across); click one for its card with token labels below.",
    },
  ];
  const names = Object.keys(scores) as HeadName[];
  for (const name of names) {
    sections.push({
      compact: true,
      heading: `${name.replace(/_/g, " ")} scores`,
      svg: heatmap({ values: scores[name]!, rowLabels: layers, colLabels: heads, cellText: true, domain: errorMeasure === "abs" ? [-1, 1] : [0, 1], colorLabel: "score", yLabel: "layer", xLabel: "head" }),
    });
  }
  const labels = tokens.map((t, i) => `${i}:${visibleToken(t)}`);
  // Cells as small as still legible (10 px labels need 11 px apart), and small enough that two
  // cards sit side by side on the page (about 470 px each, labels included) for prompts of up to
  // ~35 tokens; longer prompts get one card per row.
  const labelW = 6 * Math.max(...labels.map((l) => [...l].length)) + 32;
  const cellSize = Math.max(11, Math.min(16, Math.floor((470 - labelW) / tokens.length)));
  patterns.forEach((layer, l) =>
    layer.forEach((p, h) => {
      const caption = names.map((n) => `${n.replace(/_head$/, "").replace(/_/g, " ")} ${scores[n]![l]![h]!.toFixed(2)}`).join(" · ");
      sections.push({
        id: headId(l, h),
        compact: true,
        heading: headId(l, h),
        svg: heatmap({ values: masked(p), rowLabels: labels, colLabels: labels, domain: [0, 1], yLabel: "query", xLabel: "key", colorLabel: "attention", cellSize }),
        ...(caption ? { caption } : {}),
      });
    }),
  );
  return htmlPage(`Attention: ${promptTitle(tokens)}`, sections);
}
