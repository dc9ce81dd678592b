// Where a training step's time goes: every kernel call of the backend timed during steps of
// nanoGPT's shakespeare_char CPU recipe, summed per kernel (and per matmul shape: m×k×n, A'/B'
// for a transposed operand), as ms per step. What is left is JavaScript: autograd, the tensor
// layer, the optimizer loop. `npm run bench -- profile` (only when named).
import { backend, setBackend, type Backend, type MatmulSpec } from "../src/backend/index.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { manualSeed, randint } from "../src/index.js";
import { textBatches } from "../src/train/data.js";
import { NANOGPT_CPU_TRAIN, Trainer } from "../src/train/trainer.js";

type Kernel = (...args: unknown[]) => unknown;

/** The active backend with each kernel wrapped in a timer; `record` turns timing on and off. */
function timedBackend(be: Backend): { backend: Backend; times: Map<string, { ms: number; calls: number }>; record: (on: boolean) => void } {
  const times = new Map<string, { ms: number; calls: number }>();
  let on = false;
  const wrapped: Record<string, unknown> = { ...be };
  for (const [key, value] of Object.entries(be)) {
    if (typeof value !== "function" || key === "alloc" || key === "read") continue;
    const f = value as Kernel;
    wrapped[key] = (...args: unknown[]) => {
      if (!on) return f(...args);
      const t0 = performance.now();
      const result = f(...args);
      const ms = performance.now() - t0;
      let name = key;
      if (key === "matmul") {
        const s = args[3] as MatmulSpec;
        name = `matmul ${s.batchShape.length ? `${s.batchShape.join("×")} × ` : ""}${s.m}×${s.k}×${s.n}${s.transA ? " A'" : ""}${s.transB ? " B'" : ""}`;
      } else if (key === "unary" || key === "binary") name = `${key} ${String(args[0])}`;
      const e = times.get(name) ?? { ms: 0, calls: 0 };
      e.ms += ms;
      e.calls++;
      times.set(name, e);
      return result;
    };
  }
  return { backend: wrapped as unknown as Backend, times, record: (x) => (on = x) };
}

export function benchProfile(steps = 30): { rows: (string | number)[][]; notes: string[] } {
  const original = backend();
  const { backend: timed, times, record } = timedBackend(original);
  setBackend(timed);
  try {
    manualSeed(0);
    const ids = randint(0, 65, [200_000]).dataSync() as Int32Array;
    const model = new HookedTransformer({ n_layers: 4, n_heads: 4, d_model: 128, n_ctx: 64, d_vocab: 65, act_fn: "gelu", tie_embeddings: true, use_bias: false, seed: 1337 });
    const trainer = new Trainer(model, textBatches(ids, { batchSize: 12, blockSize: 64 }), { ...NANOGPT_CPU_TRAIN, maxIters: 1_000_000 });
    for (let i = 0; i < 5; i++) trainer.trainStep();
    record(true);
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) trainer.trainStep();
    const total = (performance.now() - t0) / steps;
    record(false);
    const sorted = [...times].sort((a, b) => b[1].ms - a[1].ms);
    const inKernels = sorted.reduce((s, [, v]) => s + v.ms, 0) / steps;
    const rows: (string | number)[][] = sorted.slice(0, 25).map(([name, v]) => [name, v.calls / steps, v.ms / steps, (100 * v.ms) / steps / total]);
    rows.push(["(all kernels)", NaN, inKernels, (100 * inKernels) / total]);
    rows.push(["(JavaScript outside kernels)", NaN, total - inKernels, (100 * (total - inKernels)) / total]);
    return { rows, notes: [`${total.toFixed(1)} ms per step with the timers on (backend ${original.name}); kernel times include their thread dispatch`] };
  } finally {
    setBackend(original);
  }
}
