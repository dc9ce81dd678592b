// Node 20 keeps relaxed SIMD (fused multiply-add) behind a V8 flag that is on by default from
// Node 22 and in current browsers. V8 accepts it at run time, before any module is compiled, so
// the Node entry point imports this file first.
import { setFlagsFromString } from "node:v8";

const major = Number(process.versions.node.split(".")[0]);
if (major < 22) setFlagsFromString("--experimental-wasm-relaxed-simd");
