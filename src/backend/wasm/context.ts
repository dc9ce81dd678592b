// What every family of WebAssembly kernels needs: the heap, the compiled kernels, and a way to
// split a job over the worker threads. Each file in ./ops/ turns a context into the Backend
// methods it speeds up; index.ts merges them over the reference backend.
import type { Storage } from "../types.js";
import { type WasmHeap, WasmStorage } from "./heap.js";
import type { WorkerPool } from "./pool.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KernelFn = (...args: number[]) => any;

export class WasmContext {
  constructor(
    readonly heap: WasmHeap,
    readonly kernels: Record<string, KernelFn>,
    readonly threads: number,
    private readonly pool: () => WorkerPool | null,
  ) {}

  /** True when every storage lives in this heap with the given dtype (else use the reference kernel). */
  owns(dtype: Storage["dtype"], ...storages: Storage[]): boolean {
    // a loop, not every(): this runs on each kernel call, and a closure per call adds up
    for (let i = 0; i < storages.length; i++) {
      const s = storages[i];
      if (!(s instanceof WasmStorage) || s.dtype !== dtype || s.heap !== this.heap) return false;
    }
    return true;
  }

  /** Byte address of a storage of this heap. */
  ptr(s: Storage): number {
    return (s as WasmStorage).ptr;
  }

  kernel(name: string): KernelFn {
    const fn = this.kernels[name];
    if (typeof fn !== "function") throw new Error(`wasm backend: the kernels have no export named ${name} (rebuild with npm run build:wasm)`);
    return fn;
  }

  /**
   * How many parts to split a job of `work` units into (1 when waking workers would cost more).
   * It depends only on the configured thread count, never on whether the workers are up yet:
   * kernels that combine per-part partial sums then give the same bits from the first call on.
   */
  partsFor(work: number, minWorkPerThread: number): number {
    if (this.threads === 1 || work < 2 * minWorkPerThread) return 1;
    return Math.min(this.threads, Math.floor(work / minWorkPerThread));
  }

  /**
   * Runs kernel `name` once per argument list, the first on this thread and the others on workers,
   * in parallel (all here, in order, while the workers are starting). Each part must write a
   * disjoint region, so results do not depend on timing or on which thread ran a part.
   */
  run(name: string, parts: number[][]): void {
    const fn = this.kernel(name);
    const pool = parts.length > 1 ? this.pool() : null;
    if (pool === null) {
      for (const args of parts) fn(...args);
      return;
    }
    pool.run(name, parts, (args) => fn(...args));
  }

  /** Splits [0, n) into `parts` contiguous ranges, each start a multiple of `align`. */
  static ranges(n: number, parts: number, align = 1): [number, number][] {
    if (parts <= 1) return [[0, n]];
    const units = Math.ceil(n / align);
    const out: [number, number][] = [];
    for (let t = 0; t < parts; t++) out.push([Math.min(n, align * Math.floor((units * t) / parts)), Math.min(n, align * Math.floor((units * (t + 1)) / parts))]);
    return out;
  }

  /** Runs fn with a temporary block of `bytes` bytes from the heap. */
  withScratch<T>(bytes: number, fn: (ptr: number) => T): T {
    const [ptr, size] = this.heap.allocBlock(bytes);
    try {
      return fn(ptr);
    } finally {
      this.heap.releaseBlock(ptr, size);
    }
  }
}
