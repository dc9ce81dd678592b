// The page of `dgpt tms`: the figures of "Toy Models of Superposition" (Elhage et al. 2022) from
// our own runs. The paper's sweep figure (WᵀW and b per sparsity, ‖W_i‖ coloured by
// superposition) and the hidden-plane polygons are drawn here as small multiples in plain SVG;
// the line and scatter plots come from src/plot.
import * as Plot from "@observablehq/plot";
import { representedDimensionalities, STICKY_FRACTIONS, stickyCounts, type PhaseDiagramResult, type SweepResult } from "./tms.js";
import { REPRESENTED_NORM, SUPERPOSED } from "../sae/tms.js";
import { htmlPage, linePlot, type PageSection } from "../plot/index.js";
import { composeFigure, escapeXml, PALETTE, renderHeader, type FigureParts } from "../plot/svg.js";

export interface TmsPageInput {
  superposition?: SweepResult;
  geometry?: SweepResult;
  dimensionality?: SweepResult;
  phase?: PhaseDiagramResult;
  /** The command line that made the page, shown in its setup section. */
  command?: string;
}

const WIDTH = 1000;
const PAD = 12;
const GAP = 10;
const FONT = 11;

const fmtS = (s: number) => (s === 0 ? "0" : s >= 0.99 ? String(+s.toFixed(4)) : s.toFixed(2));
const fmtInv = (s: number) => {
  const v = 1 / (1 - s);
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1).replace(/\.0$/, "") : v.toFixed(2).replace(/\.?0+$/, "");
};

type Scale = (v: number) => string;
function colorScale(scheme: string, domain: [number, number]): Scale {
  const s = Plot.scale({ color: { type: "linear", scheme: scheme as Plot.ColorScheme, domain, clamp: true } }) as unknown as { apply(v: number): string };
  return (v) => s.apply(v);
}

const ramp = (scale: Scale, lo: number, hi: number, label: string) => ({ lo, hi, label, color: (t: number) => scale(lo + t * (hi - lo)) });

/** Columns of small multiples: how many per row and how wide each is. */
function columns(count: number, maxPerRow: number, minWidth: number): { perRow: number; width: number } {
  const most = Math.max(1, Math.min(count, maxPerRow, Math.floor((WIDTH - 2 * PAD + GAP) / (minWidth + GAP))));
  // as many rows as needed, with their columns shared out evenly (8 in rows of 4, not 5 and 3)
  const perRow = Math.ceil(count / Math.ceil(count / most));
  return { perRow, width: Math.floor((WIDTH - 2 * PAD - (perRow - 1) * GAP) / perRow) };
}

/** The two-line column header of instance k: its sparsity and 1/(1 − S). */
function columnHeader(s: number, x: number, y: number): string {
  return (
    `<text x="${x}" y="${y}" font-size="${FONT}" text-anchor="middle" font-weight="600">S = ${fmtS(s)}</text>` +
    `<text x="${x}" y="${y + 13}" font-size="10" text-anchor="middle" fill="#555">1/(1−S) = ${fmtInv(s)}</text>`
  );
}
const HEADER_H = 30;

function figure(parts: FigureParts, body: string, bodyHeight: number): string {
  const header = renderHeader(parts);
  return composeFigure(parts, header, `<g transform="translate(0,${header.height})">${body}</g>`, bodyHeight);
}

/** WᵀW (n × n) with b beside it as one more column, per instance: the paper's top row. */
export function gramFigure(r: SweepResult): string {
  const n = r.nFeatures;
  const { perRow, width: colW } = columns(r.sparsities.length, 10, 80);
  // the heatmap takes n cells, then a 4 px gap, then b's column (one cell wide)
  const cell = Math.max(1, Math.min(22, (colW - 4) / (n + 1)));
  const tile = cell * n;
  const m = Math.max(...r.analyses.map((a) => Math.max(...a.gram.flat().map(Math.abs), ...a.b.map(Math.abs))), 1);
  const scale = colorScale("rdbu", [-m, m]);
  const rows = Math.ceil(r.sparsities.length / perRow);
  const rowH = HEADER_H + tile + 16;
  const out: string[] = [];
  r.analyses.forEach((a, k) => {
    const x0 = PAD + (k % perRow) * (colW + GAP);
    const y0 = Math.floor(k / perRow) * rowH;
    const used = tile + 4 + cell;
    const left = x0 + (colW - used) / 2;
    out.push(columnHeader(r.sparsities[k]!, x0 + colW / 2, y0 + 11));
    const rects: string[] = [];
    a.gram.forEach((row, i) => row.forEach((v, j) => rects.push(`<rect x="${(j * cell).toFixed(2)}" y="${(i * cell).toFixed(2)}" width="${(cell + 0.02).toFixed(2)}" height="${(cell + 0.02).toFixed(2)}" fill="${scale(v)}"/>`)));
    a.b.forEach((v, i) => rects.push(`<rect x="${(tile + 4).toFixed(2)}" y="${(i * cell).toFixed(2)}" width="${cell.toFixed(2)}" height="${(cell + 0.02).toFixed(2)}" fill="${scale(v)}"/>`));
    out.push(`<g transform="translate(${left.toFixed(2)},${y0 + HEADER_H})" shape-rendering="crispEdges"><rect width="${tile.toFixed(2)}" height="${tile.toFixed(2)}" fill="none" stroke="#bbb"/>${rects.join("")}<rect x="${(tile + 4).toFixed(2)}" width="${cell.toFixed(2)}" height="${tile.toFixed(2)}" fill="none" stroke="#bbb"/></g>`);
    out.push(`<text x="${(left + tile / 2).toFixed(1)}" y="${y0 + HEADER_H + tile + 12}" font-size="10" text-anchor="middle" fill="#555">WᵀW</text>`);
    out.push(`<text x="${(left + tile + 4 + cell / 2).toFixed(1)}" y="${y0 + HEADER_H + tile + 12}" font-size="10" text-anchor="middle" fill="#555">b</text>`);
  });
  return figure(
    { width: WIDTH, title: `WᵀW and b, ${r.nFeatures} features in ${r.nHidden} dimensions, one instance per sparsity`, subtitle: "rows and columns: features 0 … n−1, most important first", ramp: ramp(scale, -m, m, "(WᵀW)ᵢⱼ = Wᵢ·Wⱼ (diagonal: ‖Wᵢ‖²) and bᵢ") },
    out.join(""),
    rows * rowH,
  );
}

/** ‖W_i‖ as bars, coloured by Σ_{j≠i} (Ŵ_i·W_j)²: the paper's bottom row. */
export function normsFigure(r: SweepResult): string {
  const n = r.nFeatures;
  const { perRow, width: colW } = columns(r.sparsities.length, 10, 80);
  const barH = Math.max(2, Math.min(14, Math.floor(220 / n)));
  const plotH = barH * n;
  const maxNorm = Math.max(1.25, ...r.analyses.flatMap((a) => a.norms));
  const scale = colorScale("viridis", [0, 1]);
  const rows = Math.ceil(r.sparsities.length / perRow);
  const rowH = HEADER_H + plotH + 26;
  const out: string[] = [];
  r.analyses.forEach((a, k) => {
    const x0 = PAD + (k % perRow) * (colW + GAP);
    const y0 = Math.floor(k / perRow) * rowH;
    out.push(columnHeader(r.sparsities[k]!, x0 + colW / 2, y0 + 11));
    const w = colW - 8;
    const left = x0 + 4;
    const top = y0 + HEADER_H;
    const bars = a.norms.map((v, i) => `<rect x="0" y="${(i * barH + 0.5).toFixed(1)}" width="${((v / maxNorm) * w).toFixed(2)}" height="${Math.max(1, barH - 1)}" fill="${scale(a.superposition[i]!)}"/>`);
    const one = (1 / maxNorm) * w;
    out.push(
      `<g transform="translate(${left},${top})"><rect width="${w}" height="${plotH}" fill="#f4f4f4"/>${bars.join("")}` +
        `<line x1="${one.toFixed(1)}" x2="${one.toFixed(1)}" y1="0" y2="${plotH}" stroke="#888" stroke-dasharray="3,2"/>` +
        `<line x1="0" x2="0" y1="0" y2="${plotH}" stroke="#333"/></g>`,
    );
    out.push(`<text x="${(left + one).toFixed(1)}" y="${top + plotH + 12}" font-size="10" text-anchor="middle" fill="#555">1</text>`);
    out.push(`<text x="${x0 + colW / 2}" y="${top + plotH + 24}" font-size="10" text-anchor="middle" fill="#333">${a.represented} of ${n} (${a.inSuperposition} sup.)</text>`);
  });
  return figure(
    { width: WIDTH, title: "‖Wᵢ‖ per feature, coloured by how much it shares its direction", subtitle: `bars: features 0 … ${n - 1} top to bottom; dashed line ‖Wᵢ‖ = 1; below: features with ‖Wᵢ‖ > ${REPRESENTED_NORM} (of them in superposition)`, ramp: ramp(scale, 0, 1, "Σⱼ≠ᵢ (Ŵᵢ·Wⱼ)²: 0 = own dimension, ≥ 1 = superposition") },
    out.join(""),
    rows * rowH,
  );
}

/** The columns W_i of each instance as arrows in the hidden plane (m = 2). */
export function geometryFigure(r: SweepResult): string {
  if (r.nHidden !== 2) throw new Error(`geometryFigure: the hidden plane needs m = 2, got ${r.nHidden}`);
  const n = r.nFeatures;
  const { perRow, width: colW } = columns(r.sparsities.length, 5, 150);
  const side = Math.min(colW, 190);
  const rows = Math.ceil(r.sparsities.length / perRow);
  const rowH = HEADER_H + side + 8;
  const reach = Math.max(1.3, ...r.weights.flatMap((w) => w.W[0]!.map((x, i) => Math.hypot(x, w.W[1]![i]!)))) * 1.08;
  const byIndex = n <= PALETTE.length;
  const impScale = colorScale("viridis", [Math.min(...r.importance), Math.max(...r.importance) + 1e-9]);
  const color = (i: number) => (byIndex ? PALETTE[i]! : impScale(r.importance[i]!));
  const out: string[] = [];
  r.weights.forEach((w, k) => {
    const x0 = PAD + (k % perRow) * (colW + GAP);
    const y0 = Math.floor(k / perRow) * rowH;
    const cx = x0 + colW / 2;
    const cy = y0 + HEADER_H + side / 2;
    const u = side / 2 / reach;
    out.push(columnHeader(r.sparsities[k]!, cx, y0 + 11));
    const parts: string[] = [
      `<rect x="${(cx - side / 2).toFixed(1)}" y="${(cy - side / 2).toFixed(1)}" width="${side}" height="${side}" fill="#fafafa" stroke="#ddd"/>`,
      `<line x1="${(cx - side / 2).toFixed(1)}" x2="${(cx + side / 2).toFixed(1)}" y1="${cy}" y2="${cy}" stroke="#ddd"/>`,
      `<line x1="${cx}" x2="${cx}" y1="${(cy - side / 2).toFixed(1)}" y2="${(cy + side / 2).toFixed(1)}" stroke="#ddd"/>`,
      `<circle cx="${cx}" cy="${cy}" r="${u.toFixed(2)}" fill="none" stroke="#bbb" stroke-dasharray="3,3"/>`,
    ];
    // least important first, so the important features are drawn on top
    for (let i = n - 1; i >= 0; i--) {
      const px = cx + w.W[0]![i]! * u;
      const py = cy - w.W[1]![i]! * u;
      parts.push(`<line x1="${cx}" y1="${cy}" x2="${px.toFixed(2)}" y2="${py.toFixed(2)}" stroke="${color(i)}" stroke-width="2"/><circle cx="${px.toFixed(2)}" cy="${py.toFixed(2)}" r="3.5" fill="${color(i)}"/>`);
    }
    out.push(parts.join(""));
  });
  const swatches = byIndex ? r.importance.map((imp, i) => ({ label: `W${sub(i)} (I = ${imp.toFixed(2)})`, color: PALETTE[i]!, shape: "circle" as const })) : undefined;
  return figure(
    {
      width: WIDTH,
      title: `Feature directions Wᵢ in the hidden plane (${n} features, m = 2)`,
      subtitle: "each arrow is one column of W; dashed circle: ‖Wᵢ‖ = 1",
      ...(swatches ? { swatches } : { ramp: ramp(impScale, Math.min(...r.importance), Math.max(...r.importance), "importance Iᵢ") }),
    },
    out.join(""),
    rows * rowH,
  );
}

const PHASE_COLORS: Record<string, string> = { "not represented": "#e9e9ec", "dedicated dimension": "#4269d0", superposition: "#ff725c" };

/** The phase diagram: one cell per (density, relative importance), coloured by its phase. */
export function phaseFigure(p: PhaseDiagramResult): string {
  const D = p.densities.length;
  const A = p.importances.length;
  const labelW = 44;
  const cell = Math.min(56, Math.floor((WIDTH - 2 * PAD - labelW - 60) / D));
  const gridW = cell * D;
  const gridH = cell * A;
  const left = PAD + labelW + 24;
  const top = 8;
  const out: string[] = [];
  // rows: highest relative importance at the top
  for (let a = 0; a < A; a++) {
    const y = top + (A - 1 - a) * cell;
    out.push(`<text x="${left - 6}" y="${(y + cell / 2).toFixed(1)}" dy="0.35em" font-size="10" text-anchor="end">${escapeXml(fmtNum(p.importances[a]!))}</text>`);
    for (let d = 0; d < D; d++) {
      const c = p.cells[a]![d]!;
      out.push(`<rect x="${left + d * cell}" y="${y}" width="${cell - 1}" height="${cell - 1}" fill="${PHASE_COLORS[c.kind]}"><title>${escapeXml(`1 − S = ${fmtNum(p.densities[d]!)}, r = ${fmtNum(p.importances[a]!)}: ${c.kind}; W = ${JSON.stringify(c.W.map((row) => row.map((v) => +v.toFixed(2))))}`)}</title></rect>`);
    }
  }
  for (let d = 0; d < D; d++) {
    out.push(`<text x="${(left + d * cell + cell / 2).toFixed(1)}" y="${top + gridH + 14}" font-size="10" text-anchor="middle">${escapeXml(fmtNum(p.densities[d]!))}</text>`);
  }
  out.push(`<text x="${(left + gridW / 2).toFixed(1)}" y="${top + gridH + 32}" font-size="${FONT}" text-anchor="middle">feature density 1 − S (log scale; sparser to the right)</text>`);
  const yMid = top + gridH / 2;
  out.push(`<text transform="translate(${PAD + 8},${yMid.toFixed(1)}) rotate(-90)" font-size="${FONT}" text-anchor="middle">relative importance of feature ${p.nFeatures}</text>`);
  const swatches = Object.entries(PHASE_COLORS).map(([label, color]) => ({ label: label === "superposition" ? `superposition${p.nFeatures === 2 && p.nHidden === 1 ? " (W₁ ≈ −W₂)" : ""}` : label === "not represented" ? `feature ${p.nFeatures} not represented` : `feature ${p.nFeatures} gets a dedicated dimension`, color, shape: "square" as const }));
  const height = top + gridH + 40;
  return figure({ width: Math.max(left + gridW + PAD, 560), title: `Phase diagram: ${p.nFeatures} features in ${p.nHidden} dimension${p.nHidden > 1 ? "s" : ""}`, subtitle: `each cell: the best of ${p.restarts} trained models (lowest held-out loss)`, swatches }, out.join(""), height);
}

/** i as subscript digits: 12 → ₁₂. */
const sub = (i: number) => String(i).replace(/\d/g, (c) => "₀₁₂₃₄₅₆₇₈₉"[Number(c)]!);

const fmtNum = (v: number) => (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(2).replace(/\.?0+$/, "") : String(+v.toPrecision(2)));

/** Features represented (and in superposition) against 1/(1 − S), with the linear model beside. */
export function representedFigure(r: SweepResult): string {
  const x = r.sparsities.map((s) => 1 / (1 - s));
  const series = [
    { name: `ReLU model: features with ‖Wᵢ‖ > ${REPRESENTED_NORM}`, x, y: r.analyses.map((a) => a.represented) },
    { name: `ReLU model: of them in superposition (Σⱼ≠ᵢ (Ŵᵢ·Wⱼ)² > ${SUPERPOSED})`, x, y: r.analyses.map((a) => a.inSuperposition) },
  ];
  if (r.linear) series.push({ name: "linear model x' = WᵀWx + b: features with ‖Wᵢ‖ > 0.5", x, y: r.linear.analyses.map((a) => a.represented) });
  return linePlot({ title: `Features represented, of ${r.nFeatures}, in ${r.nHidden} dimensions`, series: series.map((s) => ({ ...s })), xLabel: "1/(1 − S)", yLabel: "features", logX: true, yRules: [{ y: r.nHidden, label: `m = ${r.nHidden}` }], height: 360 });
}

/** Dimensions per feature m/‖W‖²_F (line) and every feature's D_i (dots) against 1/(1 − S). */
export function dimensionalityFigure(r: SweepResult): string {
  const x = r.sparsities.map((s) => 1 / (1 - s));
  const dx: number[] = [];
  const dy: number[] = [];
  r.analyses.forEach((a, k) => {
    a.dimensionality.forEach((d, i) => {
      if (!(a.norms[i]! > REPRESENTED_NORM)) return; // features not represented: D_i means nothing
      // a small fixed spread along x, so that many equal values show as a band, not one dot
      dx.push(x[k]! * Math.exp(0.06 * (((i * 0.6180339887) % 1) - 0.5)));
      dy.push(d);
    });
  });
  const series = [
    { name: "Dᵢ = ‖Wᵢ‖² / Σⱼ (Ŵᵢ·Wⱼ)², one dot per represented feature", x: dx.length ? dx : [x[0]!], y: dy.length ? dy : [NaN], mark: "dots" as const, r: 2, color: "#4269d0" },
    { name: "dimensions per feature m / ‖W‖²_F", x, y: r.analyses.map((a) => a.dimensionsPerFeature), color: "#111111" },
  ];
  return linePlot({
    title: `Feature dimensionality, ${r.nFeatures} features of equal importance in ${r.nHidden} dimensions`,
    series,
    xLabel: "1/(1 − S)",
    yLabel: "dimensions",
    logX: true,
    yDomain: [0, 1.1],
    yRules: STICKY_FRACTIONS.map((f) => ({ y: f.value, label: f.label })),
    height: 460,
  });
}

/** Training loss of every instance (log scale). */
export function lossFigure(r: SweepResult, what: string): string {
  return linePlot({
    title: `Training loss, ${what}`,
    series: r.sparsities.map((s, k) => ({ name: `S = ${fmtS(s)}`, x: r.lossSteps.map((t) => t + 1), y: r.lossHistory.map((l) => Math.max(l[k]!, 1e-12)) })),
    xLabel: "step",
    yLabel: "importance-weighted MSE",
    logY: true,
    height: 380,
  });
}

function describeSweep(r: SweepResult): string {
  const imp = r.importance.every((v) => v === r.importance[0]) ? "uniform importance" : `importance Iᵢ = ${(r.importance[1]! / r.importance[0]!).toFixed(2)}ⁱ`;
  const corr = r.correlatedGroups || r.anticorrelatedGroups ? `; ${r.correlatedGroups} correlated and ${r.anticorrelatedGroups} anticorrelated groups of ${r.groupSize} features` : "";
  return `${r.nFeatures} features, ${r.nHidden} hidden dimensions, ${imp}, ${r.activation} model${corr}; ${r.sparsities.length} instances trained together for ${r.steps} steps (batch ${r.batchSize}, AdamW lr ${r.lr}), ${r.seconds.toFixed(1)} s.`;
}

/** The whole page. */
export function tmsPage(input: TmsPageInput): string {
  return htmlPage("Toy Models of Superposition", tmsSections(input));
}

/** Every section of the page, in the paper's order (also the figures of `dgpt repro tms`). */
export function tmsSections(input: TmsPageInput): PageSection[] {
  const sections: PageSection[] = [];
  const setup = [
    "The ReLU output model x' = ReLU(WᵀW x + b): n features squeezed into m < n hidden dimensions by W (m × n) and read back by Wᵀ; column Wᵢ is feature i's direction.",
    "Each feature is U[0, 1] with probability 1 − S (S: sparsity) and 0 otherwise; the loss is the importance-weighted squared error Σᵢ Iᵢ (xᵢ − x'ᵢ)².",
    "Many instances (one per sparsity) are trained at once in one batched model (Elhage et al. 2022, Toy Models of Superposition).",
  ];
  if (input.command) setup.push("", `command: ${input.command}`);
  sections.push({ heading: "Setup", caption: setup.join("\n") });
  const s = input.superposition;
  if (s) {
    sections.push({ heading: "Superposition as sparsity grows: WᵀW and b", svg: gramFigure(s), caption: `Dense data: the model keeps the ${s.nHidden} most important features, each in its own dimension (WᵀW is a block of the identity); sparser: more features fit, and off-diagonal entries show which of them interfere. ${describeSweep(s)}` });
    sections.push({ heading: "Which features are represented, and which share", svg: normsFigure(s), caption: "Each bar is one feature's ‖Wᵢ‖ (≈ 1: represented, ≈ 0: dropped); its colour says how much other features lie along its direction (dark: a dimension of its own, yellow: superposition)." });
    sections.push({ heading: "Features represented against sparsity", svg: representedFigure(s), caption: `The ReLU model stores more features than it has dimensions once features are sparse${s.linear ? `; the linear model (no ReLU) keeps at most ${Math.max(...s.linear.analyses.map((a) => a.represented))} here — in theory the m = ${s.nHidden} most important, whatever the sparsity` : ""}.` });
    if (s.nHidden === 2 && !input.geometry) sections.push({ heading: "Geometry of the features in the hidden plane", svg: geometryFigure(s), caption: "With m = 2 each feature is an arrow in the plane: dense data gives two orthogonal features; sparse data packs them as antipodal pairs, triangles and pentagons." });
    sections.push({ heading: "Training loss", svg: lossFigure(s, "superposition sweep"), caption: "Each instance's loss over training (recorded every 1% of the steps); flat ends mean the pictures above show trained models." });
  }
  const g = input.geometry;
  if (g) {
    sections.push({ heading: "Geometry of the features in the hidden plane", svg: geometryFigure(g), caption: `Each arrow is one feature's Wᵢ in the m = 2 hidden plane: dense, the two most important features get orthogonal directions and the rest none; as sparsity grows they pack into antipodal pairs, then a pentagon. ${describeSweep(g)}` });
  }
  const d = input.dimensionality;
  if (d) {
    const counts = d.analyses.map((a) => stickyCounts(representedDimensionalities(a)));
    const total = STICKY_FRACTIONS.map((f, k) => `${f.label} (${f.shape}): ${counts.reduce((t, c) => t + c[k]!.count, 0)}`).join(", ");
    const other = counts.reduce((t, c) => t + c[c.length - 1]!.count, 0);
    sections.push({ heading: "Feature dimensionality: the sticky fractions", svg: dimensionalityFigure(d), caption: `The share of a dimension each represented feature gets, Dᵢ, clusters at simple fractions (dashed lines) as sparsity grows: features arrange themselves in regular polytopes; the black line is the average, dimensions per feature m/‖W‖²_F. Represented features within 0.025 of each fraction: ${total}; elsewhere: ${other}. Dots are spread a little along x so that equal values show as a band. ${describeSweep(d)}` });
  }
  const p = input.phase;
  if (p) {
    sections.push({ heading: "Phase diagram: one extra feature in too few dimensions", svg: phaseFigure(p), caption: `Whether feature ${p.nFeatures} (importance r, the others 1) is dropped, given a dimension of its own, or stored in superposition, for each feature density and r: dense data gives the dimension to the more important feature (at r = 1 they tie, and either may win); sparse data makes superposition win. ${p.densities.length} × ${p.importances.length} cells × ${p.restarts} restarts trained together for ${p.steps} steps, ${p.seconds.toFixed(1)} s.` });
  }
  return sections;
}
