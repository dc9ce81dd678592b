// The page of `dgpt interp patch`: which layer × position, and which heads, restore the clean
// behaviour. Every figure says what was measured (the metric, its direction) and on which prompts.
import type { PatchingResult } from "../../interp/patching.js";
import { heatmap, htmlPage, visibleToken, type PageSection } from "../../plot/index.js";

export interface PatchingPageInput {
  /** Token texts of the clean and corrupted prompts (same length). */
  clean: string[];
  corrupted: string[];
  /** The metric in words, e.g. logit("␣Paris") − logit("␣Rome"). */
  metric: string;
  direction: "denoise" | "noise";
  nLayers: number;
  nHeads: number;
  /** One result per component patched: resid_pre, attn_out, …, or heads (layer × head). */
  results: Record<string, PatchingResult<number[][]>>;
}

export function patchingPage(p: PatchingPageInput): string {
  const tokens = p.clean.map((t, i) => (t === p.corrupted[i] ? visibleToken(t) : `${visibleToken(t)}/${visibleToken(p.corrupted[i]!)}`));
  const layers = Array.from({ length: p.nLayers }, (_, l) => `layer ${l}`);
  const how =
    p.direction === "denoise"
      ? "Denoising: run the corrupted prompt and patch in one activation from the clean run"
      : "Noising: run the clean prompt and patch in one activation from the corrupted run";
  const sections: PageSection[] = [];
  for (const [c, r] of Object.entries(p.results)) {
    sections.push({
      heading: c === "heads" ? `Each head's output (hook_z, all positions): ${p.metric}` : `${c}, one layer × position at a time: ${p.metric}`,
      svg: heatmap({
        values: r.normalized,
        rowLabels: layers,
        colLabels: c === "heads" ? Array.from({ length: p.nHeads }, (_, h) => `H${h}`) : tokens,
        xLabel: c === "heads" ? "head" : "position (clean/corrupted token)",
        diverging: true,
        colorLabel: "restored: (patched − corrupted) / (clean − corrupted)",
        title: `${p.direction === "noise" ? "Noising" : "Denoising"} ${c}`,
        subtitle: `metric: ${p.metric}`,
      }),
      caption: `${how}. Metric ${p.metric}: clean ${r.clean.toFixed(4)}, corrupted ${r.corrupted.toFixed(4)}; 1 = the clean behaviour, 0 = the corrupted one.`,
    });
  }
  const prompts = `clean:      "${p.clean.map(visibleToken).join("")}"\ncorrupted: "${p.corrupted.map(visibleToken).join("")}"`;
  const differ = p.clean.flatMap((t, i) => (t === p.corrupted[i] ? [] : [`${i} (${visibleToken(t)} → ${visibleToken(p.corrupted[i]!)})`]));
  const setup = `${prompts}\nthey differ at position ${differ.join(", ")}\nmetric: ${p.metric}\n${how}.`;
  return htmlPage(`Activation patching: ${p.metric}`, [{ heading: "Setup", caption: setup }, ...sections]);
}
