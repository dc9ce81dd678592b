// The page of `dgpt interp circuits`: weight-based views of a model, no prompt needed. OV / QK
// copying scores, K/Q/V composition between heads, embedding PCA, positional Fourier power, and
// the SVD read-out of chosen heads' OV circuits.
import { compositionScores, copyingScores, svdOV } from "../../interp/circuits.js";
import { embeddingPca, positionalFourier } from "../../interp/embeddings.js";
import type { HookedTransformer } from "../../models/gpt/model.js";
import { barChart, heatmap, htmlPage, type PageSection } from "../../plot/index.js";
import type { Tokenizer } from "../../tokenizers/types.js";
import { quoteToken } from "./tokens.js";

export interface CircuitsOptions {
  /** Fold each LayerNorm into the weights that read it (default true). */
  foldLn?: boolean;
  /** Heads whose OV circuit's SVD read-out is listed, as "layer.head" pairs: "1.0,1.3". */
  svd?: string;
}

/** The analyses, the HTML page and the same numbers as JSON. */
export function circuitsReport(model: HookedTransformer, tokenizer: Tokenizer | null, opts: CircuitsOptions = {}) {
  const foldLn = opts.foldLn !== false;
  const { n_layers: L, n_heads: H } = model.cfg;
  const rows = Array.from({ length: L }, (_, l) => `layer ${l}`);
  const cols = Array.from({ length: H }, (_, h) => `H${h}`);
  const ov = copyingScores(model, { foldLn });
  const qk = copyingScores(model, { foldLn, circuit: "qk" });
  const sections: PageSection[] = [
    { heading: "OV copying score", svg: heatmap({ values: ov.score, rowLabels: rows, colLabels: cols, domain: [-1, 1], diverging: true, cellText: true, title: "Re Σλ / Σ|λ| of W_E W_V W_O W_U" }), caption: "Near 1: attending to a token raises that token's logit (the head copies)." },
    { heading: "QK eigenvalue score", svg: heatmap({ values: qk.score, rowLabels: rows, colLabels: cols, domain: [-1, 1], diverging: true, cellText: true, title: "Re Σλ / Σ|λ| of W_E W_Q W_Kᵀ W_Eᵀ" }), caption: "Near 1: a token attends to copies of itself." },
  ];
  const composition: Record<string, number[][]> = {};
  if (L > 1) {
    const labels = Array.from({ length: L * H }, (_, i) => `L${Math.floor(i / H)}H${i % H}`);
    for (const kind of ["K", "Q", "V"] as const) {
      const s = compositionScores(model, kind, { foldLn });
      const flat = labels.map((_, i) => labels.map((__, j) => {
        const [l1, h1, l2, h2] = [Math.floor(i / H), i % H, Math.floor(j / H), j % H];
        return l2 > l1 ? s[l1]![h1]![l2]![h2]! : NaN;
      }));
      composition[kind] = flat;
      sections.push({ heading: `${kind}-composition`, svg: heatmap({ values: flat, rowLabels: labels, colLabels: labels, xLabel: "later head", yLabel: "earlier head", colorScheme: "viridis", colorLabel: "composition score", title: `${kind}-composition: ‖W_OV(earlier) · ${kind === "V" ? "W_OV" : kind === "K" ? "W_QKᵀ" : "W_QK"}(later)‖ / (‖·‖ ‖·‖)` }) });
    }
  }
  const pcaE = embeddingPca(model, "W_E", { k: Math.min(20, model.cfg.d_model, model.cfg.d_vocab - 1) });
  sections.push({ heading: "Token embedding PCA", svg: barChart({ labels: Array.from(pcaE.explainedVarianceRatio, (_, i) => `PC${i}`), values: pcaE.explainedVarianceRatio, yLabel: "share of variance", title: "W_E: explained variance ratio" }) });
  let fourier = null;
  if (model.pos_embed) {
    fourier = positionalFourier(model);
    sections.push({ heading: "Positional embedding: Fourier power", svg: barChart({ labels: fourier.frequencies.map(String), values: fourier.powerFraction, xLabel: "frequency (cycles per n_ctx)", yLabel: "share of power", title: "DFT of each W_pos column over positions, summed" }), caption: `Power in frequencies 1…n_ctx/8: ${(100 * fourier.lowFrequencyFraction).toFixed(1)}% (smooth embeddings put most power at low frequencies).` });
    // one picture holds at most 250000 cells: for wide models (GPT-2: 768 dimensions × 513
    // frequencies) show the low frequencies, where smooth embeddings put their power
    const shown = Math.min(fourier.frequencies.length, Math.max(1, Math.floor(200_000 / fourier.spectrum.length)));
    const cut = shown < fourier.frequencies.length ? ` (frequencies 0…${shown - 1} of ${fourier.frequencies.length - 1})` : "";
    sections.push({ heading: `Positional embedding spectrum per dimension${cut}`, svg: heatmap({ values: fourier.spectrum.map((r) => r.slice(0, shown).map((v) => Math.log10(v + 1e-12))), xLabel: "frequency", yLabel: "dimension", colorScheme: "viridis", colorLabel: "log10 power" }) });
  }
  const svd: Record<string, unknown> = {};
  if (opts.svd !== undefined) {
    for (const spec of opts.svd.split(",")) {
      const m = /^(\d+)\.(\d+)$/.exec(spec.trim());
      if (!m) throw new Error(`--svd: expected layer.head pairs like 1.0,1.3, got "${spec}"`);
      const dirs = svdOV(model, Number(m[1]), Number(m[2]), { foldLn, k: 4, topTokens: 6, vocab: tokenizer ? Array.from({ length: model.cfg.d_vocab }, (_, i) => tokenizer.idToToken(i)) : undefined });
      svd[spec.trim()] = dirs;
      sections.push({ heading: `SVD of W_OV, head ${spec.trim()}`, svg: barChart({ labels: dirs.map((d) => `σ${d.index}`), values: dirs.map((d) => d.singularValue), title: "singular values" }), caption: dirs.map((d) => `σ${d.index} = ${d.singularValue.toFixed(3)}: reads ${d.inputTop!.map((t) => quoteToken(t.token)).join(" ")} → writes ${d.outputTop!.map((t) => quoteToken(t.token)).join(" ")}`).join("\n") });
    }
  }
  const html = htmlPage("Weight circuits", sections);
  const json = { copying: { ov: ov.score, qk: qk.score, ovPositiveFraction: ov.positiveFraction }, composition, embeddingPca: { explainedVarianceRatio: Array.from(pcaE.explainedVarianceRatio) }, positionalFourier: fourier && { power: fourier.power, lowFrequencyFraction: fourier.lowFrequencyFraction, topFrequencies: fourier.topFrequencies.slice(0, 8) }, svd };
  return { html, json };
}
