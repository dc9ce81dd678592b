// Memory over a long training run: the WebAssembly heap's bytes in use and the process RSS every
// 1000 steps of a small GPT (the issue asks for flat memory over 10,000 steps: no leak).
import { backend, type WasmBackend } from "../src/backend/index.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { manualSeed, randint } from "../src/index.js";
import { textBatches } from "../src/train/data.js";
import { NANOGPT_CPU_TRAIN, Trainer } from "../src/train/trainer.js";

export function benchMemory(steps = 10_000, every = 1000): { rows: (string | number)[][] } {
  manualSeed(0);
  const ids = randint(0, 65, [100_000]).dataSync() as Int32Array;
  const model = new HookedTransformer({ n_layers: 2, n_heads: 4, d_model: 64, n_ctx: 32, d_vocab: 65, seed: 1 });
  const trainer = new Trainer(model, textBatches(ids, { batchSize: 8, blockSize: 32 }), { ...NANOGPT_CPU_TRAIN, maxIters: steps, lrDecayIters: steps, blockSize: 32, batchSize: 8 });
  const heap = (backend() as Partial<WasmBackend>).heap;
  const rows: (string | number)[][] = [];
  const t0 = performance.now();
  for (let s = 1; s <= steps; s++) {
    trainer.trainStep();
    if (s % every === 0) {
      const rss = process.memoryUsage().rss / 2 ** 20;
      rows.push([s, heap ? heap.bytesInUse / 2 ** 20 : NaN, heap ? heap.memory.buffer.byteLength / 2 ** 20 : NaN, rss, (performance.now() - t0) / s]);
    }
  }
  return { rows };
}
