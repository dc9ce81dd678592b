// Renders an Observable Plot chart to an SVG fragment that can sit inside our figure.
import * as Plot from "@observablehq/plot";
import { plotDocument, serializeElement } from "./dom.js";
import { FONT_FAMILY, composeFigure, renderHeader, textWidth, type FigureParts } from "./svg.js";

// Plot's defaults: tick labels in 10 px type, 6 px tick marks plus 3 px padding, and these margins
// when the options name none.
const TICK_FONT = 10;
const TICK_OFFSET = 9;
const PLOT_MARGIN_LEFT = 40;
const PLOT_MARGIN_RIGHT = 20;
/** Air between the longest tick label and the edge of the picture. */
const EDGE_GAP = 4;

function plotSvg(options: Plot.PlotOptions): Element {
  const el = Plot.plot({ ...options, document: plotDocument() }) as Element;
  if (el.tagName.toLowerCase() !== "svg") {
    throw new Error(`plot: expected Plot to return an <svg>, got <${el.tagName.toLowerCase()}>`);
  }
  return el;
}

function tickTexts(el: Element, axis: "x" | "y"): { text: string; rotated: boolean }[] {
  const out: { text: string; rotated: boolean }[] = [];
  for (const g of Array.from(el.querySelectorAll(`g[aria-label="${axis}-axis tick label"]`))) {
    const rotated = /rotate/.test(g.getAttribute("transform") ?? "");
    for (const t of Array.from(g.querySelectorAll("text"))) {
      out.push({ text: t.textContent ?? "", rotated: rotated || /rotate/.test(t.getAttribute("transform") ?? "") });
    }
  }
  return out;
}

/**
 * The margins the drawn tick labels need. Plot leaves 40 px left of the y axis whatever the labels
 * are, so "300,000" or "0.000001" ran off the picture; here we read back the labels Plot chose
 * and make room for the widest (there are no font metrics headlessly, so textWidth estimates).
 */
function marginsForTicks(el: Element, options: Plot.PlotOptions): { marginLeft?: number; marginRight?: number } {
  const width = Number(el.getAttribute("width"));
  const out: { marginLeft?: number; marginRight?: number } = {};
  const yTicks = tickTexts(el, "y").filter((t) => !t.rotated);
  if (yTicks.length > 0) {
    const need = Math.ceil(Math.max(...yTicks.map((t) => textWidth(t.text, TICK_FONT))) + TICK_OFFSET + EDGE_GAP);
    // never more than 45% of the picture: the chart itself must keep most of it
    const left = Math.min(need, Math.floor(width * 0.45));
    if (left > (options.marginLeft ?? PLOT_MARGIN_LEFT)) out.marginLeft = left;
  }
  // x tick labels are centred on their ticks: the last one needs half its width right of the axis
  // (a band scale's last tick sits half a band in from the edge: heatmaps and bar charts size
  // their own margins)
  const xTicks = tickTexts(el, "x").filter((t) => !t.rotated);
  const band = (options.x as { type?: string } | undefined)?.type === "band";
  if (xTicks.length > 0 && !band) {
    const need = Math.ceil(textWidth(xTicks[xTicks.length - 1]!.text, TICK_FONT) / 2 + EDGE_GAP);
    if (need > (options.marginRight ?? PLOT_MARGIN_RIGHT)) out.marginRight = need;
  }
  return out;
}

/**
 * Runs Plot.plot with our document and returns the chart as a nested <svg> placed at (x, y).
 * When the tick labels Plot drew do not fit the margins, it draws again with margins that fit.
 * Plot's <style> element and class are dropped: they only matter inside an HTML page, and CSS
 * sizing rules on a nested <svg> would fight its explicit width and height.
 */
export function renderChart(options: Plot.PlotOptions, x: number, y: number): string {
  let el = plotSvg(options);
  const margins = marginsForTicks(el, options);
  if (margins.marginLeft !== undefined || margins.marginRight !== undefined) el = plotSvg({ ...options, ...margins });
  for (const child of Array.from(el.childNodes)) {
    if ((child as Element).tagName !== undefined && (child as Element).tagName.toLowerCase() === "style") el.removeChild(child);
  }
  el.removeAttribute("class");
  el.setAttribute("font-family", FONT_FAMILY);
  el.setAttribute("x", String(x));
  el.setAttribute("y", String(y));
  return serializeElement(el);
}

/** Renders the header, then the chart below it, and composes the standalone SVG. */
export function renderFigure(parts: FigureParts, chartHeight: (headerHeight: number) => number, options: (chartHeight: number) => Plot.PlotOptions, chartX = 0): string {
  const header = renderHeader(parts);
  const h = chartHeight(header.height);
  const chart = renderChart(options(h), chartX, header.height);
  return composeFigure(parts, header, chart, h);
}
