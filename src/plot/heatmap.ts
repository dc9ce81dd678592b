// Heatmaps: attention patterns with token labels, logit-lens tables, activation-patching results.
import * as Plot from "@observablehq/plot";
import type { FigureOptions } from "./plot.js";
import { cellPalette, cellsPng, RASTER_CELLS, rasterAttributes, rasterTitle } from "./raster.js";
import { renderFigure } from "./render.js";
import {
  MAX_CELLS,
  MAX_MARKS,
  checkGrid,
  checkOptionalString,
  checkOptions,
  checkSize,
  checkStringArray,
  clip,
  DEFAULT_WIDTH,
  describe,
  fail,
  formatValue,
  luminance,
  renderHeader,
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
  /** Side of a cell in pixels (a small heatmap per attention head, say); default: fitted to the
   *  default width. Cells are never narrower than their cellText needs, and square unless they
   *  need more width for text (tall grids are not capped in height then). Ignored when width is given. */
  cellSize?: number;
  /** Draw the cells as one image (a pixel per cell, scaled up sharply) rather than one rect each.
   *  Default: for grids of more than RASTER_CELLS (4096) cells. A vector cell shows its value on
   *  hover; an image is ~100x smaller for large grids. Text, axes and legend stay vector either way. */
  raster?: boolean;
}

const TICK_FONT = 10;
/** Cell text is drawn at this size (smaller only when the caller fixes a narrow width). */
const CELL_FONT = 11;
/** Cells with text are at least one line of CELL_FONT tall. */
const MIN_TEXT_CELL_H = 18;
const MAX_CELL = 44;
const MAX_AUTO_HEIGHT = 900;
/** Cell texts longer than this many pixels (at CELL_FONT) are cut with "…". */
const MAX_CELL_TEXT_W = 110;
/** Tick labels longer than this many pixels are cut with "…". */
const MAX_LABEL_W = 200;

/** A value as a tooltip shows it: three significant digits. */
function hoverValue(v: number): string {
  return Number.isFinite(v) ? String(Number(v.toPrecision(3))) : String(v);
}

/** Every k-th row or column is labelled when cells are too small for all labels: k rounded up to
 *  1, 2 or 5 times a power of ten, so that the labelled positions are round (0, 10, 20, ...). */
function niceStep(k: number): number {
  if (!(k > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(k));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= k)!;
}

type BandScale = ((v: number) => number) & { bandwidth(): number };

/** A Plot mark that draws the cells' PNG over the band scales' cells (0..cols-1 × 0..rows-1). */
function rasterMark(png: Uint8Array, rows: number, cols: number): Plot.RenderFunction {
  return (_index, scales, _values, _dimensions, context) => {
    const x = scales.x as BandScale;
    const y = scales.y as BandScale;
    const svgNs = "http://www.w3.org/2000/svg";
    const image = context.document.createElementNS(svgNs, "image");
    const at = { x: x(0), y: y(0), width: cols * x.bandwidth(), height: rows * y.bandwidth() };
    for (const [name, value] of rasterAttributes(png, at)) image.setAttribute(name, value);
    const title = context.document.createElementNS(svgNs, "title");
    title.textContent = rasterTitle(rows, cols);
    image.appendChild(title);
    return image as unknown as SVGElement;
  };
}

/** A heatmap as a standalone SVG string, with a colour ramp legend. */
export function heatmap(options: HeatmapOptions): string {
  const fn = "heatmap";
  const o = checkOptions(fn, options);
  const title = checkOptionalString(fn, "title", o.title);
  const subtitle = checkOptionalString(fn, "subtitle", o.subtitle);
  const xLabel = checkOptionalString(fn, "xLabel", o.xLabel);
  const yLabel = checkOptionalString(fn, "yLabel", o.yLabel);
  const colorLabel = checkOptionalString(fn, "colorLabel", o.colorLabel);
  const grid = checkGrid(fn, "values", o.values, MAX_CELLS);
  const rows = grid.length;
  const cols = grid[0]!.length;
  if (o.raster !== undefined && typeof o.raster !== "boolean") fail(fn, `raster must be a boolean, got ${describe(o.raster)}`);
  const raster = o.raster ?? rows * cols > RASTER_CELLS;
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
    // a very long text (a 20-character token) would make every cell that wide: cut it with "…"
    texts = ct.map((row, i) => checkStringArray(fn, `cellText[${i}]`, row, cols).map((t) => clip(visibleLabel(t), MAX_CELL_TEXT_W, CELL_FONT)));
  } else if (o.cellText !== undefined && o.cellText !== false && o.cellText !== null) {
    fail(fn, `cellText must be a boolean or an array of string rows, got ${describe(o.cellText)}`);
  }

  // Geometry. Margins come from the label lengths (10 px tick font). Cells are square, except
  // that a cell with text is at least as wide as its longest text at 11 px and one line tall:
  // the default size fills a page card, and a heatmap with more columns than that grows wider
  // and scrolls sideways on the page (noShrink below) rather than shrinking its text to specks.
  const rowText = (rowLabels ?? Array.from({ length: rows }, (_, i) => String(i))).map((l) => clip(l, MAX_LABEL_W, TICK_FONT));
  const colText = (colLabels ?? Array.from({ length: cols }, (_, j) => String(j))).map((l) => clip(l, MAX_LABEL_W, TICK_FONT));
  const rowW = Math.max(...rowText.map((s) => textWidth(s, TICK_FONT)));
  const colW = Math.max(...colText.map((s) => textWidth(s, TICK_FONT)));
  const longestText = texts ? Math.max(0, ...texts.flat().map((t) => textWidth(t, CELL_FONT))) : 0;
  const minCellW = texts ? Math.max(20, Math.ceil(longestText + 6)) : 2;
  const marginLeft = Math.ceil(rowW + 14 + (yLabel !== undefined ? 18 : 0));
  const marginTop = 8;
  const widthIn = o.width;
  const width0 = checkSize(fn, "width", widthIn, DEFAULT_WIDTH, 80);
  const cellSize = o.cellSize === undefined ? undefined : checkSize(fn, "cellSize", o.cellSize, MAX_CELL, 1);
  let cellW: number;
  if (widthIn !== undefined) cellW = (width0 - marginLeft - 12) / cols; // the caller's width wins
  else if (cellSize !== undefined) cellW = Math.max(cellSize, minCellW);
  else cellW = Math.max(minCellW, Math.min(Math.max(MAX_CELL, minCellW), Math.floor((width0 - marginLeft - 12) / cols)));
  if (!(cellW > 0)) fail(fn, `width ${width0} leaves no room for ${cols} columns`);
  const cellH0 = texts ? Math.max(MIN_TEXT_CELL_H, Math.min(cellW, MAX_CELL)) : cellW;
  const xStep = niceStep(Math.ceil(12 / cellW));
  const rotate = colW > cellW * xStep - 4;
  // an upright last column label is centred on its cell and may reach past the chart's edge
  const marginRight = rotate ? 12 : Math.max(12, Math.ceil(textWidth(colText[cols - 1 - ((cols - 1) % xStep)]!, TICK_FONT) / 2 - cellW / 2 + 4));
  const marginBottom = Math.ceil((rotate ? colW + 14 : 28) + (xLabel !== undefined ? 18 : 0));
  const chartW = widthIn === undefined ? Math.ceil(marginLeft + marginRight + cols * cellW) : width0;
  const ramp = { lo: domain[0], hi: domain[1], color: (t: number) => scale!.apply(domain[0] + t * (domain[1] - domain[0])), label: colorLabel };
  // wide enough for the title and the colour legend's label (up to a card's width), so that a
  // narrow heatmap does not cut its own legend
  const headerW = Math.max(300, title ? textWidth(title, 16) * 1.1 + 24 : 0, subtitle ? textWidth(subtitle, 12) + 24 : 0, colorLabel ? textWidth(colorLabel, 11) + 24 : 0);
  const figureW = Math.max(chartW, Math.min(DEFAULT_WIDTH, Math.ceil(headerW)));
  const headerH = renderHeader({ width: figureW, title, subtitle, ramp }).height;
  const natural = headerH + marginTop + marginBottom + rows * cellH0;
  const legible = headerH + marginTop + marginBottom + rows * (texts ? MIN_TEXT_CELL_H : 2);
  // a cellSize asked for is kept (square cells, every label that fits); else tall grids are capped
  const fittedH = cellSize !== undefined && widthIn === undefined ? natural : Math.min(natural, Math.max(MAX_AUTO_HEIGHT, legible));
  const height = checkSize(fn, "height", o.height, Math.ceil(fittedH), 80);

  // vector cells carry their value as a hover tooltip: "query 3:␣cat, key 1:␣the: 0.42"
  const rowName = yLabel ?? "row";
  const colName = xLabel ?? "column";
  const cells: { i: number; j: number; color: string; tip: string }[] = [];
  const labels: { i: number; j: number; t: string; fill: string }[] = [];
  for (let i = 0; i < rows; i++) {
    const row = grid[i]!;
    for (let j = 0; j < cols; j++) {
      const v = row[j]!;
      const t = texts?.[i]?.[j];
      if (raster && !t) continue; // the image draws the cell; only its text is a mark
      const color = Number.isFinite(v) ? scale!.apply(v) : "";
      if (color && !raster) cells.push({ i, j, color, tip: `${rowName} ${rowText[i]}, ${colName} ${colText[j]}: ${hoverValue(v)}` });
      if (t) labels.push({ i, j, t, fill: color && luminance(color) < 0.35 ? "white" : "black" });
    }
  }
  if (cells.length + labels.length > MAX_MARKS) fail(fn, `${cells.length + labels.length} marks is more than the ${MAX_MARKS} one picture can hold${raster ? "" : " (raster: true draws the cells as one image)"}`);
  const png = raster ? cellsPng(grid, cellPalette((v) => scale!.apply(v), domain)) : null;

  const rowIndex = Array.from({ length: rows }, (_, i) => i);
  const colIndex = Array.from({ length: cols }, (_, j) => j);
  const chartHeight = (header: number) => {
    const h = height - header;
    if (h < marginTop + marginBottom + rows) fail(fn, `height ${height} is too small for ${rows} rows below the title and legend`);
    return h;
  };

  return renderFigure(
    { width: figureW, title, subtitle, ramp, noShrink: true },
    chartHeight,
    (h) => {
      const cellH = (h - marginTop - marginBottom) / rows;
      const yStep = niceStep(Math.ceil(11 / cellH));
      const inset = Math.min(cellW, cellH) >= 14 ? 0.5 : 0;
      const fontSize = Math.max(6, Math.min(CELL_FONT, cellH * 0.6, longestText > 0 ? (CELL_FONT * (cellW - 4)) / longestText : CELL_FONT));
      const marks: Plot.Markish[] = [
        Plot.frame({ fill: "#eeeeee" }),
        png ? rasterMark(png, rows, cols) : Plot.cell(cells, { x: "j", y: "i", fill: "color", title: "tip", inset }),
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
