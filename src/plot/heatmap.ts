// Heatmaps: attention patterns with token labels, logit-lens tables, activation-patching results.
import * as Plot from "@observablehq/plot";
import type { FigureOptions } from "./plot.js";
import { renderFigure } from "./render.js";
import {
  MAX_MARKS,
  checkGrid,
  checkOptionalString,
  checkOptions,
  checkSize,
  checkStringArray,
  describe,
  fail,
  formatValue,
  luminance,
  textWidth,
  visibleLabel,
  xmlSafe,
} from "./svg.js";

export interface HeatmapOptions extends FigureOptions {
  /** values[i][j]: row i (drawn top to bottom), column j. NaN and ±Infinity cells are left blank
   *  (e.g. masked attention scores); at least one value must be finite. */
  values: ArrayLike<number>[];
  /** One label per row / column, e.g. tokens; repeats are fine. Default: indices. */
  rowLabels?: string[];
  colLabels?: string[];
  xLabel?: string;
  yLabel?: string;
  /** Any Observable Plot / d3 colour scheme name ("blues", "viridis", "rdbu", "piyg", ...).
   *  Default "blues", or "rdbu" when diverging. */
  colorScheme?: string;
  /** Centre the colours on 0 with a symmetric range [-m, m], m = max |value|. */
  diverging?: boolean;
  /** Fixed colour range [lo, hi] (values outside are clamped), e.g. [0, 1] for probabilities. */
  domain?: [number, number];
  /** Title of the colour legend. */
  colorLabel?: string;
  /** Write each cell's value in it (true), or the given strings (same shape as values). */
  cellText?: boolean | string[][];
}

const TICK_FONT = 10;
const MAX_AUTO_HEIGHT = 900;

/** A heatmap as a standalone SVG string, with a colour ramp legend. */
export function heatmap(options: HeatmapOptions): string {
  const fn = "heatmap";
  const o = checkOptions(fn, options);
  const title = checkOptionalString(fn, "title", o.title);
  const subtitle = checkOptionalString(fn, "subtitle", o.subtitle);
  const xLabel = checkOptionalString(fn, "xLabel", o.xLabel);
  const yLabel = checkOptionalString(fn, "yLabel", o.yLabel);
  const colorLabel = checkOptionalString(fn, "colorLabel", o.colorLabel);
  const grid = checkGrid(fn, "values", o.values);
  const rows = grid.length;
  const cols = grid[0]!.length;
  const rowLabels = o.rowLabels === undefined ? undefined : checkStringArray(fn, "rowLabels", o.rowLabels, rows).map(visibleLabel);
  const colLabels = o.colLabels === undefined ? undefined : checkStringArray(fn, "colLabels", o.colLabels, cols).map(visibleLabel);
  if (o.diverging !== undefined && typeof o.diverging !== "boolean") fail(fn, `diverging must be a boolean, got ${describe(o.diverging)}`);
  const diverging = o.diverging === true;
  const scheme = checkOptionalString(fn, "colorScheme", o.colorScheme) ?? (diverging ? "rdbu" : "blues");

  let lo = Infinity;
  let hi = -Infinity;
  let finite = 0;
  for (const row of grid) {
    for (let j = 0; j < cols; j++) {
      const v = row[j]!;
      if (!Number.isFinite(v)) continue;
      finite++;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (finite === 0) fail(fn, `values has no finite value (all ${rows * cols} are NaN or infinite)`);

  let domain: [number, number];
  if (o.domain !== undefined && o.domain !== null) {
    const d = o.domain as unknown;
    if (!Array.isArray(d) || d.length !== 2 || !d.every((x) => typeof x === "number" && Number.isFinite(x)) || !(d[0] < d[1])) {
      fail(fn, `domain must be [lo, hi] with finite lo < hi, got ${describe(d)}`);
    }
    domain = [d[0], d[1]];
  } else if (diverging) {
    const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
    domain = [-m, m];
  } else {
    domain = hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
  }

  let scale: { apply(v: number): string };
  try {
    scale = Plot.scale({ color: { type: "linear", scheme: scheme as Plot.ColorScheme, domain, clamp: true } }) as unknown as { apply(v: number): string };
    scale.apply(domain[0]);
  } catch (e) {
    fail(fn, `colorScheme ${JSON.stringify(scheme)} is not a known colour scheme (${(e as Error).message})`);
  }

  // cell text
  let texts: string[][] | undefined;
  if (o.cellText === true) {
    texts = grid.map((row) => Array.from(row, (v) => (Number.isFinite(v) ? formatValue(v) : "")));
  } else if (Array.isArray(o.cellText)) {
    const ct = o.cellText as unknown[];
    if (ct.length !== rows) fail(fn, `cellText has ${ct.length} rows but values has ${rows}`);
    texts = ct.map((row, i) => checkStringArray(fn, `cellText[${i}]`, row, cols).map(visibleLabel));
  } else if (o.cellText !== undefined && o.cellText !== false && o.cellText !== null) {
    fail(fn, `cellText must be a boolean or an array of string rows, got ${describe(o.cellText)}`);
  }

  // geometry: margins from label lengths (10px tick font), square cells unless a size is given
  const rowText = rowLabels ?? Array.from({ length: rows }, (_, i) => String(i));
  const colText = colLabels ?? Array.from({ length: cols }, (_, j) => String(j));
  const rowW = Math.min(200, Math.max(...rowText.map((s) => textWidth(s, TICK_FONT))));
  const colW = Math.min(200, Math.max(...colText.map((s) => textWidth(s, TICK_FONT))));
  const marginLeft = Math.ceil(rowW + 14 + (yLabel !== undefined ? 18 : 0));
  const marginRight = 12;
  const marginTop = 8;
  const widthIn = o.width;
  const width0 = checkSize(fn, "width", widthIn, 640, 80);
  const cellW0 = (width0 - marginLeft - marginRight) / cols;
  const cell = widthIn === undefined ? Math.max(2, Math.min(44, Math.floor(cellW0))) : cellW0;
  if (!(cell > 0)) fail(fn, `width ${width0} leaves no room for ${cols} columns`);
  const xStep = Math.max(1, Math.ceil(12 / cell));
  const rotate = colW > cell * xStep - 4;
  const marginBottom = Math.ceil((rotate ? colW + 14 : 28) + (xLabel !== undefined ? 18 : 0));
  const chartW = widthIn === undefined ? Math.ceil(marginLeft + marginRight + cols * cell) : width0;
  const figureW = Math.max(chartW, 300);
  const headerGuess = (title ? 26 : 0) + (subtitle ? 18 : 0) + 12 + (colorLabel ? 14 : 0) + 28 + 6;
  const fittedH = Math.min(MAX_AUTO_HEIGHT, headerGuess + marginTop + marginBottom + rows * cell);
  const height = checkSize(fn, "height", o.height, Math.ceil(fittedH), 80);

  const cells: { i: number; j: number; color: string }[] = [];
  const labels: { i: number; j: number; t: string; fill: string }[] = [];
  for (let i = 0; i < rows; i++) {
    const row = grid[i]!;
    for (let j = 0; j < cols; j++) {
      const v = row[j]!;
      const color = Number.isFinite(v) ? scale!.apply(v) : "";
      if (color) cells.push({ i, j, color });
      const t = texts?.[i]?.[j];
      if (t) labels.push({ i, j, t, fill: color && luminance(color) < 0.35 ? "white" : "black" });
    }
  }
  if (cells.length + labels.length > MAX_MARKS) fail(fn, `${cells.length + labels.length} marks is more than the ${MAX_MARKS} one picture can hold`);

  const rowIndex = Array.from({ length: rows }, (_, i) => i);
  const colIndex = Array.from({ length: cols }, (_, j) => j);
  const chartHeight = (header: number) => {
    const h = height - header;
    if (h < marginTop + marginBottom + rows) fail(fn, `height ${height} is too small for ${rows} rows below the title and legend`);
    return h;
  };

  return renderFigure(
    { width: figureW, title, subtitle, ramp: { lo: domain[0], hi: domain[1], color: (t) => scale!.apply(domain[0] + t * (domain[1] - domain[0])), label: colorLabel } },
    chartHeight,
    (h) => {
      const cellH = (h - marginTop - marginBottom) / rows;
      const yStep = Math.max(1, Math.ceil(11 / cellH));
      const inset = Math.min(cell, cellH) >= 14 ? 0.5 : 0;
      const fontSize = Math.max(6, Math.min(11, Math.min(cellH * 0.5, (cell * 1.6) / Math.max(1, ...labels.map((l) => l.t.length)))));
      const marks: Plot.Markish[] = [
        Plot.frame({ fill: "#eeeeee" }),
        Plot.cell(cells, { x: "j", y: "i", fill: "color", inset }),
      ];
      if (labels.length > 0) marks.push(Plot.text(labels, { x: "j", y: "i", text: "t", fill: "fill", fontSize }));
      return {
        width: chartW,
        height: h,
        marginLeft,
        marginRight,
        marginTop,
        marginBottom,
        color: { type: "identity" },
        x: {
          type: "band",
          domain: colIndex,
          padding: 0,
          tickFormat: (j: number) => colText[j] ?? "",
          ticks: colIndex.filter((j) => j % xStep === 0),
          label: xLabel === undefined ? null : xmlSafe(xLabel),
          ...(rotate ? { tickRotate: -90 } : {}),
        },
        y: {
          type: "band",
          domain: rowIndex,
          padding: 0,
          tickFormat: (i: number) => rowText[i] ?? "",
          ticks: rowIndex.filter((i) => i % yStep === 0),
          label: yLabel === undefined ? null : xmlSafe(yLabel),
        },
        marks,
      };
    },
  );
}
