// Neural-network kernels on nanoGPT-CPU shapes (B = 12, T = 64, d_model = 128, 4 heads, char
// vocab 65, ~0.8M parameters): LayerNorm, causal attention, softmax over attention rows,
// log-softmax and softmax + cross-entropy over logits,
// the embedding lookup, and AdamW — forward + backward where there is one. Reference JS kernels,
// the WebAssembly kernels on 1 and 2 threads, and PyTorch eager (autograd) on 1 and 2 threads
// measured in the same run. Times in µs per call.
// Run: node --experimental-wasm-relaxed-simd --import tsx bench/nn.ts
import { execFileSync } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createWasmBackend, jsBackend, type Backend } from "../src/backend/index.js";
import { loadNative, withNative } from "../src/backend/native/native.node.js";
import { spawnNodeWorker } from "../src/backend/wasm/threads.node.js";

const PYTHON = process.env.DGPT_PYTHON ?? "/usr/bin/python3";

const B = 12, T = 64, D = 128, HEADS = 4, VOCAB = 65, PARAMS = 800_000;

/** The PyTorch side's spec (bench/torch_bench.py, key "nn"). */
const TORCH_SPEC = { layernorm: [B * T, D], attention: [B, HEADS, T, D / HEADS], softmax: [B * HEADS * T, T], log_softmax: [B * T, VOCAB], cross_entropy: [B * T, VOCAB], embedding: [VOCAB, D, B * T], adamw: PARAMS };

/**
 * µs per call: run for a while first (V8 compiles wasm with a baseline tier, then optimises hot
 * functions in the background), then the best of 5 rounds, as the machine may be shared.
 */
function timeit(fn: () => void, roundMs = 50): number {
  for (const t0 = performance.now(); performance.now() - t0 < 2 * roundMs; ) fn();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    if (performance.now() - t0 >= roundMs / 4) break;
    reps *= 2;
  }
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (let i = 0; i < reps * 4; i++) fn();
    best = Math.min(best, (performance.now() - t0) / (reps * 4));
  }
  return best * 1000;
}

function torchTimes(threads: number): Record<string, number> | null {
  try {
    const t = String(threads);
    const spec = JSON.stringify({ nn: { ...TORCH_SPEC, threads: [threads] } });
    const out = execFileSync(PYTHON, [fileURLToPath(new URL("./torch_bench.py", import.meta.url)), spec], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t } });
    return JSON.parse(out).nn;
  } catch (err) {
    console.log(`(PyTorch not measured: ${(err as Error).message.split("\n")[0]}; install python3-torch)`);
    return null;
  }
}

function filled(be: Backend, n: number, f: (i: number) => number): ReturnType<Backend["alloc"]> {
  const s = be.alloc("float32", n);
  const a = be.read(s) as Float32Array;
  for (let i = 0; i < n; i++) a[i] = f(i);
  return s;
}

/** The workloads, each a function of a backend that returns one call to time. */
const workloads: { name: string; key: string; native?: boolean; setup: (be: Backend) => () => void }[] = [
  {
    name: `LayerNorm fwd+bwd ${B * T}×${D}`,
    key: "layernorm",
    setup: (be) => {
      const rows = B * T;
      const x = filled(be, rows * D, (i) => Math.sin(i));
      const dy = filled(be, rows * D, (i) => Math.cos(i));
      const w = filled(be, D, (i) => 1 + 0.01 * i);
      const b = filled(be, D, (i) => 0.01 * i);
      const [out, dx] = [be.alloc("float32", rows * D), be.alloc("float32", rows * D)];
      const [mean, rstd] = [be.alloc("float32", rows), be.alloc("float32", rows)];
      const [dw, db] = [be.alloc("float32", D), be.alloc("float32", D)];
      const spec = { rows, d: D };
      return () => {
        be.layerNorm(x, w, b, out, mean, rstd, spec, 1e-5);
        be.layerNormBackward(dy, x, mean, rstd, w, dx, dw, db, spec);
      };
    },
  },
  {
    name: `causal attention fwd+bwd ${B}·${HEADS} heads, T ${T}, d ${D / HEADS}`,
    key: "attention",
    native: true,
    setup: (be) => {
      // (B, T, heads, d_head): the layout the Q/K/V projections produce, as the model calls it
      const n = B * T * D;
      const [q, k, v, dy] = [1, 2, 3, 4].map((c) => filled(be, n, (i) => Math.sin(c * i)));
      const [out, dq, dk, dv] = [0, 1, 2, 3].map(() => be.alloc("float32", n));
      const lse = be.alloc("float32", B * HEADS * T);
      const spec = { batch: B * HEADS, tq: T, tk: T, dHead: D / HEADS, scale: 1 / Math.sqrt(D / HEADS), causal: true, layout: "bthd" as const, heads: HEADS };
      return () => {
        be.attention(q, k, v, out, lse, spec);
        be.attentionBackward(q, k, v, out, lse, dy, dq, dk, dv, spec);
      };
    },
  },
  ...[false, true].map((log) => {
    const [rows, width] = log ? [B * T, VOCAB] : [B * HEADS * T, T];
    return {
      name: `${log ? "log-softmax" : "softmax"} fwd+bwd ${rows}×${width}`,
      key: log ? "log_softmax" : "softmax",
      setup: (be: Backend) => {
        const x = filled(be, rows * width, (i) => 3 * Math.sin(i));
        const dy = filled(be, rows * width, (i) => Math.cos(i));
        const [y, dx] = [be.alloc("float32", rows * width), be.alloc("float32", rows * width)];
        const spec = { outer: rows, dim: width, inner: 1 };
        return () => {
          be.softmax(x, y, spec, log);
          be.softmaxBackward(y, dy, dx, spec, log);
        };
      },
    };
  }),
  {
    name: `cross-entropy fwd+bwd ${B * T}×${VOCAB}`,
    key: "cross_entropy",
    setup: (be) => {
      const rows = B * T;
      const x = filled(be, rows * VOCAB, (i) => 3 * Math.sin(i));
      const target = be.fromArray(Int32Array.from({ length: rows }, (_, i) => (i * 7) % VOCAB));
      const g = filled(be, rows, () => 1 / rows); // d(mean)/d(row loss)
      const [loss, lse, dx] = [be.alloc("float32", rows), be.alloc("float32", rows), be.alloc("float32", rows * VOCAB)];
      const spec = { rows, classes: VOCAB, ignoreIndex: -100, labelSmoothing: 0 };
      return () => {
        be.crossEntropy(x, target, loss, lse, spec);
        be.crossEntropyBackward(x, target, lse, g, dx, spec);
      };
    },
  },
  {
    name: `embedding fwd+bwd ${B * T} ids, ${VOCAB}×${D}`,
    key: "embedding",
    setup: (be) => {
      const n = B * T;
      const table = filled(be, VOCAB * D, (i) => Math.sin(i));
      const ids = be.fromArray(Int32Array.from({ length: n }, (_, i) => (i * 7) % VOCAB));
      const dy = filled(be, n * D, (i) => Math.cos(i));
      const out = be.alloc("float32", n * D);
      const dt = be.alloc("float32", VOCAB * D);
      const spec = { outer: 1, dim: VOCAB, inner: D };
      return () => {
        be.indexSelect(table, ids, out, spec);
        be.fill(dt, 0); // a fresh gradient, as the tensor layer allocates
        be.indexAdd(dy, ids, dt, spec);
      };
    },
  },
  {
    name: `AdamW step, ${(PARAMS / 1e6).toFixed(1)}M params`,
    key: "adamw",
    setup: (be) => {
      const p = filled(be, PARAMS, (i) => Math.sin(i));
      const g = filled(be, PARAMS, (i) => Math.cos(i));
      const [m, v] = [be.alloc("float32", PARAMS), be.alloc("float32", PARAMS)];
      let step = 0;
      return () => be.adamw([{ p, g, m, v }], { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1, step: ++step, decoupled: true });
    },
  },
];

export interface BenchTable {
  title: string;
  header: string[];
  rows: (string | number)[][];
}

/**
 * Times every workload on js, wasm 1T/2T, the native tier 1T/2T where it has the kernel, and
 * PyTorch 1T/2T; ratios are our best time / torch time (< 1: faster).
 */
export async function benchNn(): Promise<BenchTable> {
  const torch1 = torchTimes(1);
  const torch2 = torchTimes(2);
  const { addon, path } = loadNative();
  const one = createWasmBackend({ threads: 1 });
  const two = createWasmBackend({ threads: 2, spawn: spawnNodeWorker, native: addon ? path : undefined });
  const [nat1, nat2] = addon ? [withNative(one, addon), withNative(two, addon)] : [null, null];
  try {
    await two.ready();
    const rows = workloads.map(({ name, key, native, setup }) => {
      const js = timeit(setup(jsBackend));
      const w1 = timeit(setup(one));
      const w2 = timeit(setup(two));
      const n1 = native && nat1 ? timeit(setup(nat1)) : NaN;
      const n2 = native && nat2 ? timeit(setup(nat2)) : NaN;
      const t1 = torch1?.[`${key}@1`] ?? NaN;
      const t2 = torch2?.[`${key}@2`] ?? NaN;
      const best = (w: number, n: number) => (Number.isNaN(n) ? w : Math.min(w, n));
      return [name, js, w1, w2, n1, n2, t1, t2, js / w1, best(w1, n1) / t1, best(w2, n2) / t2];
    });
    return {
      title: `nn kernels, µs per call (wasm ${one.variant}; native AVX2 tier ${addon ? "built" : "missing"}; PyTorch eager ${torch1 ? "measured now" : "missing"}; ratio = our best / torch, < 1 is faster)`,
      header: ["workload", "js ref", "wasm 1T", "wasm 2T", "native 1T", "native 2T", "torch 1T", "torch 2T", "js/wasm 1T", "ratio 1T", "ratio 2T"],
      rows,
    };
  } finally {
    two.terminate();
  }
}

export function printTable({ title, header, rows }: BenchTable): void {
  const fmt = (c: string | number) => (typeof c === "string" ? c : !Number.isFinite(c) ? "—" : c >= 100 ? c.toFixed(0) : c >= 10 ? c.toFixed(1) : c.toFixed(2));
  const cells = [header, ...rows.map((r) => r.map(fmt))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  console.log(`\n${title}`);
  for (const [i, r] of cells.entries()) {
    console.log("| " + r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join(" | ") + " |");
    if (i === 0) console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) printTable(await benchNn());
