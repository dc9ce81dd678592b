// AssemblyScript entry: every kernel the WebAssembly backend exports.
export { matmulF32, matmulScratchBytes } from "./matmul";
