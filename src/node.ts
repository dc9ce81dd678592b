// decoding-gpt/node: the library plus its Node-only edges (files, plots written to disk).
export * from "./index.js";
export { writeFileAtomic, readSafetensorsFile, readSafetensorsFileHeader, writeSafetensorsFile } from "./io/files.node.js";
export { saveSafetensors, loadSafetensors, saveModule, loadModule } from "./io/checkpoint.node.js";
export { writePlot, installNodePlotDocument } from "./plot/index.node.js";
