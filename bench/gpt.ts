// The GPT issue's figures: milliseconds per training iteration of nanoGPT's shakespeare_char CPU
// recipe (4 layers, 4 heads, d_model 128, context 64, batch 12, AdamW, clipping) next to the
// same model in PyTorch eager measured in the same run; generation tokens/s with and without the
// KV cache; and memory over many steps (flat = no leak).
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { backend, type WasmBackend } from "../src/backend/index.js";
import { generate } from "../src/models/gpt/generate.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { Generator, manualSeed, randint, tidy } from "../src/index.js";
import { Trainer, NANOGPT_CPU_TRAIN } from "../src/train/trainer.js";
import { textBatches } from "../src/train/data.js";

export interface GptBenchResult {
  rows: (string | number)[][];
  notes: string[];
}

/** bench/torch_gpt.py (the same model in PyTorch eager) on `threads` threads: the median of `iters` iterations; null without PyTorch. */
export function torchGpt(threads: number, iters = 40): { msPerIter: number; genTokensPerSec: number } | null {
  try {
    const t = String(threads);
    const out = execFileSync(process.env.DGPT_PYTHON ?? "/usr/bin/python3", [fileURLToPath(new URL("./torch_gpt.py", import.meta.url)), JSON.stringify({ iters })], {
      encoding: "utf8",
      env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t },
    });
    return JSON.parse(out);
  } catch {
    return null;
  }
}

function nanogptModel(): HookedTransformer {
  return new HookedTransformer({ n_layers: 4, n_heads: 4, d_model: 128, n_ctx: 64, d_vocab: 65, act_fn: "gelu", tie_embeddings: true, use_bias: false, seed: 1337 });
}

/** The recipe's model and its Trainer (AdamW, clipping, batch 12 × 64) on random tokens. */
export function nanogptTrainer(): { model: HookedTransformer; trainer: Trainer } {
  manualSeed(0);
  const ids = randint(0, 65, [200_000]).dataSync() as Int32Array;
  const model = nanogptModel();
  return { model, trainer: new Trainer(model, textBatches(ids, { batchSize: 12, blockSize: 64 }), { ...NANOGPT_CPU_TRAIN, maxIters: 1_000_000 }) };
}

/** The median of `iters` training iterations after 5 of warm-up (PyTorch's side does the same): robust to the machine's other jobs. */
export function medianStepMs(trainer: Trainer, iters: number): number {
  for (let i = 0; i < 5; i++) trainer.trainStep();
  const times: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    trainer.trainStep();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[iters >> 1];
}

export function benchGpt(opts: { iters?: number; memorySteps?: number } = {}): GptBenchResult {
  const iters = opts.iters ?? 40;
  const { model, trainer } = nanogptTrainer();
  const ours = medianStepMs(trainer, iters);

  // generation: 100 new tokens from 1, with and without the cache
  const gen = (useCache: boolean) => {
    const t = performance.now();
    const n = generate(model, [0], { maxNewTokens: 100, useCache, generator: new Generator(1) }).length;
    return n / ((performance.now() - t) / 1000);
  };
  gen(true);
  const withCache = gen(true);
  const noCache = gen(false);

  // memory: bytes in use in the wasm heap and the process RSS over more steps
  const memorySteps = opts.memorySteps ?? 200;
  const heap = (backend() as Partial<WasmBackend>).heap;
  const rss0 = process.memoryUsage().rss;
  const inUse0 = heap?.bytesInUse ?? 0;
  let peakRss = rss0;
  for (let i = 0; i < memorySteps; i++) {
    tidy(() => trainer.trainStep());
    if (i % 20 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const inUse1 = heap?.bytesInUse ?? 0;
  const rss1 = process.memoryUsage().rss;

  const t1 = torchGpt(1, iters);
  const t2 = torchGpt(2, iters);
  const threads = (backend() as Partial<WasmBackend>).threads ?? 1;
  const rows: (string | number)[][] = [
    [`train iteration, ms (ours: ${backend().name}, ${threads} thread${threads > 1 ? "s" : ""})`, ours, t1?.msPerIter ?? NaN, t2?.msPerIter ?? NaN, ours / Math.min(t1?.msPerIter ?? NaN, t2?.msPerIter ?? NaN)],
    ["generate tokens/s, KV cache", withCache, NaN, NaN, NaN],
    ["generate tokens/s, no cache (nanoGPT's way)", noCache, t1?.genTokensPerSec ?? NaN, t2?.genTokensPerSec ?? NaN, (t1?.genTokensPerSec ?? NaN) / noCache],
  ];
  const notes = [
    `memory over ${memorySteps} more steps: wasm heap in use ${(inUse0 / 2 ** 20).toFixed(1)} → ${(inUse1 / 2 ** 20).toFixed(1)} MiB; RSS ${(rss0 / 2 ** 20).toFixed(0)} → ${(rss1 / 2 ** 20).toFixed(0)} MiB (peak ${(peakRss / 2 ** 20).toFixed(0)} MiB)`,
    t1 ? "ms: the median of 40 iterations; ratio = ours / best PyTorch (lower is better; < 1 means faster than PyTorch)" : "PyTorch not measured (install python3-torch and libopenblas0-pthread)",
  ];
  return { rows, notes };
}
