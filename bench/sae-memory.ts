// Memory over a long SAE run (issue #12: "the activation store holds a bounded number of
// activations whatever the corpus size; memory flat over a long run"): a TopK SAE trained from an
// ActivationStore on a nanoGPT-CPU-shaped model (4 layers, d_model 128, random weights) reading
// a corpus of random tokens, with the WebAssembly heap in use and the RSS every `every` steps.
import { backend, type WasmBackend } from "../src/backend/index.js";
import { HookedTransformer } from "../src/models/gpt/model.js";
import { manualSeed, randint } from "../src/index.js";
import { SparseAutoencoder } from "../src/sae/sae.js";
import { ActivationStore } from "../src/sae/store.js";
import { trainSae } from "../src/sae/train.js";

export function benchSaeMemory(steps = 2000, every = 250, corpusTokens = 4_000_000): { title: string; header: string[]; rows: (string | number)[][] } {
  manualSeed(0);
  const model = new HookedTransformer({ n_layers: 4, n_heads: 4, d_model: 128, n_ctx: 64, d_vocab: 65, seed: 1 });
  model.eval();
  const corpus = randint(0, 65, [corpusTokens]).dataSync() as Int32Array;
  const store = new ActivationStore(model, corpus, { hook: "blocks.2.hook_resid_post" });
  const sae = new SparseAutoencoder({ d_in: 128, d_sae: 2048, architecture: "topk", k: 32, seed: 2 });
  const heap = (backend() as Partial<WasmBackend>).heap;
  const rows: (string | number)[][] = [];
  const t0 = performance.now();
  trainSae(sae, store, {
    steps,
    batchSize: 1024,
    lr: 1e-3,
    logEvery: every,
    onLog: (m) => {
      if (m.step % every !== 0 && m.step !== steps) return;
      const mib = (b: number) => (b / 2 ** 20).toFixed(1);
      const mem = process.memoryUsage();
      rows.push([m.step, store.tokensSeen, heap ? mib(heap.bytesInUse) : "–", heap ? mib(heap.memory.buffer.byteLength) : "–", mib(mem.heapUsed), mib(mem.arrayBuffers), mib(mem.rss), ((performance.now() - t0) / Math.max(1, m.step)).toFixed(1)]);
    },
  });
  return {
    title: `memory over ${steps} TopK SAE steps (1024 activations each) read through an ActivationStore (buffer ${store.bufferSize} activations of d 128) from a ${corpusTokens / 1e6}M-token corpus`,
    header: ["step", "corpus tokens read", "wasm heap in use, MiB", "wasm memory size, MiB", "JS heap, MiB", "array buffers, MiB", "RSS, MiB", "ms/step so far"],
    rows,
  };
}
