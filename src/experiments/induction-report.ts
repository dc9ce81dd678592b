// The report of the induction-head experiment (src/experiments/induction.ts) or of any model's
// induction analysis (src/interp/induction.ts): a text summary, the figures and the JSON. Used by
// `dgpt interp induction`, `dgpt repro induction` and examples/induction.ts.
import type { HookedTransformer } from "../models/gpt/model.js";
import { barChart, heatmap, htmlPage, linePlot, type PageSection, visibleToken } from "../plot/index.js";
import { noGrad } from "../tensor/autograd.js";
import { tidy } from "../tensor/scope.js";
import type { Tokenizer } from "../tokenizers/types.js";
import type { InductionAnalysis } from "../interp/induction.js";
import type { InductionTrainResult } from "./induction.js";

/** "L1H3". */
const headName = ([l, h]: readonly number[]) => `L${l}H${h}`;

/**
 * The HTML page, a text summary and the JSON of an induction analysis, after training (the
 * experiment: with losses and history) or of a saved model (shared with examples/induction.ts).
 */
export function inductionReport(r: InductionReportInput, tokenizer: Tokenizer | null = null): { html: string; summary: string; json: unknown } {
  const { title, sections, summary, json } = inductionSections(r, tokenizer);
  return { html: htmlPage(title, sections), summary, json };
}

export type InductionReportInput = { model: HookedTransformer; analysis: InductionAnalysis } & Partial<Pick<InductionTrainResult, "losses" | "seconds" | "history">>;

/** The report's parts: its title, every section (the summary first), the summary text and the JSON. */
export function inductionSections(r: InductionReportInput, tokenizer: Tokenizer | null = null): { title: string; sections: PageSection[]; summary: string; json: unknown } {
  const a = r.analysis;
  const { model } = r;
  const { n } = a;
  const { n_layers: L, n_heads: H } = model.cfg;
  const heads = Array.from({ length: H }, (_, h) => `H${h}`);
  const layers = Array.from({ length: L }, (_, l) => `layer ${l}`);
  const f3 = (v: number) => v.toFixed(3);
  const scoreOf = (m: number[][], [l, h]: readonly number[]) => m[l][h];
  // Name heads only when the best one clears the threshold; otherwise say that none formed.
  const verdict = (kind: string, m: number[][], best: readonly number[], found: readonly (readonly number[])[], formed: boolean) => {
    if (!formed) return `no ${kind} heads formed (best ${kind} score ${f3(scoreOf(m, best))} at ${headName(best)}, below ${a.threshold})`;
    const top = found.filter((hd) => scoreOf(m, hd) >= a.threshold).sort((x, y) => scoreOf(m, y) - scoreOf(m, x));
    return `${kind} heads (score ≥ ${a.threshold}): ${top.slice(0, 8).map((hd) => `${headName(hd)} ${f3(scoreOf(m, hd))}`).join(", ")}${top.length > 8 ? `, … (${top.length} in all)` : ""}`;
  };
  const byLayer = (m: number[][]) => m.map((row, l) => `  layer ${l}: ${row.map(f3).join(" ")}`).join("\n");
  const ablated = a.inductionFormed ? "induction heads" : "heads with the highest induction scores";
  const summary = [
    ...(r.losses ? [`trained ${r.losses.length} steps in ${(r.seconds ?? 0).toFixed(1)} s`] : []),
    `loss: first copy ${f3(a.firstHalfLoss)} (chance ${f3(a.chanceLoss)}), repeated copy ${f3(a.secondHalfLoss)}; in-context gain ${f3(a.inContextGain)}`,
    verdict("induction", a.scores.induction, a.inductionHead, a.inductionHeads, a.inductionFormed),
    verdict("previous-token", a.scores.previousToken, a.previousTokenHead, a.previousTokenHeads, a.previousTokenFormed),
    `induction scores (uniform attention would score ${f3(a.uniformScores.induction)}):\n${byLayer(a.scores.induction)}`,
    `previous-token scores (uniform attention would score ${f3(a.uniformScores.previousToken)}):\n${byLayer(a.scores.previousToken)}`,
    `largest K-composition: ${headName(a.maxKComposition.sender)} → ${headName(a.maxKComposition.receiver)} = ${f3(a.maxKComposition.score)} (max Q ${f3(a.maxQComposition)}, max V ${f3(a.maxVComposition)}, random baseline ${f3(a.compositionBaseline)})`,
    `${a.ablation.method}-ablating ${ablated} ${a.inductionHeads.map(headName).join(",")}: gain ${f3(a.inContextGain)} → ${f3(a.ablation.all.inContextGain)}; only ${headName(a.inductionHead)}: → ${f3(a.ablation.top.inContextGain)}; only ${headName(a.previousTokenHead)} (best previous-token score): → ${f3(a.ablation.previousToken.inContextGain)}; all of ${a.previousTokenHeads.map(headName).join(",")}: → ${f3(a.ablation.allPreviousToken.inContextGain)}`,
    `OV copying scores of the ${ablated}: ${a.inductionHeads.map((hd) => `${headName(hd)} ${f3(scoreOf(a.copyingScores, hd))}`).join(", ")}`,
  ].join("\n");
  // the first evaluation sequence's attention patterns for the two best heads
  const tokens = a.example;
  const [pHead, iHead] = [a.previousTokenHead, a.inductionHead];
  const patterns = tidy(() =>
    noGrad(() => {
      const names = [pHead[0], iHead[0]].map((l) => `blocks.${l}.attn.hook_pattern`);
      const { cache } = model.runWithCache([tokens], { namesFilter: names });
      return names.map((nm) => (cache.get(nm).toArray() as number[][][][])[0]);
    }),
  );
  const labels = tokens.map((t, i) => (i === 0 && t === a.bos ? "<bos>" : tokenizer ? visibleToken(tokenizer.idToToken(t)) : String(t)));
  const sections: PageSection[] = [];
  if (r.history?.length) {
    const x = r.history.map((p) => p.step);
    sections.push({ heading: "The phase change", svg: linePlot({ series: [{ name: "loss, first copy", x, y: r.history.map((p) => p.firstHalfLoss) }, { name: "loss, repeated copy", x, y: r.history.map((p) => p.secondHalfLoss) }], xLabel: "step", yLabel: "loss (nats)", title: "Test loss on <bos> s s" }) });
    sections.push({ heading: "Head scores during training", svg: linePlot({ series: [{ name: "best layer-1 induction score", x, y: r.history.map((p) => p.inductionScore) }, { name: "best layer-0 previous-token score", x, y: r.history.map((p) => p.previousTokenScore) }], xLabel: "step", yDomain: [0, 1], title: "Previous-token heads form first, induction heads later" }) });
  }
  const pLayer = `L${pHead[0]}`;
  const iLayer = `L${iHead[0]}`;
  sections.push({ heading: "Loss by position", svg: linePlot({ series: [{ name: "loss", x: a.lossByPosition.map((_, i) => i), y: a.lossByPosition }], xLabel: "position", yLabel: "loss", title: `Next-token loss on <bos> s s (n = ${n})` }) });
  sections.push({ heading: "Induction scores", svg: heatmap({ values: a.scores.induction, rowLabels: layers, colLabels: heads, domain: [0, 1], cellText: true, width: 560, title: "Attention from i to i − n + 1 (second copy)" }), caption: `A head scoring ≥ ${a.threshold} is an induction head; uniform attention would score ${f3(a.uniformScores.induction)}.` });
  sections.push({ heading: "Previous-token scores", svg: heatmap({ values: a.scores.previousToken, rowLabels: layers, colLabels: heads, domain: [0, 1], cellText: true, width: 560, title: "Attention from i to i − 1" }), caption: `A head scoring ≥ ${a.threshold} is a previous-token head; uniform attention would score ${f3(a.uniformScores.previousToken)}.` });
  for (const kind of ["K", "Q", "V"] as const) sections.push({ heading: `${kind}-composition, layer ${pHead[0]} → layer ${iHead[0]}`, svg: heatmap({ values: a.composition[kind], rowLabels: heads.map((h) => `${pLayer}${h}`), colLabels: heads.map((h) => `${iLayer}${h}`), cellText: true, colorScheme: "viridis", width: 560, title: `${kind}-composition scores (random baseline ${f3(a.compositionBaseline)})` }) });
  sections.push({ heading: "OV copying scores", svg: heatmap({ values: a.copyingScores, rowLabels: layers, colLabels: heads, domain: [-1, 1], diverging: true, cellText: true, width: 560, title: "Re Σλ / Σ|λ| of W_E W_V W_O W_U" }) });
  sections.push({ heading: "Ablation", svg: barChart({ labels: ["none", headName(iHead), a.inductionFormed ? "all induction heads" : "top induction-score heads", headName(pHead), a.previousTokenFormed ? "all previous-token heads" : "top previous-token-score heads"], values: [a.inContextGain, a.ablation.top.inContextGain, a.ablation.all.inContextGain, a.ablation.previousToken.inContextGain, a.ablation.allPreviousToken.inContextGain], yLabel: "in-context gain (nats)", title: `${a.ablation.method} ablation` }) });
  sections.push({ heading: `Attention pattern of ${a.previousTokenFormed ? "the previous-token head" : "the best previous-token-score head"} ${headName(pHead)}`, svg: heatmap({ values: patterns[0][pHead[1]], rowLabels: labels, colLabels: labels, domain: [0, 1], xLabel: "key", yLabel: "query" }) });
  sections.push({ heading: `Attention pattern of ${a.inductionFormed ? "the induction head" : "the best induction-score head"} ${headName(iHead)}`, svg: heatmap({ values: patterns[1][iHead[1]], rowLabels: labels, colLabels: labels, domain: [0, 1], xLabel: "key", yLabel: "query" }), caption: "An induction head draws a stripe n − 1 below the diagonal: each token of the second copy attends to the token after its earlier occurrence." });
  const title = r.losses ? `Induction heads in a ${L}-layer attention-only transformer` : `Induction heads in a saved ${L}-layer model`;
  const all = [{ heading: "Summary", svg: barChart({ labels: ["first copy", "repeated copy", "chance"], values: [a.firstHalfLoss, a.secondHalfLoss, a.chanceLoss], yLabel: "loss (nats)" }), caption: summary }, ...sections];
  return { title, sections: all, summary, json: { config: model.cfg, steps: r.losses?.length ?? 0, seconds: r.seconds ?? 0, history: r.history ?? [], analysis: a } };
}
