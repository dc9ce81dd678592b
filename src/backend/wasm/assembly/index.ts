// AssemblyScript entry: every kernel the WebAssembly backend exports.
export { matmulF32, matmulBatchF32, matmulScratchBytes } from "./matmul";
