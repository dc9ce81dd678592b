// The active backend. Tensor code calls `backend()`; `setBackend` swaps the implementation.
// By default it is the WebAssembly SIMD backend where the runtime supports it, else the
// reference "js" backend (also chosen with the environment variable DGPT_BACKEND=js).
import { jsBackend } from "./js/index.js";
import type { Backend } from "./types.js";
import { createWasmBackend, wasmFeatures, type WasmBackend } from "./wasm/index.js";

export type * from "./types.js";
export { jsBackend, createWasmBackend, wasmFeatures, type WasmBackend };

function defaultBackend(): Backend {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DGPT_BACKEND;
  if (env === "js") return jsBackend;
  try {
    if (wasmFeatures().simd) return createWasmBackend();
  } catch (err) {
    if (env === "wasm") throw err;
  }
  if (env === "wasm") throw new Error("DGPT_BACKEND=wasm but this runtime has no WebAssembly SIMD");
  return jsBackend;
}

let active: Backend = defaultBackend();

export function backend(): Backend {
  return active;
}

/** Switches the backend for tensors made from now on (existing tensors keep their storage). */
export function setBackend(b: Backend): void {
  active = b;
}
