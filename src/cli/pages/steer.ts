// The page of `dgpt steer sweep`: where a steering vector works (its effect on generations, per
// layer and coefficient) and what it costs (the rise in next-token loss on ordinary text).
import { heatmap, htmlPage, linePlot, type PageSection } from "../../plot/index.js";
import type { Stat, SweepCell, SweepResult } from "../../steer/sweep.js";

/** One cell of the sweep as the page shows it: the sweep's cell with its samples decoded. */
export type SweepPageCell = Omit<SweepCell, "samples"> & { samples: string[] };

export interface SweepPageInput {
  /** What was steered, in words (e.g. ActAdd "happy" − "sad"). */
  title: string;
  /** The setup paragraph (the command, prompts, samples, data). */
  setup: string;
  /** The score's name, e.g. "lexicon sentiment". */
  scoreName: string;
  layers: number[];
  coefs: number[];
  cells: SweepPageCell[][];
  clean: { effect: Stat; loss: number; samples: string[] };
  vectorNorm: number[];
  residNorm: number[];
}

/** The page's input from a sweep's result, its samples decoded to text. */
export function sweepPageInput(r: SweepResult, decode: (ids: number[]) => string, about: { title: string; setup: string; scoreName: string }): SweepPageInput {
  return {
    ...about,
    layers: r.layers,
    coefs: r.coefs,
    cells: r.cells.map((row) => row.map((c) => ({ ...c, samples: c.samples.map(decode) }))),
    clean: { effect: r.clean.effect, loss: r.clean.loss, samples: r.clean.samples.map(decode) },
    vectorNorm: r.vectorNorm,
    residNorm: r.residNorm,
  };
}

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

export function steerSweepPage(r: SweepPageInput): string {
  const rows = r.layers.map((l) => `L${l}`);
  const cols = r.coefs.map((c) => String(c));
  const shift = r.cells.map((row) => row.map((c) => c.shift.mean));
  const cost = r.cells.map((row) => row.map((c) => c.cost));
  const perLayer = (y: (c: SweepPageCell) => number) => r.layers.map((l, i) => ({ name: `layer ${l}`, x: r.coefs, y: r.cells[i].map(y) }));
  const perCoef = r.coefs
    .map((c, j) => ({ c, j }))
    .filter(({ c }) => c !== 0)
    .map(({ c, j }) => ({ name: `c = ${c}`, x: r.layers, y: r.cells.map((row) => row[j].effect.mean) }));
  const sections: PageSection[] = [
    { heading: "Setup", caption: `${r.setup}\nClean model: ${r.scoreName} ${fmt(r.clean.effect.mean)} ± ${fmt(r.clean.effect.stderr)} over ${r.clean.effect.n} generations; held-out loss ${fmt(r.clean.loss, 4)}.\n‖v‖ per layer: ${r.layers.map((l, i) => `L${l} ${fmt(r.vectorNorm[i], 2)}`).join(", ")}; mean ‖resid_pre‖ on the held-out text: ${r.layers.map((l, i) => `L${l} ${fmt(r.residNorm[i], 2)}`).join(", ")}.` },
    {
      heading: `Effect: change in ${r.scoreName}`,
      svg: heatmap({ values: shift, rowLabels: rows, colLabels: cols, diverging: true, cellText: r.cells.map((row) => row.map((c) => `${fmt(c.shift.mean, 2)}±${fmt(c.shift.stderr, 2)}`)), xLabel: "coefficient c", yLabel: "layer", colorLabel: `Δ ${r.scoreName}` }),
      caption: `Mean over generations of ${r.scoreName} steered minus clean, each pair sampled with the same seed (± the standard error of that paired difference).`,
    },
    {
      heading: "Cost: rise in next-token loss on held-out text",
      svg: heatmap({ values: cost, rowLabels: rows, colLabels: cols, colorScheme: "reds", cellText: r.cells.map((row) => row.map((c) => fmt(c.cost, 3))), xLabel: "coefficient c", yLabel: "layer", colorLabel: "Δ loss (nats)" }),
      caption: "Mean next-token cross-entropy with the steering on, minus the clean model's, on windows of the held-out text (ActAdd's perplexity check).",
    },
    { heading: `${capital(r.scoreName)} against the coefficient`, svg: linePlot({ series: perLayer((c) => c.effect.mean), xLabel: "coefficient c", yLabel: r.scoreName, yRules: [{ y: r.clean.effect.mean, label: "clean" }] }) },
    { heading: "Loss cost against the coefficient", svg: linePlot({ series: perLayer((c) => c.cost), xLabel: "coefficient c", yLabel: "Δ loss (nats)", yRules: [{ y: 0, label: "clean" }] }) },
  ];
  if (perCoef.length > 0) sections.push({ heading: `${capital(r.scoreName)} against the layer`, svg: linePlot({ series: perCoef, xLabel: "layer", yLabel: r.scoreName, yRules: [{ y: r.clean.effect.mean, label: "clean" }] }) });
  const lines = [`clean: ${r.clean.samples.map((s) => JSON.stringify(s)).join(" · ")}`];
  const extremes = [...new Set([Math.min(...r.coefs), Math.max(...r.coefs)])].filter((c) => c !== 0);
  r.layers.forEach((l, i) => {
    for (const c of extremes) {
      const cell = r.cells[i][r.coefs.indexOf(c)];
      lines.push(`layer ${l}, c = ${c}: ${cell.samples.map((s) => JSON.stringify(s)).join(" · ")}`);
    }
  });
  sections.push({ heading: "Sample continuations", caption: lines.join("\n") });
  return htmlPage(`Steering sweep: ${r.title}`, sections);
}
