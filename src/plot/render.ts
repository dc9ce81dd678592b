// Renders an Observable Plot chart to an SVG fragment that can sit inside our figure.
import * as Plot from "@observablehq/plot";
import { plotDocument, serializeElement } from "./dom.js";
import { FONT_FAMILY, composeFigure, renderHeader, type FigureParts } from "./svg.js";

/**
 * Runs Plot.plot with our document and returns the chart as a nested <svg> placed at (x, y).
 * Plot's <style> element and class are dropped: they only matter inside an HTML page, and CSS
 * sizing rules on a nested <svg> would fight its explicit width and height.
 */
export function renderChart(options: Plot.PlotOptions, x: number, y: number): string {
  const document = plotDocument();
  const el = Plot.plot({ ...options, document }) as Element;
  if (el.tagName.toLowerCase() !== "svg") {
    throw new Error(`plot: expected Plot to return an <svg>, got <${el.tagName.toLowerCase()}>`);
  }
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
