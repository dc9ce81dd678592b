// The WebAssembly backend: tensors live in one shared WebAssembly memory; the kernels that pay
// (matrix products first) run as SIMD code compiled from AssemblyScript, and every other kernel
// is the reference one, running directly on views of that memory (no copies in or out).
import { jsBackend } from "../js/index.js";
import type { Backend, DType, Storage, TypedArray } from "../types.js";
import { type KernelFn, WasmContext } from "./context.js";
import { WasmHeap, WasmStorage } from "./heap.js";
import { KERNELS_RELAXED, KERNELS_SIMD } from "./kernels.generated.js";
import { attentionKernels } from "./ops/attention.js";
import { elementwiseKernels } from "./ops/elementwise.js";
import { matmulKernels } from "./ops/matmul.js";
import { reduceKernels } from "./ops/reduce.js";
import { nnKernels } from "./ops/nn.js";
import { spawnWebWorker, type SpawnWorker, WorkerPool } from "./pool.js";

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === "function") {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes;
  }
  throw new Error("wasm backend: no base64 decoder (atob) in this runtime");
}

/** Which instruction set the runtime accepts: relaxed SIMD (fused multiply-add) or plain SIMD. */
export function wasmFeatures(): { simd: boolean; relaxedSimd: boolean } {
  if (typeof WebAssembly === "undefined") return { simd: false, relaxedSimd: false };
  return { simd: WebAssembly.validate(decodeBase64(KERNELS_SIMD)), relaxedSimd: WebAssembly.validate(decodeBase64(KERNELS_RELAXED)) };
}

export interface WasmBackend extends Backend {
  readonly heap: WasmHeap;
  readonly variant: "relaxed-simd" | "simd";
  readonly threads: number;
  /** Resolves once every worker thread is up (until then kernels run on the calling thread). */
  ready(): Promise<void>;
  /** Stops the worker threads (the backend then must not be used for parallel work). */
  terminate(): void;
  /**
   * Runs a job in parts, parts[0] on this thread and the rest on the workers (all here while they
   * start): `kernel` names a wasm export, or "native.<fn>" for a function of the native addon the
   * workers were given. `here` runs one part on this thread.
   */
  parallel(kernel: string, parts: number[][], here: (args: number[]) => void): void;
  /** Microseconds to hand an empty job to every thread and wait for all (NaN without workers). */
  dispatchOverheadUs(iterations?: number): number;
}

/**
 * Compiles the kernels and returns a backend (synchronously: fine in Node and workers; browsers'
 * main threads may refuse synchronous compilation of large modules, ours is a few KB).
 */
export interface WasmBackendOptions {
  variant?: "relaxed-simd" | "simd";
  /** Threads to use, this one included (default 1; the Node entry point sets all cores). */
  threads?: number;
  /** How to start a worker (worker_threads in Node, Web Workers in browsers). */
  spawn?: SpawnWorker;
  /** Node: path of the native addon, so the workers can run its functions too. */
  native?: string;
}

export function createWasmBackend(opts: WasmBackendOptions = {}): WasmBackend {
  const features = wasmFeatures();
  if (!features.simd) throw new Error("wasm backend: this runtime has no WebAssembly SIMD");
  const variant = opts.variant ?? (features.relaxedSimd ? "relaxed-simd" : "simd");
  if (variant === "relaxed-simd" && !features.relaxedSimd) throw new Error("wasm backend: relaxed SIMD is not available here (Node 20 needs --experimental-wasm-relaxed-simd; importing decoding-gpt in Node sets it)");
  const heap = new WasmHeap();
  const module = new WebAssembly.Module(decodeBase64(variant === "relaxed-simd" ? KERNELS_RELAXED : KERNELS_SIMD));
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory: heap.memory,
      abort: () => {
        throw new Error("wasm kernel aborted");
      },
    },
  });
  const threads = Math.max(1, Math.floor(opts.threads ?? 1));
  let pool: WorkerPool | null = null;
  if (threads > 1) {
    const spawn = opts.spawn ?? (typeof Worker !== "undefined" ? spawnWebWorker : undefined);
    if (!spawn) throw new Error("wasm backend: threads > 1 needs a way to start workers (pass spawn, or use the Node entry point)");
    const [control] = heap.allocBlock(WorkerPool.controlBytes(threads));
    pool = new WorkerPool(threads, module, heap.memory, control, instance.exports, spawn, opts.native);
  }
  /** The pool, once every worker is up (until then kernels run on this thread). */
  const readyPool = () => (pool !== null && pool.ready === threads - 1 ? pool : null);

  const ctx = new WasmContext(heap, instance.exports as unknown as Record<string, KernelFn>, threads, readyPool);

  return {
    ...jsBackend,
    name: "wasm",
    heap,
    variant,
    threads,
    terminate: () => pool?.terminate(),
    parallel: (kernel, parts, here) => {
      const p = parts.length > 1 ? readyPool() : null;
      if (p === null) for (const args of parts) here(args);
      else p.run(kernel, parts, here);
    },
    dispatchOverheadUs: (iterations = 2000) => {
      const p = readyPool();
      if (p === null) return NaN;
      // matmulScratchBytes is a pure function: the job is nothing but the dispatch
      const noop = ctx.kernel("matmulScratchBytes");
      const parts = Array.from({ length: threads }, () => [1, 1]);
      const t0 = performance.now();
      for (let i = 0; i < iterations; i++) p.run("matmulScratchBytes", parts, (a) => noop(...a));
      return ((performance.now() - t0) / iterations) * 1000;
    },
    ready: async () => {
      for (let waited = 0; pool !== null && readyPool() === null; waited += 5) {
        if (waited > 10_000) throw new Error("wasm backend: worker threads did not start within 10 s");
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    alloc: (dtype: DType, length: number, zero = true) => heap.alloc(dtype, length, zero),
    fromArray: (data: TypedArray) => {
      const dtype: DType = data instanceof Float32Array ? "float32" : data instanceof Float64Array ? "float64" : data instanceof Int32Array ? "int32" : "bool";
      const s = heap.alloc(dtype, data.length, false);
      s.data.set(data);
      return s;
    },
    dispose: (s: Storage) => {
      if (s instanceof WasmStorage && s.heap === heap) heap.release(s);
    },
    // the kernel families written for WebAssembly, each over the reference ones
    ...matmulKernels(ctx),
    ...attentionKernels(ctx),
    ...elementwiseKernels(ctx),
    ...reduceKernels(ctx),
    ...nnKernels(ctx),
  };
}
