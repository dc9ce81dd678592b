// Plotting: charts as standalone SVG strings, and self-contained HTML pages of them.
// Rendering needs a DOM document: the page's own in a browser; in Node import "./index.node.js"
// (or "./dom.node.js"), which installs linkedom.
export { linePlot, scatterPlot, barChart } from "./plot.js";
export type { FigureOptions, LineSeries, LinePlotOptions, ScatterPoint, DecisionBackground, ScatterPlotOptions, BarChartOptions } from "./plot.js";
export { heatmap } from "./heatmap.js";
export type { HeatmapOptions } from "./heatmap.js";
export { heatmapGrid } from "./heatmap-grid.js";
export type { HeatmapGridOptions } from "./heatmap-grid.js";
export { imageGrid } from "./image-grid.js";
export type { ImageGridOptions, ImageGridImage } from "./image-grid.js";
export { htmlPage } from "./html.js";
export type { PageSection } from "./html.js";
export { setPlotDocument, plotDocument } from "./dom.js";
export type { DocumentSource } from "./dom.js";
export { PALETTE, escapeXml } from "./svg.js";
export { visibleToken } from "./token-label.js";
