// Node: use every core, and the native matrix multiply where it was built. Replaces the
// single-threaded default backend with one whose kernels split work over worker_threads
// (DGPT_THREADS=n to choose, 1 to stay single-threaded; DGPT_NATIVE=0 to keep everything in wasm).
import { backend, setBackend } from "../index.js";
import { loadNative, withNative } from "../native/native.node.js";
import { createWasmBackend, type WasmBackend } from "./index.js";
import { defaultThreads, spawnNodeWorker } from "./threads.node.js";

const requested = Number(process.env.DGPT_THREADS ?? defaultThreads());
if (!Number.isInteger(requested) || requested < 1) throw new Error(`DGPT_THREADS must be a positive integer, got "${process.env.DGPT_THREADS}"`);
if (backend().name === "wasm") {
  const { addon, path } = loadNative();
  const be: WasmBackend = requested > 1 ? createWasmBackend({ threads: requested, spawn: spawnNodeWorker, native: addon ? path : undefined }) : (backend() as WasmBackend);
  setBackend(addon ? withNative(be, addon) : be);
}

/** Whether the native tier is in use, and why not when it is not. */
export function nativeStatus(): { active: boolean; reason: string } {
  const { addon, reason } = loadNative();
  return { active: addon !== null && backend().name === "wasm+native", reason: addon ? "" : reason };
}
