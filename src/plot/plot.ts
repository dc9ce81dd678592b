// Charts as standalone SVG strings: line plots (loss curves, function fits), scatter plots over
// decision regions, bar charts. Heatmaps live in heatmap.ts. All rendering is done by Observable
// Plot; this file turns our arguments into Plot marks, checks them, and adds title and legend.
import * as Plot from "@observablehq/plot";
import { renderFigure } from "./render.js";
import {
  DEFAULT_WIDTH,
  MAX_MARKS,
  PALETTE,
  checkFiniteArray,
  checkGrid,
  checkNumberArray,
  checkOptionalString,
  checkOptions,
  checkSize,
  checkStringArray,
  clip,
  describe,
  fail,
  mixColors,
  textWidth,
  visibleLabel,
  xmlSafe,
  type DotSymbol,
  type SwatchItem,
} from "./svg.js";

/** Options every chart takes. Sizes are of the whole picture, title and legend included. */
export interface FigureOptions {
  title?: string;
  subtitle?: string;
  /** Width in pixels (default 1000: the width of a card on an htmlPage). */
  width?: number;
  /** Height in pixels (default 400, or fitted to the data for heatmaps and horizontal bars). */
  height?: number;
}

export interface LineSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** "line" (default) or "dots" (e.g. noisy training data under a fitted curve). */
  mark?: "line" | "dots";
  /** CSS colour; default: the i-th palette colour. */
  color?: string;
  /** Dots only: marker shape (default "circle") and radius in pixels (default 2.5). Larger,
   *  outlined markers stay visible over a busy line, e.g. evaluations over per-step loss. */
  symbol?: DotSymbol;
  r?: number;
}

export interface LinePlotOptions extends FigureOptions {
  series: LineSeries[];
  xLabel?: string;
  yLabel?: string;
  logX?: boolean;
  logY?: boolean;
  /** Fixed y range [lo, hi]; default: fitted to the data. */
  yDomain?: [number, number];
  /** Horizontal reference lines (thin, grey, under the data), each labelled at the right edge,
   *  e.g. the values a quantity is expected to stick to. */
  yRules?: { y: number; label?: string }[];
}

const TICK_FONT = 10;
const DEFAULT_HEIGHT = 400;
const MIN_CHART_HEIGHT = 80;

function chartHeightFor(fn: string, total: number) {
  return (header: number): number => {
    const h = total - header;
    if (h < MIN_CHART_HEIGHT) fail(fn, `height ${total} leaves only ${h}px for the chart below the title and legend; use a larger height`);
    return h;
  };
}

function checkDomain(fn: string, name: string, v: unknown, positive = false): [number, number] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== "number" || typeof v[1] !== "number" || !Number.isFinite(v[0]) || !Number.isFinite(v[1]) || !(v[0] < v[1])) {
    fail(fn, `${name} must be [lo, hi] with finite lo < hi, got ${describe(v)}`);
  }
  if (positive && v[0] <= 0) fail(fn, `${name} must be positive on a log axis, got [${v[0]}, ${v[1]}]`);
  return [v[0], v[1]];
}

function checkColor(fn: string, name: string, v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || !/^(#[0-9a-f]{3,8}|[a-z]+|(rgb|hsl)a?\([\d\s.,%]+\))$/i.test(v)) fail(fn, `${name} must be a CSS colour like "#4269d0", got ${describe(v)}`);
  return v;
}

function checkRules(fn: string, v: unknown, logY: boolean): { y: number; label?: string }[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(fn, `yRules must be an array of {y, label?}, got ${describe(v)}`);
  return v.map((r: unknown, i) => {
    const rule = r as Record<string, unknown>;
    if (typeof r !== "object" || r === null || typeof rule.y !== "number" || !Number.isFinite(rule.y)) fail(fn, `yRules[${i}] must be {y, label?} with a finite y, got ${describe(r)}`);
    if (logY && (rule.y as number) <= 0) fail(fn, `yRules[${i}].y is ${rule.y}; a log y axis needs positive values`);
    const label = checkOptionalString(fn, `yRules[${i}].label`, rule.label);
    return { y: rule.y as number, ...(label !== undefined ? { label: xmlSafe(label) } : {}) };
  });
}

function checkBool(fn: string, name: string, v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") fail(fn, `${name} must be a boolean, got ${describe(v)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------

/**
 * Line plot of one or more series, e.g. train and validation loss against step, or a target
 * function and a model's fit. Points whose x or y is not finite (NaN, ±Infinity, e.g. a diverged
 * loss) are skipped and the line joins its neighbours; a series with no finite point is an error.
 * With logY, y must be positive.
 */
export function linePlot(options: LinePlotOptions): string {
  const fn = "linePlot";
  const o = checkOptions(fn, options);
  const title = checkOptionalString(fn, "title", o.title);
  const subtitle = checkOptionalString(fn, "subtitle", o.subtitle);
  const xLabel = checkOptionalString(fn, "xLabel", o.xLabel);
  const yLabel = checkOptionalString(fn, "yLabel", o.yLabel);
  const logX = checkBool(fn, "logX", o.logX);
  const logY = checkBool(fn, "logY", o.logY);
  const yDomain = checkDomain(fn, "yDomain", o.yDomain, logY);
  const width = checkSize(fn, "width", o.width, DEFAULT_WIDTH, 160);
  const height = checkSize(fn, "height", o.height, DEFAULT_HEIGHT, 120);
  const rules = checkRules(fn, o.yRules, logY);
  if (!Array.isArray(o.series)) fail(fn, `series must be an array of {name, x, y}, got ${describe(o.series)}`);
  const seriesIn = o.series as unknown[];
  if (seriesIn.length === 0) fail(fn, "series is empty; give at least one {name, x, y}");

  let total = 0;
  const marks: Plot.Markish[] = [];
  if (rules.length > 0) marks.push(Plot.ruleY(rules, { y: "y", stroke: "#9498a0", strokeWidth: 1, strokeDasharray: "4,3" }));
  const swatches: SwatchItem[] = [];
  const xs: number[] = []; // every plotted x, for the ticks
  seriesIn.forEach((sv, si) => {
    if (typeof sv !== "object" || sv === null) fail(fn, `series[${si}] must be an object {name, x, y}, got ${describe(sv)}`);
    const s = sv as Record<string, unknown>;
    if (typeof s.name !== "string") fail(fn, `series[${si}].name must be a string, got ${describe(s.name)}`);
    const where = `series[${si}] (${JSON.stringify(s.name)})`;
    const x = checkNumberArray(fn, `${where}.x`, s.x);
    const y = checkNumberArray(fn, `${where}.y`, s.y);
    if (x.length !== y.length) fail(fn, `${where}: x has ${x.length} values but y has ${y.length}`);
    if (x.length === 0) fail(fn, `${where} is empty`);
    const mark = s.mark ?? "line";
    if (mark !== "line" && mark !== "dots") fail(fn, `${where}.mark must be "line" or "dots", got ${describe(mark)}`);
    const color = checkColor(fn, `${where}.color`, s.color) ?? PALETTE[si % PALETTE.length]!;
    const symbol = s.symbol ?? "circle";
    if (!["circle", "square", "diamond", "triangle"].includes(symbol as string)) fail(fn, `${where}.symbol must be circle, square, diamond or triangle, got ${describe(symbol)}`);
    const r = s.r === undefined ? 2.5 : checkSize(fn, `${where}.r`, s.r, 2.5, 0.5);
    const pts: { x: number; y: number }[] = [];
    for (let i = 0; i < x.length; i++) {
      const xi = x[i]!;
      const yi = y[i]!;
      if (!Number.isFinite(xi) || !Number.isFinite(yi)) continue;
      if (logY && yi <= 0) fail(fn, `${where}.y[${i}] is ${yi}; a log y axis needs positive values`);
      if (logX && xi <= 0) fail(fn, `${where}.x[${i}] is ${xi}; a log x axis needs positive values`);
      pts.push({ x: xi, y: yi });
      xs.push(xi);
    }
    if (pts.length === 0) fail(fn, `${where} has no finite (x, y) point (all ${x.length} are NaN or infinite)`);
    total += pts.length;
    // marks are drawn in the order of the series: a later series lies on top of an earlier one
    if (mark === "line") {
      marks.push(Plot.line(pts, { x: "x", y: "y", stroke: color, strokeWidth: 1.75 }));
    } else {
      // a big marker gets a white outline so that it stands out from the lines under it
      const outline = r > 3 ? { stroke: "white", strokeWidth: 1 } : {};
      marks.push(Plot.dot(pts, { x: "x", y: "y", fill: color, r, symbol, ...outline }));
    }
    swatches.push({ label: s.name, color, shape: mark === "line" ? "line" : (symbol as DotSymbol) });
  });
  if (total > MAX_MARKS) fail(fn, `${total} points is more than the ${MAX_MARKS} one picture can hold; downsample first`);
  // rule labels sit right of the chart, at the frame's edge
  const labelled = rules.filter((r) => r.label !== undefined && r.label !== "");
  if (labelled.length > 0) marks.push(Plot.text(labelled, { frameAnchor: "right", y: "y", text: "label", textAnchor: "start", dx: 6, fill: "#555", fontSize: TICK_FONT }));
  const marginRight = Math.max(24, ...labelled.map((r) => Math.ceil(textWidth(r.label!, TICK_FONT) + 12)));
  // a short integer axis (steps 1…6, layers 0…11) gets a tick at every integer, not at 1.5, 2.5 …
  const [xMin, xMax] = [Math.min(...xs), Math.max(...xs)];
  const integerTicks = !logX && xs.every(Number.isInteger) && xMax - xMin <= 12 ? Array.from({ length: xMax - xMin + 1 }, (_, i) => xMin + i) : undefined;

  return renderFigure(
    { width, title, subtitle, swatches: swatches.length > 1 ? swatches : undefined },
    chartHeightFor(fn, height),
    (h) => ({
      width,
      height: h,
      marginTop: 24,
      marginRight,
      grid: true,
      x: { type: logX ? "log" : "linear", label: xLabel === undefined ? null : xmlSafe(xLabel), ...(logX ? { tickFormat: "~g" } : {}), ...(integerTicks ? { ticks: integerTicks, tickFormat: "d" } : {}) },
      y: {
        type: logY ? "log" : "linear",
        label: yLabel === undefined ? null : xmlSafe(yLabel),
        ...(logY ? { tickFormat: "~g" } : {}),
        ...(yDomain ? { domain: yDomain, clamp: true } : {}),
      },
      marks,
    }),
  );
}

// ---------------------------------------------------------------------------------------------

export interface ScatterPoint {
  x: number;
  y: number;
  /** Class of the point. Non-negative integers are class ids (colour PALETTE[id]); strings are
   *  numbered by first appearance. */
  group?: string | number;
}

/**
 * A classifier's decision regions: a grid of predictions over the rectangle x × y.
 * values[i][j] is the prediction for the cell in row i (row 0 at the bottom, y = y[0]) and
 * column j (column 0 at the left, x = x[0]); every cell has the same size.
 */
export interface DecisionBackground {
  values: ArrayLike<number>[];
  x: [number, number];
  y: [number, number];
  /** "class": values are class ids (default). "probability": values in [0, 1] are P(class 1),
   *  shaded from class 0's colour through white to class 1's. */
  kind?: "class" | "probability";
}

export interface ScatterPlotOptions extends FigureOptions {
  points: ScatterPoint[];
  xLabel?: string;
  yLabel?: string;
  /** Legend names for class ids: groupNames[id]. */
  groupNames?: string[];
  background?: DecisionBackground;
  /** Dot radius in pixels (default 3.5). */
  r?: number;
}

/**
 * Scatter plot of 2-D points coloured by group, optionally over a classifier's decision regions.
 * Every coordinate must be finite.
 */
export function scatterPlot(options: ScatterPlotOptions): string {
  const fn = "scatterPlot";
  const o = checkOptions(fn, options);
  const title = checkOptionalString(fn, "title", o.title);
  const subtitle = checkOptionalString(fn, "subtitle", o.subtitle);
  const xLabel = checkOptionalString(fn, "xLabel", o.xLabel);
  const yLabel = checkOptionalString(fn, "yLabel", o.yLabel);
  const width = checkSize(fn, "width", o.width, DEFAULT_WIDTH, 160);
  const height = checkSize(fn, "height", o.height, DEFAULT_HEIGHT, 120);
  const r = o.r === undefined ? 3.5 : checkSize(fn, "r", o.r, 3.5, 0.5);
  const groupNames = o.groupNames === undefined ? undefined : checkStringArray(fn, "groupNames", o.groupNames);
  if (!Array.isArray(o.points)) fail(fn, `points must be an array of {x, y, group?}, got ${describe(o.points)}`);
  const pointsIn = o.points as unknown[];
  if (pointsIn.length === 0) fail(fn, "points is empty");
  if (pointsIn.length > MAX_MARKS) fail(fn, `${pointsIn.length} points is more than the ${MAX_MARKS} one picture can hold; subsample first`);

  // points and their class ids
  const pts: { x: number; y: number; g: string | number | undefined }[] = [];
  let grouped: boolean | undefined;
  pointsIn.forEach((pv, i) => {
    if (typeof pv !== "object" || pv === null) fail(fn, `points[${i}] must be an object {x, y, group?}, got ${describe(pv)}`);
    const p = pv as Record<string, unknown>;
    for (const k of ["x", "y"] as const) {
      if (typeof p[k] !== "number" || !Number.isFinite(p[k])) fail(fn, `points[${i}].${k} must be a finite number, got ${describe(p[k])}`);
    }
    const g = p.group;
    if (g !== undefined && typeof g !== "string" && !(typeof g === "number" && Number.isFinite(g))) {
      fail(fn, `points[${i}].group must be a string or a finite number, got ${describe(g)}`);
    }
    if (grouped === undefined) grouped = g !== undefined;
    else if (grouped !== (g !== undefined)) fail(fn, `points[${i}] ${g === undefined ? "has no group while earlier points have one" : "has a group while earlier points have none"}`);
    pts.push({ x: p.x as number, y: p.y as number, g: g as string | number | undefined });
  });
  const ids = new Map<string | number, number>();
  if (grouped) {
    const integerIds = pts.every((p) => typeof p.g === "number" && Number.isInteger(p.g) && p.g >= 0);
    for (const p of pts) {
      if (!ids.has(p.g!)) ids.set(p.g!, integerIds ? (p.g as number) : ids.size);
    }
  }
  const colorOf = (id: number) => PALETTE[id % PALETTE.length]!;
  const data = pts.map((p) => ({ x: p.x, y: p.y, color: grouped ? colorOf(ids.get(p.g!)!) : PALETTE[0]! }));

  let xMin = Math.min(...pts.map((p) => p.x));
  let xMax = Math.max(...pts.map((p) => p.x));
  let yMin = Math.min(...pts.map((p) => p.y));
  let yMax = Math.max(...pts.map((p) => p.y));

  const marks: Plot.Markish[] = [];
  const bgIn = o.background;
  if (bgIn !== undefined && bgIn !== null) {
    if (typeof bgIn !== "object") fail(fn, `background must be {values, x, y, kind?}, got ${describe(bgIn)}`);
    const bg = bgIn as Record<string, unknown>;
    const bx = checkDomain(fn, "background.x", bg.x);
    const by = checkDomain(fn, "background.y", bg.y);
    if (bx === undefined || by === undefined) fail(fn, "background needs x: [x0, x1] and y: [y0, y1], the rectangle its grid covers");
    const kind = bg.kind ?? "class";
    if (kind !== "class" && kind !== "probability") fail(fn, `background.kind must be "class" or "probability", got ${describe(kind)}`);
    const grid = checkGrid(fn, "background.values", bg.values);
    const rows = grid.length;
    const cols = grid[0]!.length;
    const dx = (bx[1] - bx[0]) / cols;
    const dy = (by[1] - by[0]) / rows;
    const light = (c: string) => mixColors(c, "#ffffff", 0.55);
    const cells: { x1: number; x2: number; y1: number; y2: number; color: string }[] = [];
    for (let i = 0; i < rows; i++) {
      const row = grid[i]!;
      for (let j = 0; j < cols; j++) {
        const v = row[j]!;
        const where = `background.values[${i}][${j}]`;
        if (!Number.isFinite(v)) fail(fn, `${where} is ${v}; values must be finite`);
        let color: string;
        if (kind === "class") {
          if (!Number.isInteger(v) || v < 0) fail(fn, `${where} is ${v}; class ids must be non-negative integers (or use kind: "probability")`);
          color = light(colorOf(v));
        } else {
          if (v < 0 || v > 1) fail(fn, `${where} is ${v}; probabilities must lie in [0, 1]`);
          // 41 shades: smooth to the eye, and equal neighbours merge into one rect below
          const q = Math.round(v * 40) / 40;
          color = q < 0.5 ? mixColors(light(colorOf(0)), "#ffffff", q / 0.5) : mixColors("#ffffff", light(colorOf(1)), (q - 0.5) / 0.5);
        }
        // one rect per run of equal colours along the row: far smaller SVGs for class regions
        const last = cells[cells.length - 1];
        if (j > 0 && last !== undefined && last.color === color) last.x2 = bx[0] + (j + 1) * dx;
        else cells.push({ x1: bx[0] + j * dx, x2: bx[0] + (j + 1) * dx, y1: by[0] + i * dy, y2: by[0] + (i + 1) * dy, color });
      }
    }
    marks.push(Plot.rect(cells, { x1: "x1", x2: "x2", y1: "y1", y2: "y2", fill: "color", inset: 0, shapeRendering: "crispEdges" }));
    xMin = Math.min(xMin, bx[0]);
    xMax = Math.max(xMax, bx[1]);
    yMin = Math.min(yMin, by[0]);
    yMax = Math.max(yMax, by[1]);
  }
  marks.push(Plot.dot(data, { x: "x", y: "y", fill: "color", stroke: "white", strokeWidth: 0.75, r }));
  if (bgIn !== undefined && bgIn !== null) marks.push(Plot.frame({ stroke: "#999" }));

  const swatches: SwatchItem[] | undefined = grouped
    ? [...ids.entries()]
        .sort((a, b) => a[1] - b[1])
        .map(([g, id]) => ({ label: groupNames?.[id] ?? String(g), color: colorOf(id), shape: "circle" as const }))
    : undefined;
  const hasBg = bgIn !== undefined && bgIn !== null;
  const pad = (lo: number, hi: number): [number, number] => (hi > lo ? [lo, hi] : [lo - 1, hi + 1]);

  return renderFigure(
    { width, title, subtitle, swatches },
    chartHeightFor(fn, height),
    (h) => ({
      width,
      height: h,
      marginTop: 24,
      marginRight: 24,
      grid: !hasBg,
      color: { type: "identity" },
      x: { label: xLabel === undefined ? null : xmlSafe(xLabel), domain: pad(xMin, xMax), nice: !hasBg },
      y: { label: yLabel === undefined ? null : xmlSafe(yLabel), domain: pad(yMin, yMax), nice: !hasBg },
      marks,
    }),
  );
}

// ---------------------------------------------------------------------------------------------

export interface BarChartOptions extends FigureOptions {
  labels: string[];
  values: ArrayLike<number>;
  xLabel?: string;
  yLabel?: string;
  /** Bars along x with labels down the left side (good for many or long labels, e.g. tokens). */
  horizontal?: boolean;
  /** The value axis's range (e.g. [0, 1] for accuracies, so bars compare across pages); default: fitted to the values. */
  valueDomain?: [number, number];
  /** Colour of positive bars (negative ones are drawn in a contrasting red). */
  color?: string;
}

/** Bar chart, one bar per label, in the order given (repeated labels are fine). */
export function barChart(options: BarChartOptions): string {
  const fn = "barChart";
  const o = checkOptions(fn, options);
  const title = checkOptionalString(fn, "title", o.title);
  const subtitle = checkOptionalString(fn, "subtitle", o.subtitle);
  const xLabel = checkOptionalString(fn, "xLabel", o.xLabel);
  const yLabel = checkOptionalString(fn, "yLabel", o.yLabel);
  const horizontal = checkBool(fn, "horizontal", o.horizontal);
  const valueDomain = checkDomain(fn, "valueDomain", o.valueDomain, false);
  const color = checkColor(fn, "color", o.color) ?? PALETTE[0]!;
  const values = checkFiniteArray(fn, "values", o.values);
  const labels = checkStringArray(fn, "labels", o.labels).map(visibleLabel);
  if (labels.length !== values.length) fail(fn, `labels has ${labels.length} entries but values has ${values.length}`);
  if (values.length > MAX_MARKS) fail(fn, `${values.length} bars is more than the ${MAX_MARKS} one picture can hold`);
  const n = values.length;
  const width = checkSize(fn, "width", o.width, DEFAULT_WIDTH, 160);
  const negColor = PALETTE[2]!;
  const data = Array.from({ length: n }, (_, i) => ({ i, v: values[i]!, color: values[i]! < 0 ? negColor : color }));
  const index = data.map((d) => d.i);
  // labels longer than 220 px are cut with "…", so the bars keep most of the picture
  const shown = labels.map((l) => clip(l, 220, TICK_FONT));
  const labelW = Math.max(...shown.map((l) => textWidth(l, TICK_FONT)));
  const tickFormat = (i: number) => shown[i] ?? "";

  if (horizontal) {
    const step = n > 40 ? Math.ceil(n / 40) : 1;
    const marginLeft = Math.ceil(labelW + 14 + (yLabel !== undefined ? 16 : 0));
    const fitted = Math.min(1600, 24 + 40 + n * 22) + (title ? 26 : 0) + (subtitle ? 18 : 0);
    const height = checkSize(fn, "height", o.height, fitted, 120);
    return renderFigure({ width, title, subtitle }, chartHeightFor(fn, height), (h) => ({
      width,
      height: h,
      marginLeft,
      marginTop: 24,
      marginRight: 24,
      color: { type: "identity" },
      x: { label: xLabel === undefined ? null : xmlSafe(xLabel), grid: true, ...(valueDomain ? { domain: valueDomain, clamp: true } : {}) },
      y: { type: "band", domain: index, tickFormat, ticks: index.filter((i) => i % step === 0), label: yLabel === undefined ? null : xmlSafe(yLabel), padding: 0.15 },
      marks: [Plot.barX(data, { y: "i", x: "v", fill: "color" }), Plot.ruleX([0])],
    }));
  }
  const height = checkSize(fn, "height", o.height, DEFAULT_HEIGHT, 120);
  const plotW = width - 60;
  const step = n > 60 ? Math.ceil(n / 60) : 1;
  const rotate = labelW > (plotW / n) * step - 4;
  return renderFigure({ width, title, subtitle }, chartHeightFor(fn, height), (h) => ({
    width,
    height: h,
    marginTop: 24,
    marginRight: 24,
    marginBottom: Math.ceil((rotate ? labelW + 14 : 30) + (xLabel !== undefined ? 16 : 0)),
    color: { type: "identity" },
    x: {
      type: "band",
      domain: index,
      tickFormat,
      ticks: index.filter((i) => i % step === 0),
      label: xLabel === undefined ? null : xmlSafe(xLabel),
      padding: 0.15,
      ...(rotate ? { tickRotate: -90 } : {}),
    },
    y: { label: yLabel === undefined ? null : xmlSafe(yLabel), grid: true, ...(valueDomain ? { domain: valueDomain, clamp: true } : {}) },
    marks: [Plot.barY(data, { x: "i", y: "v", fill: "color" }), Plot.ruleY([0])],
  }));
}
