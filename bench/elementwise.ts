// Elementwise and reduction kernels: the reference backend against WebAssembly on one and two
// threads, on the shapes a small transformer's step is made of. `benchElementwise()` returns the
// table rows; run this file directly to print them:
//   node --experimental-wasm-relaxed-simd --import tsx bench/elementwise.ts
import { fileURLToPath } from "node:url";
import { createWasmBackend, jsBackend, type Backend, type Storage } from "../src/backend/index.js";
import { spawnNodeWorker } from "../src/backend/wasm/threads.node.js";

/**
 * Milliseconds per call: the best of several timed batches, so other processes on the machine
 * (which only ever add time) distort the figure less.
 */
function timeit(fn: () => void, minMs: number): number {
  fn();
  fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    if (performance.now() - t0 >= minMs / 8) break;
    reps *= 2;
  }
  let best = Infinity;
  for (let trial = 0; trial < 8; trial++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  return best;
}

interface Case {
  op: string;
  /** Elements of the output (ns/element is per output element). */
  elements: number;
  /** Bytes read and written once, for GB/s. */
  bytes: number;
  /** Makes the inputs on a backend and returns the operation to time. */
  setup: (be: Backend) => () => void;
}

function filled(be: Backend, n: number, f: (i: number) => number): Storage {
  const s = be.alloc("float32", n);
  const a = be.read(s) as Float32Array;
  for (let i = 0; i < n; i++) a[i] = f(i);
  return s;
}

const contiguous = (shape: number[]) => shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));

function cases(): Case[] {
  // nanoGPT-CPU-like activations: B·T = 16·256 rows of d = 128 (4 heads of 32), MLP 4d wide
  const [B, T, H, dh] = [16, 256, 4, 32];
  const d = H * dh;
  const n = B * T * d;
  const mlp = 4 * n;
  const wave = (i: number) => Math.sin(i * 0.37) * 3;
  return [
    { op: `add (${B}·${T}×${d}) + same`, elements: n, bytes: 12 * n, setup: (be) => {
      const a = filled(be, n, wave), b = filled(be, n, (i) => wave(i + 1)), o = be.alloc("float32", n);
      return () => be.binary("add", a, [1], b, [1], o, [n]);
    } },
    { op: `add bias (${B * T}×${d}) + (${d})`, elements: n, bytes: 8 * n, setup: (be) => {
      const a = filled(be, n, wave), b = filled(be, d, wave), o = be.alloc("float32", n);
      return () => be.binary("add", a, [d, 1], b, [0, 1], o, [B * T, d]);
    } },
    { op: `mul (${B},${T},${d}) · (${B},${T},1)`, elements: n, bytes: 8 * n, setup: (be) => {
      const a = filled(be, n, wave), b = filled(be, B * T, wave), o = be.alloc("float32", n);
      return () => be.binary("mul", a, contiguous([B, T, d]), b, [T, 1, 0], o, [B, T, d]);
    } },
    { op: `exp (${mlp})`, elements: mlp, bytes: 8 * mlp, setup: (be) => {
      const a = filled(be, mlp, wave), o = be.alloc("float32", mlp);
      return () => be.unary("exp", a, o);
    } },
    { op: `gelu erf (${mlp})`, elements: mlp, bytes: 8 * mlp, setup: (be) => {
      const a = filled(be, mlp, wave), o = be.alloc("float32", mlp);
      return () => be.unary("gelu_erf", a, o);
    } },
    { op: `gelu tanh (${mlp})`, elements: mlp, bytes: 8 * mlp, setup: (be) => {
      const a = filled(be, mlp, wave), o = be.alloc("float32", mlp);
      return () => be.unary("gelu_tanh", a, o);
    } },
    { op: `sum last dim (${B * T}×${d})`, elements: n, bytes: 4 * n, setup: (be) => {
      const a = filled(be, n, wave), o = be.alloc("float32", B * T);
      return () => be.reduce("sum", a, [B * T, d], [false, true], o);
    } },
    { op: `sum leading dim (${B * T}×${d})`, elements: n, bytes: 4 * n, setup: (be) => {
      const a = filled(be, n, wave), o = be.alloc("float32", d);
      return () => be.reduce("sum", a, [B * T, d], [true, false], o);
    } },
    { op: `permute (${B},${T},${H},${dh})→(B,H,T,d)`, elements: n, bytes: 8 * n, setup: (be) => {
      const a = filled(be, n, wave), o = be.alloc("float32", n);
      return () => be.strided(a, 0, [T * d, dh, d, 1], o, [B, H, T, dh]);
    } },
    { op: `transpose (${B},${T},${d})→(B,d,T)`, elements: n, bytes: 8 * n, setup: (be) => {
      const a = filled(be, n, wave), o = be.alloc("float32", n);
      return () => be.strided(a, 0, [T * d, 1, d], o, [B, d, T]);
    } },
    { op: `add small (${T}×${d})`, elements: T * d, bytes: 12 * T * d, setup: (be) => {
      const m = T * d, a = filled(be, m, wave), b = filled(be, m, wave), o = be.alloc("float32", m);
      return () => be.binary("add", a, [1], b, [1], o, [m]);
    } },
  ];
}

export interface ElementwiseRow {
  op: string;
  elements: number;
  /** ns per output element: reference, wasm one thread, wasm two threads. */
  nsJs: number;
  ns1: number;
  ns2: number;
  /** Memory traffic at the one- and two-thread speeds (GB/s). */
  gbps1: number;
  gbps2: number;
}

export async function benchElementwise(minMs = 200): Promise<{ variant: string; rows: ElementwiseRow[] }> {
  const one = createWasmBackend({ threads: 1 });
  const two = createWasmBackend({ threads: 2, spawn: spawnNodeWorker });
  await two.ready();
  try {
    const rows = cases().map((c) => {
      const nsJs = (timeit(c.setup(jsBackend), minMs / 2) * 1e6) / c.elements;
      const ns1 = (timeit(c.setup(one), minMs) * 1e6) / c.elements;
      const ns2 = (timeit(c.setup(two), minMs) * 1e6) / c.elements;
      const bytes = c.bytes / c.elements;
      return { op: c.op, elements: c.elements, nsJs, ns1, ns2, gbps1: bytes / ns1, gbps2: bytes / ns2 };
    });
    return { variant: one.variant, rows };
  } finally {
    two.terminate();
  }
}

export function formatElementwise(variant: string, rows: ElementwiseRow[]): string {
  const header = ["op", "js ref", "wasm 1T", "wasm 2T", "1T speedup", "2T speedup", "1T GB/s", "2T GB/s"];
  const cells = [header, ...rows.map((r) => [r.op, r.nsJs.toFixed(2), r.ns1.toFixed(3), r.ns2.toFixed(3), `${(r.nsJs / r.ns1).toFixed(1)}×`, `${(r.nsJs / r.ns2).toFixed(1)}×`, r.gbps1.toFixed(1), r.gbps2.toFixed(1)])];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  const lines = cells.map((row) => "| " + row.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join(" | ") + " |");
  lines.splice(1, 0, "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  return `elementwise and reductions, float32, ns per output element (wasm ${variant}; best of 8 batches)\n${lines.join("\n")}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { variant, rows } = await benchElementwise();
  console.log(formatElementwise(variant, rows));
}
