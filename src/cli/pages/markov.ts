// The page of `dgpt ngram analyze`: a bigram model's transition matrix P studied as a Markov
// chain (singular values, stationary distribution, sparsity, the top tokens' transitions).
import type { MarkovChain, SparsityStats, Spectrum, Stationary } from "../../models/markov.js";
import { barChart, heatmap, htmlPage, linePlot, visibleToken } from "../../plot/index.js";

export interface MarkovPageInput {
  title: string;
  chain: MarkovChain;
  stats: SparsityStats;
  /** π from the direct method, and how far power iteration's π is from it (max |difference|). */
  stationary: Stationary;
  powerGap: number;
  spectrum: Spectrum;
  /** The text of a token id. */
  piece: (id: number) => string;
  /** Tokens in the stationary-distribution chart and the transition heatmap. */
  top: number;
}

export function markovPage(p: MarkovPageInput): string {
  const { chain, stats, spectrum } = p;
  const eig = p.stationary;
  const nStates = chain.states.length;
  const label = (s: number) => visibleToken(p.piece(chain.states[s]!));
  const sv = Array.from(spectrum.singularValues);
  const order = Array.from(eig.pi, (_, s) => s).sort((a, b) => eig.pi[b]! - eig.pi[a]!).slice(0, Math.min(p.top, nStates));
  const positive = sv.map((y, i) => ({ x: i + 1, y })).filter((q) => q.y > 0);
  const spectrumSvg = linePlot({
    title: "Singular values of the transition matrix P",
    subtitle: `${spectrum.method === "dense" ? "all" : `top ${sv.length} (randomized SVD)`}; numerical rank ${spectrum.rank.lowerBound ? "≥ " : ""}${spectrum.rank.rank} of ${nStates}`,
    series: [{ name: "σ", x: positive.map((q) => q.x), y: positive.map((q) => q.y) }],
    xLabel: "index i",
    yLabel: "σᵢ",
    logY: true,
  });
  const piSvg = barChart({
    title: "Stationary distribution π = πP: most likely tokens",
    labels: order.map(label),
    values: order.map((s) => eig.pi[s]!),
    horizontal: true,
    xLabel: "π",
  });
  const supportSvg = barChart({
    title: "Row support: distinct successors per token",
    labels: stats.support.histogram.map((b) => (b.upTo <= 2 ? String(b.upTo) : `${b.upTo / 2 + 1}–${b.upTo}`)),
    values: stats.support.histogram.map((b) => b.rows),
    xLabel: "successors",
    yLabel: "tokens",
  });
  const heat = heatmap({
    title: `Transitions among the ${order.length} most frequent tokens`,
    values: order.map((s) => order.map((t) => chain.P.get(s, t))),
    rowLabels: order.map(label),
    colLabels: order.map(label),
    xLabel: "next token",
    yLabel: "current token",
    colorLabel: "P(next | current)",
  });
  const statsText = [
    `vocabulary ${stats.vocabSize}, tokens seen ${stats.states}, dangling ${chain.dangling.length}`,
    `non-zeros ${stats.nnz} of V² = ${(stats.vocabSize ** 2).toExponential(3)} (density ${stats.density.toExponential(3)})`,
    `zero rows ${(stats.zeroRowFraction * 100).toFixed(2)}%, bigrams seen once ${(stats.singletonFraction * 100).toFixed(1)}%`,
    `successors per row: min ${stats.support.min}, median ${stats.support.median}, mean ${stats.support.mean.toFixed(1)}, max ${stats.support.max}`,
    `row entropy (bits): min ${stats.entropy.min.toFixed(3)}, mean ${stats.entropy.mean.toFixed(3)}, max ${stats.entropy.max.toFixed(3)}; entropy rate ${stats.entropyRate.toFixed(3)} bits/token`,
  ].join("\n");
  return htmlPage(p.title, [
    { heading: "Singular values", svg: spectrumSvg, caption: `tolerance for the rank: σ > ${spectrum.rank.tol.toExponential(2)}` },
    { heading: "Stationary distribution", svg: piSvg, caption: `π from ${eig.method} (residual ‖πP − π‖₁ = ${eig.residual.toExponential(2)}); power iteration agrees to ${p.powerGap.toExponential(2)}; ␣ is a space, ↵ a newline` },
    { heading: "Sparsity", svg: supportSvg, caption: statsText },
    { heading: "Transition matrix (top tokens)", svg: heat },
  ]);
}
