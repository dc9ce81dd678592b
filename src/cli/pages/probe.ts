// The page of `dgpt interp probe`: how well a linear probe reads part of speech at each hook,
// against its controls.
import { barChart, htmlPage } from "../../plot/index.js";

/** What the page needs of each probe's result (BrownPosProbeResult has these and more). */
export interface ProbeRow {
  hook: string;
  testScore: number;
  selectivity: number;
  wordControlScore: number;
  majorityBaseline: number;
}

export function probePage(results: ProbeRow[], about: { kind: string; tagset: string; tokens: number; classes: number }): string {
  const hooks = results.map((r) => r.hook);
  return htmlPage("Part-of-speech probes", [
    { heading: "Held-out accuracy by hook", svg: barChart({ labels: hooks, values: results.map((r) => r.testScore), horizontal: true, xLabel: "accuracy", title: `${about.kind} probe for ${about.tagset} tags (${about.tokens} tokens, ${about.classes} classes)` }), caption: `Majority baseline ${results[0]!.majorityBaseline.toFixed(3)}.` },
    { heading: "Selectivity (accuracy − shuffled-label control)", svg: barChart({ labels: hooks, values: results.map((r) => r.selectivity), horizontal: true, xLabel: "selectivity" }) },
    { heading: "Word-type control (Hewitt & Liang)", svg: barChart({ labels: hooks, values: results.map((r) => r.wordControlScore), horizontal: true, xLabel: "control accuracy" }), caption: "A probe fitted to a random tag per word type: how much a probe can memorise." },
  ]);
}
