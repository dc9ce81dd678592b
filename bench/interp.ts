// The interpretability issue's speed claim: runWithCache on the nanoGPT CPU model (4 layers, 4
// heads, d_model 128, context 64, vocabulary 65) over 64 × 64 tokens costs at most 1.3× a plain
// forward pass. Both run under noGrad (runWithCache records no tape by default) inside tidy, so
// each repetition frees what it made. Rows: [what, ms, × plain forward].
import { HookedTransformer } from "../src/models/gpt/model.js";
import { manualSeed, noGrad, randint, tidy } from "../src/index.js";

export interface InterpBenchResult {
  rows: (string | number)[][];
  notes: string[];
}

/** Median milliseconds of `reps` runs after one warm-up. */
function time(fn: () => void, reps: number): number {
  fn();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return ms.sort((a, b) => a - b)[Math.floor(reps / 2)];
}

export function benchInterp(opts: { reps?: number } = {}): InterpBenchResult {
  const reps = opts.reps ?? 9;
  manualSeed(0);
  const model = new HookedTransformer({ n_layers: 4, n_heads: 4, d_model: 128, n_ctx: 64, d_vocab: 65, act_fn: "gelu", tie_embeddings: true, use_bias: false, seed: 1337 });
  model.eval();
  const tokens = randint(0, 65, [64, 64], { dtype: "int32" });
  let cachedBytes = 0;
  const forward = time(() => tidy(() => void noGrad(() => model.forward(tokens))), reps);
  const full = time(
    () =>
      tidy(() => {
        const { cache } = model.runWithCache(tokens);
        cachedBytes = [...cache.values()].reduce((s, t) => s + t.numel() * 4, 0);
      }),
    reps,
  );
  const residOnly = time(() => tidy(() => void model.runWithCache(tokens, { namesFilter: (n) => n.includes("hook_resid_") })), reps);
  const withGrads = time(() => tidy(() => void model.runWithCache(tokens, { inclGradients: true, namesFilter: (n) => n.includes("hook_resid_") })), Math.max(3, Math.floor(reps / 3)));
  return {
    rows: [
      ["plain forward (noGrad)", forward, 1],
      ["runWithCache, every hook (default)", full, full / forward],
      ["runWithCache, resid_pre/mid/post only", residOnly, residOnly / forward],
      ["runWithCache, resid only + inclGradients", withGrads, withGrads / forward],
    ],
    notes: [`64 × 64 tokens; the full cache holds ${(cachedBytes / 2 ** 20).toFixed(0)} MiB of activations; target: runWithCache ≤ 1.3× a plain forward`],
  };
}

// `node --import tsx bench/interp.ts` prints the table on its own
if (import.meta.url === `file://${process.argv[1]}`) {
  await import("../src/node.js");
  const { rows, notes } = benchInterp();
  for (const r of rows) console.log(`${String(r[0]).padEnd(44)} ${Number(r[1]).toFixed(1).padStart(8)} ms ${Number(r[2]).toFixed(2).padStart(6)}×`);
  for (const n of notes) console.log(n);
}
