// Issue 6's patching figures: the runtime of full activation-patching sweeps on nanoGPT's
// shakespeare_char CPU model (4 layers, 4 heads, d_model 128, context 64, vocabulary 65), one
// clean / corrupted pair of 64 tokens, logit-difference metric. Each sweep runs its patches
// batched (several patched copies of the prompt in one forward) and, for comparison, one forward
// per patch (batchSize 1); attribution patching estimates all of them from one forward and
// backward pass.
import { HookedTransformer } from "../src/models/gpt/model.js";
import { attributionPatching, patchHeadsAllPos, patchHeadsByPos, patchResidPre } from "../src/interp/patching.js";
import { logitDiffMetric } from "../src/interp/patching-core.js";
import { Generator, noGrad, tidy } from "../src/index.js";
import { timeit } from "./timing.js";

const timeMs = (fn: () => void, minMs = 200) => timeit(fn, minMs, 64);

export interface PatchingBenchResult {
  /** header: sweep, patches, ms total, ms / patch, × one forward */
  header: string[];
  rows: (string | number)[][];
  notes: string[];
}


export function benchPatching(opts: { quick?: boolean } = {}): PatchingBenchResult {
  const model = new HookedTransformer({ n_layers: 4, n_heads: 4, d_model: 128, n_ctx: 64, d_vocab: 65, act_fn: "gelu", tie_embeddings: true, use_bias: false, seed: 1337 });
  model.eval();
  const gen = new Generator(0);
  const clean = Array.from({ length: 64 }, () => gen.randint(0, 65));
  const corrupted = [...clean];
  corrupted[20] = (clean[20] + 1) % 65;
  corrupted[40] = (clean[40] + 7) % 65;
  const metric = logitDiffMetric(clean[63], corrupted[63]);
  const pair = { clean: [clean], corrupted: [corrupted], metric };
  const forward = timeMs(() => tidy(() => noGrad(() => void model.forward([clean]))));
  const rows: (string | number)[][] = [];
  const add = (name: string, patches: number, ms: number) => rows.push([name, patches, ms, ms / patches, ms / forward]);
  rows.push(["one forward (1 × 64 tokens)", 1, forward, forward, 1]);
  add("resid_pre, layer × position, batched", 4 * 64, timeMs(() => void patchResidPre(model, pair), 1));
  if (!opts.quick) add("resid_pre, layer × position, 1 forward / patch", 4 * 64, timeMs(() => void patchResidPre(model, { ...pair, batchSize: 1 }), 1));
  add("head outputs (hook_z), layer × head", 16, timeMs(() => void patchHeadsAllPos(model, pair), 1));
  add("head outputs, layer × position × head, batched", 4 * 64 * 4, timeMs(() => void patchHeadsByPos(model, pair), 1));
  add("attribution patching, resid_pre (estimate)", 4 * 64, timeMs(() => void attributionPatching(model, { ...pair, component: "resid_pre" }), 1));
  return {
    header: ["sweep", "patches", "ms total", "ms / patch", "× one forward"],
    rows,
    notes: ["Clean and corrupted caches are included in each sweep's time (two extra forwards). Batched sweeps stack up to 64 patched copies per forward (fewer when logits would pass ~16M floats)."],
  };
}
