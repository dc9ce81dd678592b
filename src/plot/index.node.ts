// Node face of the plotting module: everything in index.ts, a linkedom document installed on
// import, and writePlot for files.
import "./dom.node.js";
export * from "./index.js";
export { createLinkedomDocument, installNodePlotDocument } from "./dom.node.js";
export { writePlot } from "./files.node.js";
