// Short text summaries of the interpretability views, printed in the terminal beside the page:
// the few numbers a reader looks for first (which heads, which layer, which token), so a run
// says something without opening the HTML. Token text is quoted as on the pages (quoteToken: ␣ for a space).
import type { HeadName } from "../interp/attention.js";
import type { DlaResult } from "../interp/dla.js";
import type { LogitLensResult } from "../interp/lens.js";
import type { PatchingResult } from "../interp/patching.js";
import { quoteToken as quote } from "./pages/tokens.js";
const signed = (v: number, digits = 3) => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(digits)}`;

/** The k largest entries of a (layer × head) grid, as "L1H2 0.83". */
function topHeads(grid: number[][], k: number): { label: string; value: number }[] {
  const all = grid.flatMap((row, l) => row.map((value, h) => ({ label: `L${l}H${h}`, value })));
  return all.filter((e) => Number.isFinite(e.value)).sort((a, b) => b.value - a.value).slice(0, k);
}

/** What each layer predicts at the last position, and how far each layer is from the final output. */
export function lensSummary(r: LogitLensResult, name: string, piece: (id: number) => string): string {
  const last = r.tokens.length - 1;
  const rows = r.labels.map((label, l) => `  ${label.padEnd(12)} ${quote(piece(r.topTokens[l][last][0])).padEnd(14)} p ${r.topProbs[l][last][0].toFixed(3)}   KL ${r.meanKl[l].toFixed(3)}`);
  return `${name}: the top next token at the last position (after ${quote(piece(r.tokens[last]))}) read from each layer; KL(final ‖ layer) averaged over positions, in nats\n${rows.join("\n")}`;
}

/** The three highest-scoring heads of each detector, and a plain word when none stands out. */
export function headScoresSummary(scores: Partial<Record<HeadName, number[][]>>, threshold = 0.4): string {
  const lines = Object.entries(scores).map(([name, grid]) => {
    const top = topHeads(grid!, 3);
    const best = top[0];
    const verdict = best && best.value >= threshold ? "" : ` (none reaches ${threshold})`;
    return `  ${name.replace(/_/g, " ").padEnd(22)} ${top.map((e) => `${e.label} ${e.value.toFixed(3)}`).join(", ")}${verdict}`;
  });
  return lines.length > 0 ? `top heads by score (1 = the ideal pattern):\n${lines.join("\n")}` : "one token: no head scores (they need at least two positions)";
}

/** The largest direct contributions, components and heads, with their sum. */
export function dlaSummary(r: DlaResult, what: string): string {
  const biggest = (a: { labels: string[]; values: number[] }, k: number) =>
    a.labels.map((label, i) => ({ label, value: a.values[i] })).sort((x, y) => Math.abs(y.value) - Math.abs(x.value)).slice(0, k).map((e) => `${e.label} ${signed(e.value)}`).join(", ");
  return `${what} = ${r.logit.toFixed(3)} at position ${r.pos}\n  largest components: ${biggest(r.components, 5)}\n  largest heads: ${biggest(r.heads, 5)}`;
}

/** The metric on both runs and, per patched component, the places that restore the most. */
export function patchSummary(metric: string, results: Record<string, PatchingResult<number[][]>>, columns: (component: string) => string[]): string {
  const first = Object.values(results)[0];
  if (!first) return `metric ${metric}: nothing patched`;
  const lines = Object.entries(results).map(([component, r]) => {
    const cols = columns(component);
    const cells = r.normalized.flatMap((row, l) => row.map((value, j) => ({ where: component === "heads" ? `L${l}H${j}` : `L${l} pos ${j} ${cols[j]}`, value })));
    const top = cells.filter((c) => Number.isFinite(c.value)).sort((a, b) => b.value - a.value).slice(0, 3);
    return `  ${component.padEnd(10)} ${top.map((c) => `${c.where} ${c.value.toFixed(2)}`).join(", ")}`;
  });
  return `metric ${metric}: clean ${first.clean.toFixed(4)}, corrupted ${first.corrupted.toFixed(4)}\nwhere patching restores the most (1 = the whole clean behaviour):\n${lines.join("\n")}`;
}

/** The heads that copy most (OV) and the strongest composition between two heads. */
export function circuitsSummary(ov: number[][], composition: Record<string, number[][]>): string {
  // composition grids list every head of every layer, layer by layer: L0H0, L0H1, …
  const H = ov[0]?.length ?? 0;
  const headLabels = Array.from({ length: ov.length * H }, (_, i) => `L${Math.floor(i / H)}H${i % H}`);
  const lines = [`  OV copying     ${topHeads(ov, 3).map((e) => `${e.label} ${e.value.toFixed(3)}`).join(", ")}`];
  for (const [kind, grid] of Object.entries(composition)) {
    const pairs = grid.flatMap((row, i) => row.map((value, j) => ({ label: `${headLabels[i]} → ${headLabels[j]}`, value }))).filter((e) => Number.isFinite(e.value)).sort((a, b) => b.value - a.value).slice(0, 3);
    lines.push(`  ${`${kind}-composition`.padEnd(14)} ${pairs.map((e) => `${e.label} ${e.value.toFixed(3)}`).join(", ")}`);
  }
  return `strongest circuits in the weights:\n${lines.join("\n")}`;
}
