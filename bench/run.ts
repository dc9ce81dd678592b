// `npm run bench`: the speed claims of decoding-gpt, each next to PyTorch measured in the same
// run on the same machine (Debian's python3-torch; skipped with a note if it is missing).
import { timeit } from "./timing.js";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createWasmBackend, jsBackend, type Backend, type MatmulSpec } from "../src/backend/index.js";
import { spawnNodeWorker } from "../src/backend/wasm/threads.node.js";
import { loadNative, withNativeMatmul } from "../src/backend/native/native.node.js";
import "../src/node.js"; // the Node entry: relaxed SIMD and all cores for the default backend
import { benchElementwise, formatElementwise } from "./elementwise.js";
import { benchGpt } from "./gpt.js";
import { benchGpt2 } from "./gpt2.js";
import { benchSae } from "./sae.js";
import { benchSaeMemory } from "./sae-memory.js";
import { benchInterp } from "./interp.js";
import { benchPatching } from "./patching.js";
import { benchMemory } from "./memory.js";
import { benchProfile } from "./profile.js";
import { benchNn, printTable as printNnTable } from "./nn.js";
import { benchAlign, benchDpo } from "./align.js";
import { benchOverhead } from "./overhead.js";
import { benchServe, serveOptions, SERVE_VALUE_FLAGS } from "./serve.js";
import { benchLab } from "./lab.js";

const PYTHON = process.env.DGPT_PYTHON ?? "/usr/bin/python3";


/**
 * Runs bench/torch_bench.py with PyTorch limited to `threads` threads: torch.set_num_threads alone
 * does not bind OpenBLAS's own pool, so the environment sets both.
 */
function torchResults(spec: object, threads: number): Record<string, Record<string, number>> | null {
  try {
    const t = String(threads);
    const out = execFileSync(PYTHON, [fileURLToPath(new URL("./torch_bench.py", import.meta.url)), JSON.stringify(spec)], { encoding: "utf8", env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t } });
    return JSON.parse(out);
  } catch (err) {
    console.log(`(PyTorch not measured: ${(err as Error).message.split("\n")[0]}; install python3-torch and libopenblas0-pthread)`);
    return null;
  }
}

function table(title: string, header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === "number" ? (Number.isFinite(c) ? c.toFixed(c >= 100 ? 0 : 1) : "—") : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  console.log(`\n${title}`);
  for (const [i, r] of cells.entries()) {
    console.log("| " + r.map((c, j) => String(c).padStart(widths[j])).join(" | ") + " |");
    if (i === 0) console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  }
}

function matmulGflops(be: Backend, batch: number, m: number, k: number, n: number): number {
  const A = be.alloc("float32", batch * m * k);
  const B = be.alloc("float32", batch * k * n);
  const C = be.alloc("float32", batch * m * n);
  (be.read(A) as Float32Array).forEach((_, i, a) => (a[i] = Math.sin(i)));
  (be.read(B) as Float32Array).forEach((_, i, a) => (a[i] = Math.cos(i)));
  const spec: MatmulSpec = { batchShape: batch > 1 ? [batch] : [], aBatchStrides: batch > 1 ? [m * k] : [], bBatchStrides: batch > 1 ? [k * n] : [], m, k, n, transA: false, transB: false };
  const ms = timeit(() => be.matmul(A, B, C, spec), be === jsBackend ? 100 : 300);
  return (2 * batch * m * k * n) / ms / 1e6;
}

/**
 * `npm run bench -- gpt` runs only the named sections (all by default): matmul, elementwise, nn,
 * tokenize, ngram, interp, patching, gpt, sae, align, overhead; `memory` (10,000 steps), `sae-memory` (a long SAE run
 * from the activation store), `profile` (a training
 * step's time per kernel), `gpt2` (GPT-2 small against PyTorch), `serve` (`dgpt serve` under
 * concurrent load; its flags in bench/serve.ts) and `lab` (the in-browser lab in headless Chromium
 * against Node and PyTorch; `--quick` for fewer steps) only when named.
 */
const args = process.argv.slice(2);
// section names: the arguments that are not flags nor a flag's value (`serve --models gpt2` is not the gpt2 section)
const names = args.filter((a, i) => !a.startsWith("--") && !SERVE_VALUE_FLAGS.includes(args[i - 1]));
const only = (name: string) => names.length === 0 || names.includes(name);

async function main(): Promise<void> {
  if (only("matmul")) await benchMatmul();
  if (only("elementwise")) {
    const { variant, rows } = await benchElementwise();
    console.log("\n" + formatElementwise(variant, rows));
  }
  if (only("nn")) {
    console.log("");
    printNnTable(await benchNn());
  }
  // these two print their own tables when imported
  if (only("tokenize")) {
    console.log("");
    await import("./tokenize.js");
  }
  if (only("ngram")) {
    console.log("");
    await import("./ngram.js");
  }
  if (names.includes("memory")) {
    // opt-in (a few minutes): 10,000 training steps of a small GPT
    const steps = Number(process.env.DGPT_MEMORY_STEPS ?? 10_000);
    table(`memory over ${steps} training steps of a small GPT (2 layers, d 64, batch 8 × 32)`, ["step", "wasm heap in use, MiB", "wasm memory size, MiB", "RSS, MiB", "ms/step so far"], benchMemory(steps).rows);
  }
  if (names.includes("gpt2")) {
    // opt-in (a few minutes): GPT-2 small forward, generation and loading, each in a fresh process
    for (const t of benchGpt2()) table(t.title, t.header, t.rows);
  }
  if (only("sae")) {
    const r = benchSae();
    table(`SAE training steps, d_in 128 → d_sae 2048, 4096 activations per step (random activations); speed-up = best PyTorch ms / ours`, r.header, r.rows);
  }
  if (names.includes("sae-memory")) {
    // opt-in (a few minutes): a long SAE run from the activation store
    const t = benchSaeMemory(Number(process.env.DGPT_SAE_MEMORY_STEPS ?? 2000));
    table(t.title, t.header, t.rows);
  }
  if (names.includes("profile")) {
    const p = benchProfile();
    table("Where a nanoGPT-recipe training step's time goes (kernel calls timed one by one)", ["kernel", "calls / step", "ms / step", "% of step"], p.rows);
    for (const n of p.notes) console.log(n);
  }
  if (only("interp")) {
    const r = benchInterp();
    table("runWithCache vs forward (nanoGPT CPU model, 64×64 tokens)", ["", "ms", "× forward"], r.rows);
    for (const n of r.notes) console.log(n);
  }
  if (only("patching")) {
    const p = benchPatching();
    table("Activation patching sweeps, nanoGPT CPU model (4L, 4H, d 128, ctx 64)", p.header, p.rows);
    for (const n of p.notes) console.log(n);
  }
  if (only("align")) {
    const d = benchDpo();
    table(d.title, d.header, d.rows);
    const a = benchAlign();
    table(a.title, a.header, a.rows);
  }
  if (only("overhead")) {
    const o = await benchOverhead();
    table(o.title, o.header, o.rows);
    for (const n of o.notes) console.log(n);
  }
  if (names.includes("serve")) {
    // opt-in (minutes; the GPT-2 shape is slow on a laptop): `dgpt serve` under concurrent load, next to PyTorch
    for (const t of await benchServe(serveOptions(args))) {
      table(t.title, t.header, t.rows);
      for (const n of t.notes) console.log(n);
    }
  }
  if (names.includes("lab")) {
    // opt-in (about a minute; needs Chromium): the lab's training step, first paint and toy model
    const l = await benchLab({ quick: args.includes("--quick") });
    table(l.title, l.header, l.rows);
    for (const n of l.notes) console.log(n);
  }
  if (only("gpt")) {
    const g = benchGpt();
    table("GPT, nanoGPT shakespeare_char CPU recipe (4L, 4H, d 128, ctx 64, batch 12)", ["", "ours", "torch 1T", "torch 2T", "ratio"], g.rows);
    for (const n of g.notes) console.log(n);
  }
}

async function benchMatmul(): Promise<void> {
  const shapes: [number, number, number, number][] = [[1, 64, 64, 64], [1, 128, 128, 128], [1, 256, 256, 256], [1, 768, 128, 512], [48, 64, 32, 64], [1, 512, 512, 512], [1, 1024, 1024, 1024]];
  const torch1 = torchResults({ matmul: { shapes, threads: [1] } }, 1);
  const torch2 = torchResults({ matmul: { shapes, threads: [2] } }, 2);
  const torch = torch1 && torch2 ? { matmul: { ...torch1.matmul, ...torch2.matmul } } : null;
  const { addon, path, reason } = loadNative();
  const one = createWasmBackend({ threads: 1 });
  const two = createWasmBackend({ threads: 2, spawn: spawnNodeWorker, native: addon ? path : undefined });
  await two.ready();
  const nat1 = addon ? { ...one, matmul: withNativeMatmul(one, addon) } : null;
  const nat2 = addon ? { ...two, matmul: withNativeMatmul(two, addon) } : null;
  if (!addon) console.log(`(native tier: ${reason})`);
  const rows = shapes.map(([b, m, k, n]) => {
    const name = b > 1 ? `${b} × (${m}×${k}·${k}×${n})` : m === k && k === n ? `${m}²` : `${m}×${k}·${k}×${n}`;
    const js = m * k * n <= 256 ** 3 ? matmulGflops(jsBackend, b, m, k, n) : NaN;
    const w1 = matmulGflops(one, b, m, k, n);
    const w2 = matmulGflops(two, b, m, k, n);
    const key = `${b}x${m}x${k}x${n}`;
    const t1 = torch?.matmul[`${key}@1`] ?? NaN;
    const t2 = torch?.matmul[`${key}@2`] ?? NaN;
    const n1 = nat1 ? matmulGflops(nat1, b, m, k, n) : NaN;
    const n2 = nat2 ? matmulGflops(nat2, b, m, k, n) : NaN;
    const best1 = Math.max(w1, Number.isNaN(n1) ? 0 : n1);
    const best2 = Math.max(w2, Number.isNaN(n2) ? 0 : n2);
    return [name, js, w1, w2, n1, n2, t1, t2, best1 / t1, best2 / t2];
  });
  table(`fp32 matmul, GFLOP/s (wasm ${one.variant}; native AVX2 tier ${addon ? "built" : "missing"}; PyTorch ${torch ? "measured now" : "missing"}); ratio = our best / PyTorch`, ["shape", "js ref", "wasm 1T", "wasm 2T", "native 1T", "native 2T", "torch 1T", "torch 2T", "ratio 1T", "ratio 2T"], rows);
  console.log(`thread-pool dispatch: ${two.dispatchOverheadUs().toFixed(1)} µs to run an empty job on ${two.threads} threads and wait for all (median machine noise applies)`);
  two.terminate();
}

await main();
