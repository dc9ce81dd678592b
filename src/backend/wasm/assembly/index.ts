// AssemblyScript entry: every kernel the WebAssembly backend exports.
export { matmulF32, matmulBatchF32, matmulScratchBytes } from "./matmul";
export { attentionF32, attentionBackwardF32, attentionScratchBytes } from "./attention";
