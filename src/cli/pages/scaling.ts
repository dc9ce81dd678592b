// The pages of `dgpt scaling sweep` and `dgpt scaling fit`: loss against compute with the
// envelope and the fitted law, loss against tokens per model size, IsoFLOP parabolas, and the
// compute-optimal frontier (N_opt and D/N against C) with its bootstrap band.
import { htmlPage, linePlot, PALETTE, type LineSeries, type PageSection } from "../../plot/index.js";
import type { ScalingAnalysis } from "../../scaling/analysis.js";
import type { Interval } from "../../scaling/bootstrap.js";
import { computeOptimal, hasComputeOptimum, optimalExponents, predictLoss, type ScalingLaw } from "../../scaling/law.js";
import { quantile } from "../../scaling/bootstrap.js";
import { runParams, type RunRecord } from "../../scaling/runs.js";

/** A number in 3 significant digits, in e-notation when large or small. */
export const fmt = (x: number): string => {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e5) return String(x);
  return Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(2).replace("e+", "e") : Number(x.toPrecision(3)).toString();
};

/** "estimate [lo, hi]", and how many resamples gave a value when some did not (e.g. α ≤ 0: no optimum). */
const fmtInterval = (iv: Interval | undefined, est: number, samples = 0): string => (iv ? `${fmt(est)}  [${fmt(iv.lo)}, ${fmt(iv.hi)}]${iv.n < samples ? ` (from the ${iv.n} resamples that have one)` : ""}` : fmt(est));

/** The series that have a point to draw (a fitted curve can lie wholly above the plotted range). */
const drawable = (series: LineSeries[]): LineSeries[] => series.filter((s) => Array.from(s.y).some(Number.isFinite));

/** Points x0 … x1 spaced evenly in log x. */
const logSpace = (x0: number, x1: number, n: number): number[] => Array.from({ length: n }, (_, i) => x0 * (x1 / x0) ** (i / (n - 1)));

/** The model sizes of the runs, smallest first, with a colour each. */
function sizesOf(runs: readonly RunRecord[], count: ScalingAnalysis["count"]): { label: string; N: number; runs: RunRecord[]; color: string }[] {
  const bySize = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = `${r.nLayers}x${r.dModel}x${r.nHeads}`;
    bySize.set(key, [...(bySize.get(key) ?? []), r]);
  }
  return [...bySize.entries()]
    .map(([key, rs]) => ({ key, rs, N: runParams(rs[0]!, count) }))
    .sort((a, b) => a.N - b.N)
    .map(({ key, rs, N }, i) => ({ label: `${key} (N ${fmt(N)})`, N, runs: rs.sort((a, b) => a.tokens - b.tokens), color: PALETTE[i % PALETTE.length]! }));
}

/** The text summary printed by `dgpt scaling fit` and shown on its page. */
export function scalingSummary(a: ScalingAnalysis): string {
  const { fit, bootstrap: b } = a;
  const law = fit.law;
  const exps = optimalExponents(law);
  const lines: string[] = [];
  const Ns = a.runs.map((r) => runParams(r, a.count));
  const Ds = a.runs.map((r) => r.tokens);
  lines.push(`${a.runs.length} runs: N ${fmt(Math.min(...Ns))} to ${fmt(Math.max(...Ns))} (${a.count === "total" ? "all parameters" : "without embeddings"}), D ${fmt(Math.min(...Ds))} to ${fmt(Math.max(...Ds))} tokens, C = 6ND ${fmt(Math.min(...a.compute))} to ${fmt(Math.max(...a.compute))} FLOPs`);
  lines.push("");
  lines.push(`Approach 3: L(N, D) = E + A/N^α + B/D^β, Huber (δ = 1e-3) on log-loss, L-BFGS from ${fit.starts} starts (${fit.converged} converged); objective ${fit.objective.toExponential(3)}`);
  lines.push(b ? `  estimate  [${Math.round(b.level * 100)}% bootstrap interval over ${b.samples} resamples of the runs]` : "  (no bootstrap)");
  lines.push(`  E = ${fmtInterval(b?.E, law.E, b?.samples)}`);
  lines.push(`  A = ${fmtInterval(b?.A, law.A, b?.samples)}`);
  lines.push(`  B = ${fmtInterval(b?.B, law.B, b?.samples)}`);
  lines.push(`  α = ${fmtInterval(b?.alpha, law.alpha, b?.samples)}`);
  lines.push(`  β = ${fmtInterval(b?.beta, law.beta, b?.samples)}`);
  lines.push(`  N_opt ∝ C^a, a = β/(α+β) = ${fmtInterval(b?.a, exps.a, b?.samples)}`);
  lines.push(`  D_opt ∝ C^b, b = α/(α+β) = ${fmtInterval(b?.b, exps.b, b?.samples)}`);
  for (const [i, C] of a.budgets.entries()) {
    const o = b?.optimal[i];
    if (!hasComputeOptimum(law)) {
      lines.push(`  at C = ${fmt(C)}: no compute-optimal allocation (α or β ≤ 0, or a coefficient overflowed: the runs do not pin the law down)`);
      continue;
    }
    const opt = computeOptimal(law, C);
    lines.push(`  at C = ${fmt(C)}: N_opt ${fmtInterval(o?.N, opt.N, b?.samples)}, D_opt ${fmtInterval(o?.D, opt.D, b?.samples)}, D/N ${fmtInterval(o?.tokensPerParameter, opt.tokensPerParameter, b?.samples)} tokens per parameter`);
  }
  if (a.isoflop) {
    lines.push("");
    lines.push("Approach 2: IsoFLOP profiles (a parabola of loss in log N per budget)");
    for (const p of a.isoflop.profiles) {
      lines.push(p.optimum ? `  C = ${fmt(p.C)}: N_opt ${fmt(p.optimum.N)}, D_opt ${fmt(p.optimum.D)}, D/N ${fmt(p.optimum.D / p.optimum.N)}, loss ${fmt(p.optimum.loss)}${p.optimum.extrapolated ? " (outside the sizes trained: extrapolated)" : ""}` : `  C = ${fmt(p.C)}: no optimum (${p.note})`);
    }
    const ib = a.isoflopBootstrap;
    if (a.isoflop.N && a.isoflop.D) {
      lines.push(`  N_opt ∝ C^a, a = ${fmtInterval(ib?.a, a.isoflop.N.exponent, ib?.samples)}`);
      lines.push(`  D_opt ∝ C^b, b = ${fmtInterval(ib?.b, a.isoflop.D.exponent, ib?.samples)}`);
    } else lines.push("  fewer than two budgets have an optimum: no frontier");
  }
  lines.push("");
  lines.push(`Chinchilla's published law (E 1.69, A 406.4, B 410.7, α 0.34, β 0.28; MassiveText, a subword tokenizer): a = ${fmt(optimalExponents(a.chinchilla).a)}; its losses are not comparable with these.`);
  return lines.join("\n");
}

/** Pointwise percentile band of N_opt and D/N across the bootstrap laws. */
function band(laws: readonly ScalingLaw[], Cs: readonly number[], pick: (o: { N: number; tokensPerParameter: number }) => number, level: number): { lo: number[]; hi: number[] } {
  const lo: number[] = [];
  const hi: number[] = [];
  for (const C of Cs) {
    const v = laws.filter(hasComputeOptimum).map((l) => pick(computeOptimal(l, C))).sort((x, y) => x - y);
    lo.push(quantile(v, (1 - level) / 2));
    hi.push(quantile(v, 1 - (1 - level) / 2));
  }
  return { lo, hi };
}

/** Loss against compute: the runs, each size's fitted curve, the runs' envelope and the fitted frontier. */
function lossVsCompute(a: ScalingAnalysis): string {
  const law = a.fit.law;
  const sizes = sizesOf(a.runs, a.count);
  const [c0, c1] = [Math.min(...a.compute) / 2, Math.max(...a.compute) * 2];
  const ys = a.runs.map((r) => r.valLoss);
  const [bottom, top] = [Math.min(...ys) - 0.1, Math.max(...ys) + 0.15];
  // curves are cut at the plot's edges (a clamped curve would run along the edge)
  const inRange = (y: number) => (y >= bottom && y <= top ? y : NaN);
  const series: LineSeries[] = [];
  for (const s of sizes) {
    const Cs = logSpace(c0, c1, 120);
    series.push({ name: `${s.label}: fit`, x: Cs, y: Cs.map((C) => inRange(predictLoss(law, s.N, C / (6 * s.N)))), color: s.color });
  }
  // the envelope: the lowest loss reached by any run of at most this compute
  const order = a.runs.map((r, i) => ({ C: a.compute[i]!, L: r.valLoss })).sort((p, q) => p.C - q.C);
  let best = Infinity;
  const env = order.filter((p) => (p.L < best ? ((best = p.L), true) : false));
  series.push({ name: "envelope of the runs", x: env.map((p) => p.C), y: env.map((p) => p.L), color: "#222" });
  if (hasComputeOptimum(law)) {
    const Cs = logSpace(c0, c1, 60);
    series.push({ name: "fitted compute-optimal frontier", x: Cs, y: Cs.map((C) => inRange(computeOptimal(law, C).loss)), color: "#d6336c" });
  }
  for (const s of sizes) series.push({ name: s.label, x: s.runs.map((r) => 6 * runParams(r, a.count) * r.tokens), y: s.runs.map((r) => r.valLoss), mark: "dots", color: s.color, r: 4.5 });
  return linePlot({
    title: "Final loss against training compute",
    subtitle: "dots: runs; lines: the fitted law for each size; black: the best loss any run reached with at most this compute",
    series: drawable(series),
    xLabel: "training compute C = 6ND (FLOPs)",
    yLabel: "held-out loss (nats/token)",
    logX: true,
    yDomain: [bottom, top],
    height: 460,
  });
}

/** Loss against tokens for each size: the runs and the fitted law. */
function lossVsTokens(a: ScalingAnalysis): string {
  const law = a.fit.law;
  const sizes = sizesOf(a.runs, a.count);
  const Ds = a.runs.map((r) => r.tokens);
  const ys = a.runs.map((r) => r.valLoss);
  const [bottom, top] = [Math.min(...ys) - 0.1, Math.max(...ys) + 0.15];
  const grid = logSpace(Math.min(...Ds) / 1.5, Math.max(...Ds) * 1.5, 120);
  const series: LineSeries[] = sizes.map((s) => ({ name: `${s.label}: fit`, x: grid, y: grid.map((D) => predictLoss(law, s.N, D)).map((y) => (y >= bottom && y <= top ? y : NaN)), color: s.color }));
  for (const s of sizes) series.push({ name: s.label, x: s.runs.map((r) => r.tokens), y: s.runs.map((r) => r.valLoss), mark: "dots", color: s.color, r: 4.5 });
  return linePlot({ title: "Final loss against training tokens, per model size", series: drawable(series), xLabel: "training tokens D", yLabel: "held-out loss (nats/token)", logX: true, yDomain: [bottom, top], height: 440 });
}

/** IsoFLOP profiles: each budget's runs against N, and its parabola with the minimum marked. */
function isoflopPlot(a: ScalingAnalysis): string | null {
  if (!a.isoflop) return null;
  const ys = a.isoflop.profiles.flatMap((p) => p.runs.map((r) => r.loss));
  const [bottom, top] = [Math.min(...ys) - 0.1, Math.max(...ys) + 0.15];
  const series: LineSeries[] = [];
  a.isoflop.profiles.forEach((p, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    const Ns = p.runs.map((r) => r.N);
    if (p.parabola) {
      const grid = logSpace(Math.min(...Ns) / 1.3, Math.max(...Ns) * 1.3, 50);
      const y = grid.map((N) => p.parabola!.c0 + p.parabola!.c1 * Math.log(N) + p.parabola!.c2 * Math.log(N) ** 2);
      series.push({ name: `C = ${fmt(p.C)}: parabola`, x: grid, y: y.map((v) => (v >= bottom && v <= top ? v : NaN)), color });
    }
    series.push({ name: `C = ${fmt(p.C)}`, x: Ns, y: p.runs.map((r) => r.loss), mark: "dots", color, r: 4.5 });
    if (p.optimum) series.push({ name: `C = ${fmt(p.C)}: minimum`, x: [p.optimum.N], y: [p.optimum.loss], mark: "dots", color, symbol: "diamond", r: 8 });
  });
  return linePlot({ title: "IsoFLOP profiles (approach 2)", subtitle: "each budget's runs (D = C/6N) against model size, a parabola in log N, and its minimum", series: drawable(series), xLabel: `N (${a.count === "total" ? "all parameters" : "without embeddings"})`, yLabel: "held-out loss (nats/token)", logX: true, yDomain: [bottom, top], height: 440 });
}

/** The compute-optimal N (or D/N) against C: approach 3 with its band, approach 2's optima, Chinchilla's law. */
function frontierPlot(a: ScalingAnalysis, what: "N" | "ratio"): string | null {
  const law = a.fit.law;
  if (!hasComputeOptimum(law)) return null;
  const [c0, c1] = [Math.min(...a.compute, ...a.budgets) / 3, Math.max(...a.compute, ...a.budgets) * 3];
  const Cs = logSpace(c0, c1, 40);
  const pick = (o: { N: number; tokensPerParameter: number }) => (what === "N" ? o.N : o.tokensPerParameter);
  const series: LineSeries[] = [{ name: "approach 3 (fit)", x: Cs, y: Cs.map((C) => pick(computeOptimal(law, C))), color: "#d6336c" }];
  if (a.bootstrap) {
    const b = band(a.bootstrap.laws, Cs, pick, a.bootstrap.level);
    // the band's outline: along its lower edge, then back along its upper edge
    series.push({ name: `${Math.round(a.bootstrap.level * 100)}% bootstrap band`, x: [...Cs, ...[...Cs].reverse(), Cs[0]!], y: [...b.lo, ...[...b.hi].reverse(), b.lo[0]!], color: "#f3a5bf" });
  }
  series.push({ name: "Chinchilla's published law", x: Cs, y: Cs.map((C) => pick(computeOptimal(a.chinchilla, C))), color: "#9498a0" });
  const opts = a.isoflop?.profiles.filter((p) => p.optimum) ?? [];
  if (opts.length > 0) series.push({ name: "approach 2 (IsoFLOP minima)", x: opts.map((p) => p.C), y: opts.map((p) => (what === "N" ? p.optimum!.N : p.optimum!.D / p.optimum!.N)), mark: "dots", color: "#4269d0", symbol: "diamond", r: 7 });
  if (what === "N") series.push({ name: "runs", x: a.compute, y: a.runs.map((r) => runParams(r, a.count)), mark: "dots", color: "#9c6b4e", r: 3 });
  return linePlot({
    title: what === "N" ? "Compute-optimal model size" : "Compute-optimal tokens per parameter",
    series,
    xLabel: "training compute C = 6ND (FLOPs)",
    yLabel: what === "N" ? "N_opt (parameters)" : "D_opt / N_opt (tokens per parameter)",
    logX: true,
    logY: true,
    height: 420,
  });
}

export function scalingFitPage(a: ScalingAnalysis, source: string): string {
  const sections: PageSection[] = [{ heading: "Fit", caption: `${source}\n\n${scalingSummary(a)}` }];
  sections.push({ heading: "Loss against compute", svg: lossVsCompute(a) });
  sections.push({ heading: "Loss against tokens", svg: lossVsTokens(a) });
  const iso = isoflopPlot(a);
  if (iso) sections.push({ heading: "IsoFLOP profiles", svg: iso });
  const fN = frontierPlot(a, "N");
  if (fN) sections.push({ heading: "Compute-optimal frontier", svg: fN, caption: "The runs' own (C, N) are the brown dots: beyond them the lines are extrapolations." });
  const fR = frontierPlot(a, "ratio");
  if (fR) sections.push({ heading: "Tokens per parameter", svg: fR });
  return htmlPage("Scaling laws: fit", sections);
}

/** The sweep's own page: its runs, loss against compute and against tokens, without a fit. */
export function scalingSweepPage(runs: readonly RunRecord[], setup: string): string {
  const sizes = sizesOf(runs, "total");
  const dots = (x: (r: RunRecord) => number): LineSeries[] => sizes.map((s) => ({ name: s.label, x: s.runs.map(x), y: s.runs.map((r) => r.valLoss), color: s.color, mark: s.runs.length > 1 ? "line" : "dots" }));
  const table = runs.map((r) => `${r.id}: N ${fmt(r.params)} (${fmt(r.paramsNonEmbedding)} without embeddings), D ${fmt(r.tokens)}, C ${fmt(r.flops6ND)}${r.budget !== null ? ` (budget ${fmt(r.budget)})` : ""}: val loss ${r.valLoss.toFixed(4)}, train ${r.trainLoss.toFixed(4)}, ${r.seconds.toFixed(1)} s`).join("\n");
  return htmlPage("Scaling sweep", [
    { heading: "Setup", caption: setup },
    { heading: "Loss against compute", svg: linePlot({ series: dots((r) => r.flops6ND), xLabel: "training compute C = 6ND (FLOPs)", yLabel: "held-out loss (nats/token)", logX: true, height: 420 }) },
    { heading: "Loss against tokens", svg: linePlot({ series: dots((r) => r.tokens), xLabel: "training tokens D", yLabel: "held-out loss (nats/token)", logX: true, height: 420 }) },
    { heading: "Runs", caption: `${table}\n\nFit a law to them with: dgpt scaling fit --runs <this folder>/runs.jsonl` },
  ]);
}
