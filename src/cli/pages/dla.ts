// The page of `dgpt interp dla`: how much each component and each head adds directly to one
// logit (or a logit difference).
import type { DlaResult } from "../../interp/dla.js";
import { barChart, htmlPage, visibleToken } from "../../plot/index.js";
import { quoteToken } from "./tokens.js";

/** What the attribution explains, e.g. logit("␣Paris") − logit("␣Rome"). */
export function dlaMetric(r: DlaResult, piece: (id: number) => string): string {
  return r.incorrect !== undefined ? `logit(${quoteToken(piece(r.target))}) − logit(${quoteToken(piece(r.incorrect))})` : `logit(${quoteToken(piece(r.target))})`;
}

/** The DLA page; `tokens` are the prompt's token texts. */
export function dlaPage(r: DlaResult, tokens: string[], piece: (id: number) => string): string {
  const what = dlaMetric(r, piece);
  const where = `at position ${r.pos} (after "${tokens.slice(0, r.pos + 1).map(visibleToken).join("")}")`;
  const sum = r.components.values.reduce((s, v) => s + v, 0);
  const caption = `${what} = ${r.logit.toFixed(4)} = Σ components ${sum.toFixed(4)} + biases (b_U, ln_final.b) ${r.constant.toFixed(4)}`;
  return htmlPage(`Direct logit attribution: ${what}`, [
    { heading: `Per component: ${what} ${where}`, svg: barChart({ labels: r.components.labels, values: r.components.values, horizontal: true, xLabel: "direct contribution to the logit" }), caption },
    { heading: "Per head", svg: barChart({ labels: r.heads.labels, values: r.heads.values, horizontal: true, xLabel: "direct contribution to the logit" }), caption: "Each head's result z·W_O through the final LayerNorm's cached scale; a layer's heads plus its b_O make its attn_out." },
  ]);
}
