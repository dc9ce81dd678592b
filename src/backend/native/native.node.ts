// The optional native tier in Node: AVX2+FMA matrix multiply and fused attention (native/*.c)
// that work in place on the WebAssembly backend's shared memory, on the backend's own worker
// threads. Built at `npm install` when a C compiler is there; absent, unsupported (no AVX2) or
// disabled with DGPT_NATIVE=0, the wasm kernels are used.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stridedOffsets } from "../js/storage.js";
import type { AttentionSpec, Backend, MatmulSpec, Storage, UnaryOp } from "../types.js";
import type { WasmBackend } from "../wasm/index.js";
import { WasmContext } from "../wasm/context.js";
import { WasmStorage } from "../wasm/heap.js";

interface NativeAddon {
  /**
   * For batches [batchStart, batchEnd): C + offsets[3i+2] = op(A + offsets[3i])·op(B + offsets[3i+1])
   * over rows [rowStart, rowEnd) and columns [colStart, colEnd) (colStart a multiple of 16).
   * The first argument is any typed array over the memory the byte addresses point into.
   */
  sgemm(memory: Uint8Array, ...args: number[]): void;
  /** sgemm's arguments and result, B streamed instead of packed: for products of 1–3 rows. */
  sgemv(memory: Uint8Array, ...args: number[]): void;
  /** (q, k, v, out, lse, tq, tk, d, scale, causal, heads, b0, b1, scores, pattern): heads [b0, b1) of the forward. */
  attention(memory: Uint8Array, ...args: number[]): void;
  /** (q, k, v, out, lse, dout, dq, dk, dv, tq, tk, d, scale, causal, heads, b0, b1). */
  attentionBackward(memory: Uint8Array, ...args: number[]): void;
  /** (x, out, start, end, kind): GELU (kind 0) or its derivative (kind 1), exact erf form. */
  gelu(memory: Uint8Array, ...args: number[]): void;
  supported(): boolean;
}

function findAddon(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, "native", "build", "dgpt_native.node");
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return null;
}

/** The addon, or null (with the reason) when it cannot be used here. */
export function loadNative(): { addon: NativeAddon | null; path: string; reason: string } {
  if (process.env.DGPT_NATIVE === "0") return { addon: null, path: "", reason: "disabled by DGPT_NATIVE=0" };
  const path = findAddon();
  if (!path) return { addon: null, path: "", reason: "not built (npm install builds it where a C compiler exists)" };
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    if (!addon.supported()) return { addon: null, path, reason: "this CPU lacks AVX2/FMA" };
    return { addon, path, reason: "" };
  } catch (err) {
    return { addon: null, path, reason: `could not load ${path}: ${(err as Error).message}` };
  }
}

/** The backend with its float32 matmul, attention and GELU on the native kernels. */
export function withNative(be: WasmBackend, addon: NativeAddon): WasmBackend {
  return { ...be, name: "wasm+native", matmul: withNativeMatmul(be, addon), ...withNativeAttention(be, addon), unary: withNativeGelu(be, addon) };
}

/** Whether every storage is float32 in this backend's memory (what the native kernels take). */
function f32On(be: WasmBackend, ...xs: Storage[]): boolean {
  for (let i = 0; i < xs.length; i++) {
    const s = xs[i];
    if (!(s instanceof WasmStorage) || s.heap !== be.heap || s.dtype !== "float32") return false;
  }
  return true;
}

/**
 * Multiply-adds per thread below which a second thread costs more than it saves: a part must hold
 * several µs of work to pay for handing it to a worker, which costs 2–3 µs when the worker is
 * spinning and far more when it sleeps or the machine is busy. A matrix product runs at ~45
 * GFLOP/s per core, so 2^18 is ~6 µs: a 64×64 product (2^18 in all) runs on the calling thread,
 * 128×128 (2^21) on two. Attention does more per multiply-add (the softmax), so 2^17.
 */
const MIN_MATMUL_MACS_PER_THREAD = 1 << 18;
const MIN_MACS_PER_THREAD = 1 << 17;
const MR = 6; // rows and columns of the addon's micro-kernel tile
const NR = 16;

/**
 * The wasm backend's matmul, replaced for float32 by the native kernel, run on the backend's
 * threads (its worker pool calls the addon too: create the backend with `native: path`). A job
 * splits over batches when there are enough, else over 16-column panels (each thread then packs
 * only its part of B), else over rows; any split computes each element the same way.
 */
export function withNativeMatmul(be: WasmBackend, addon: NativeAddon): Backend["matmul"] {
  const memory = new Uint8Array(be.heap.memory.buffer, 0, 1);
  const fallback = be.matmul;
  const here = (args: number[]) => addon.sgemm(memory, ...args);
  const hereVector = (args: number[]) => addon.sgemv(memory, ...args);
  // the per-batch offset table lives in one block of the heap, kept between calls and grown as
  // needed (a small product's time is a few µs: allocating per call would show)
  let table = { ptr: 0, bytes: 0, view: new Int32Array(0) };
  const offsetTable = (batches: number) => {
    if (batches * 12 > table.bytes) {
      if (table.bytes > 0) be.heap.releaseBlock(table.ptr, table.bytes);
      const [ptr, bytes] = be.heap.allocBlock(Math.max(64, batches * 12));
      table = { ptr, bytes, view: new Int32Array(be.heap.memory.buffer, ptr, bytes >> 2) };
    }
    return table.view;
  };
  return (a: Storage, b: Storage, out: Storage, spec: MatmulSpec) => {
    const { m, k, n, transA, transB } = spec;
    if (!f32On(be, a, b, out)) return fallback(a, b, out, spec);
    // a few rows (generation: one token at a time; an RNN step at batch 1): sgemv streams B once
    // instead of packing it, which would be most of the work. Chosen by m, not by a part's rows,
    // so every split computes each element the same way.
    const vector = m < 4;
    if (vector && typeof addon.sgemv !== "function") return fallback(a, b, out, spec); // an addon built before sgemv existed
    let batches = 1;
    for (const s of spec.batchShape) batches *= s;
    const o = offsetTable(batches);
    if (batches === 1) o[0] = o[1] = o[2] = 0; // (most products)
    else {
      const aOff = stridedOffsets(spec.batchShape, spec.aBatchStrides);
      const bOff = stridedOffsets(spec.batchShape, spec.bBatchStrides);
      for (let i = 0; i < batches; i++) {
        o[3 * i] = aOff[i];
        o[3 * i + 1] = bOff[i];
        o[3 * i + 2] = i * m * n;
      }
    }
    const A = (a as WasmStorage).ptr, aRow = transA ? 1 : k, aCol = transA ? m : 1;
    const B = (b as WasmStorage).ptr, bRow = transB ? 1 : n, bCol = transB ? k : 1;
    const C = (out as WasmStorage).ptr;
    const work = batches * m * k * n;
    const parts = be.threads === 1 || work < 2 * MIN_MATMUL_MACS_PER_THREAD ? 1 : Math.min(be.threads, Math.floor(work / MIN_MATMUL_MACS_PER_THREAD));
    if (parts === 1) return (vector ? addon.sgemv : addon.sgemm)(memory, A, aRow, aCol, B, bRow, bCol, C, m, k, n, table.ptr, 0, batches, 0, m, 0, n);
    let split: number[][];
    if (batches >= parts) split = WasmContext.ranges(batches, parts, 1).map(([lo, hi]) => [lo, hi, 0, m, 0, n]);
    else if (Math.ceil(n / NR) >= 2 * parts || m < 2 * MR * parts) split = WasmContext.ranges(n, parts, NR).map(([lo, hi]) => [0, batches, 0, m, lo, hi]);
    else split = WasmContext.ranges(m, parts, MR).map(([lo, hi]) => [0, batches, lo, hi, 0, n]);
    be.parallel(vector ? "native.sgemv" : "native.sgemm", split.map((r) => [A, aRow, aCol, B, bRow, bCol, C, m, k, n, table.ptr, ...r]), vector ? hereVector : here);
  };
}

/**
 * The wasm backend's attention forward and backward on the native kernels, heads split over
 * the backend's threads. Empty products (no keys, no head dims) stay with the wasm kernels.
 */
export function withNativeAttention(be: WasmBackend, addon: NativeAddon): Pick<Backend, "attention" | "attentionBackward"> {
  const memory = new Uint8Array(be.heap.memory.buffer, 0, 1);
  const ptr = (s: Storage) => (s as WasmStorage).ptr;
  const dims = (s: AttentionSpec) => [s.tq, s.tk, s.dHead, s.scale, s.causal ? 1 : 0, s.layout === "bthd" ? (s.heads ?? 1) : 0];
  const split = (s: AttentionSpec, macs: number) => {
    const parts = be.threads === 1 || macs < 2 * MIN_MACS_PER_THREAD ? 1 : Math.min(be.threads, s.batch, Math.floor(macs / MIN_MACS_PER_THREAD));
    return WasmContext.ranges(s.batch, parts);
  };
  const macs = (s: AttentionSpec) => s.batch * s.tq * s.tk * s.dHead * (s.causal ? 1 : 2);
  const usable = (s: AttentionSpec) => s.tq > 0 && s.tk > 0 && s.dHead > 0;
  return {
    attention(q, k, v, out, lse, s, probe) {
      const extra = [probe?.scores, probe?.pattern].filter((x): x is Storage => !!x);
      if (!usable(s) || !f32On(be, q, k, v, out, lse, ...extra)) return be.attention(q, k, v, out, lse, s, probe);
      const head = [ptr(q), ptr(k), ptr(v), ptr(out), ptr(lse), ...dims(s)];
      const tail = [probe?.scores ? ptr(probe.scores) : 0, probe?.pattern ? ptr(probe.pattern) : 0];
      be.parallel("native.attention", split(s, macs(s)).map(([b0, b1]) => [...head, b0, b1, ...tail]), (args) => addon.attention(memory, ...args));
    },
    attentionBackward(q, k, v, out, lse, dout, dq, dk, dv, s) {
      if (!usable(s) || !f32On(be, q, k, v, out, lse, dout, dq, dk, dv)) return be.attentionBackward(q, k, v, out, lse, dout, dq, dk, dv, s);
      const head = [ptr(q), ptr(k), ptr(v), ptr(out), ptr(lse), ptr(dout), ptr(dq), ptr(dk), ptr(dv), ...dims(s)];
      be.parallel("native.attentionBackward", split(s, 3 * macs(s)).map(([b0, b1]) => [...head, b0, b1]), (args) => addon.attentionBackward(memory, ...args));
    },
  };
}

/** Elements per thread below which GELU stays on one thread. */
const MIN_GELU_PER_THREAD = 1 << 13;

/** The wasm backend's unary kernels, with the exact-erf GELU and its derivative on the native kernel. */
export function withNativeGelu(be: WasmBackend, addon: NativeAddon): Backend["unary"] {
  const memory = new Uint8Array(be.heap.memory.buffer, 0, 1);
  const kinds: Partial<Record<UnaryOp, number>> = { gelu_erf: 0, gelu_erf_grad: 1 };
  return (op, x, out) => {
    const kind = kinds[op];
    if (kind === undefined || !f32On(be, x, out)) return be.unary(op, x, out);
    const n = out.length;
    const parts = be.threads === 1 || n < 2 * MIN_GELU_PER_THREAD ? 1 : Math.min(be.threads, Math.floor(n / MIN_GELU_PER_THREAD));
    const [X, Y] = [(x as WasmStorage).ptr, (out as WasmStorage).ptr];
    be.parallel("native.gelu", WasmContext.ranges(n, parts, 16).map(([lo, hi]) => [X, Y, lo, hi, kind]), (args) => addon.gelu(memory, ...args));
  };
}
