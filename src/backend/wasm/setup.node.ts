// Node: use every core. Replaces the single-threaded default backend with one whose kernels
// split work over worker_threads (DGPT_THREADS=n to choose, 1 to stay single-threaded).
import { backend, setBackend } from "../index.js";
import { createWasmBackend } from "./index.js";
import { defaultThreads, spawnNodeWorker } from "./threads.node.js";

const requested = Number(process.env.DGPT_THREADS ?? defaultThreads());
if (!Number.isInteger(requested) || requested < 1) throw new Error(`DGPT_THREADS must be a positive integer, got "${process.env.DGPT_THREADS}"`);
if (backend().name === "wasm" && requested > 1) {
  setBackend(createWasmBackend({ threads: requested, spawn: spawnNodeWorker }));
}
