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

/** Median milliseconds of each function over `reps` rounds, the functions interleaved in every round (after one warm-up round) so load and GC affect them alike. */
function timeInterleaved(fns: (() => void)[], reps: number): number[] {
  for (const fn of fns) fn();
  const ms: number[][] = fns.map(() => []);
  for (let r = 0; r < reps; r++) {
    fns.forEach((fn, i) => {
      const t0 = performance.now();
      fn();
      ms[i].push(performance.now() - t0);
    });
  }
  return ms.map((m) => m.sort((a, b) => a - b)[Math.floor(reps / 2)]);
}

export function benchInterp(opts: { reps?: number } = {}): InterpBenchResult {
  const reps = opts.reps ?? 11;
  manualSeed(0);
  const model = new HookedTransformer({ n_layers: 4, n_heads: 4, d_model: 128, n_ctx: 64, d_vocab: 65, act_fn: "gelu", tie_embeddings: true, use_bias: false, seed: 1337 });
  model.eval();
  const tokens = randint(0, 65, [64, 64], { dtype: "int32" });
  let cachedBytes = 0;
  const [forward, full, residOnly, withGrads] = timeInterleaved(
    [
      () => tidy(() => void noGrad(() => model.forward(tokens))),
      () =>
        tidy(() => {
          const { cache } = model.runWithCache(tokens);
          cachedBytes = [...cache.values()].reduce((s, t) => s + t.numel() * 4, 0);
        }),
      () => tidy(() => void model.runWithCache(tokens, { namesFilter: (n) => n.includes("hook_resid_") })),
      () => tidy(() => void model.runWithCache(tokens, { inclGradients: true, namesFilter: (n) => n.includes("hook_resid_") })),
    ],
    reps,
  );
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
