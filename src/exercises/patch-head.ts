// Exercise patch-head: activation patching of one attention head's output (hook_z).
import { getActName, interp, type HookedTransformer, type Tensor } from "../index.js";
import type { CaseContext } from "./check.js";
import { ints, seeded } from "./inputs.js";
import { hooksLeft, randomGpt } from "./models.js";
import type { Exercise } from "./types.js";

export type Metric = (logits: Tensor) => number;
export type PatchHead = (model: HookedTransformer, clean: number[], corrupted: number[], layer: number, head: number, metric: Metric) => number;

/** The library's activation patching of one location: hook_z of `layer`, head `head`, every position. */
function reference(model: HookedTransformer, clean: number[], corrupted: number[], layer: number, head: number, metric: Metric): number {
  const locations = [{ name: getActName("z", layer), select: { head } }];
  return interp.activationPatching(model, { clean: [clean], corrupted: [corrupted], metric, locations }).values[0];
}

/** The logit difference between two tokens at the last position of the first prompt. */
function logitDiff(a: number, b: number): Metric {
  const metric = (logits: Tensor) => {
    const last = logits.select(0, 0).select(0, logits.shape[1] - 1).dataSync();
    return last[a] - last[b];
  };
  return Object.assign(metric, { describe: () => `logits → logits[0, -1, ${a}] − logits[0, -1, ${b}]` });
}

/** A clean prompt and a corrupted one that differs at two positions. */
function prompts(seed: number, length: number, vocab: number): { clean: number[]; corrupted: number[] } {
  const g = seeded(seed);
  const clean = ints(g, length, vocab);
  const corrupted = [...clean];
  for (const i of [0, Math.floor(length / 2)]) corrupted[i] = (clean[i] + 1 + g.randint(0, vocab - 1)) % vocab;
  return { clean, corrupted };
}

function patch(fn: PatchHead, t: CaseContext, model: HookedTransformer, clean: number[], corrupted: number[], layer: number, head: number, metric: Metric): number {
  t.input("clean", clean);
  t.input("corrupted", corrupted);
  t.input("layer", layer);
  t.input("head", head);
  t.input("metric", (metric as Metric & { describe: () => string }).describe());
  return t.number(t.call(() => fn(model, [...clean], [...corrupted], layer, head, metric)), "the patched metric");
}

const twoLayers = (seed: number) => randomGpt(seed, { n_layers: 2, d_model: 16, n_heads: 4, d_vocab: 11 });

export const patchHead: Exercise<PatchHead> = {
  name: "patch-head",
  unit: "4. Interpretability",
  title: "activation patching of one attention head's output",
  exportName: "patchHead",
  imports: 'import { type HookedTransformer, type Tensor } from "decoding-gpt";',
  signature: "export function patchHead(model: HookedTransformer, clean: number[], corrupted: number[], layer: number, head: number, metric: (logits: Tensor) => number): number",
  doc: `
Activation patching ("denoising") of one attention head's output: how much of the clean
behaviour comes back when only this head sees the clean prompt?

  1. run the clean prompt and keep blocks.{layer}.attn.hook_z, shape (batch, pos, head, d_head);
  2. run the corrupted prompt with a hook on the same hook point that returns the activation
     with head \`head\`'s slice z[:, :, head, :] (every position) replaced by its clean value,
     every other head left as it is;
  3. return metric(logits of that patched run).

clean and corrupted are two prompts of the same length. Use model.runWithCache([clean], …) and
model.runWithHooks([corrupted], { fwdHooks: [[name, (z) => replacement]] }), and leave no hook
attached. getActName("z", layer) gives the hook's name.

Example: with clean = corrupted the patch changes nothing, and the result is
  metric(model.forward([clean])).
`,
  reference,
  cases: [
    {
      name: "returns a number; clean = corrupted gives the unpatched metric",
      run(fn, t) {
        const model = t.input("model", twoLayers(1));
        const { clean } = prompts(2, 6, 11);
        const metric = logitDiff(3, 4);
        const got = patch(fn, t, model, clean, clean, 1, 2, metric);
        t.close(got, metric(model.forward([clean])), "the patched metric", { atol: 1e-4, rtol: 1e-4 });
      },
    },
    {
      name: "matches the library's activationPatching (every head of a 2-layer model)",
      run(fn, t) {
        const model = t.input("model", twoLayers(3));
        const { clean, corrupted } = prompts(4, 6, 11);
        const metric = logitDiff(1, 7);
        for (let layer = 0; layer < 2; layer++) {
          for (let head = 0; head < 4; head++) {
            const got = patch(fn, t, model, clean, corrupted, layer, head, metric);
            t.close(got, reference(model, clean, corrupted, layer, head, metric), `the patched metric (layer ${layer}, head ${head})`, { atol: 1e-4, rtol: 1e-4 });
          }
        }
      },
    },
    {
      name: "a prompt of length 1",
      run(fn, t) {
        const model = t.input("model", twoLayers(5));
        const metric = logitDiff(0, 2);
        t.close(patch(fn, t, model, [3], [8], 0, 1, metric), reference(model, [3], [8], 0, 1, metric), "the patched metric", { atol: 1e-4, rtol: 1e-4 });
      },
    },
    {
      name: "leaves no hook attached and the model unchanged",
      run(fn, t) {
        const model = t.input("model", twoLayers(6));
        const { clean, corrupted } = prompts(7, 5, 11);
        patch(fn, t, model, clean, corrupted, 1, 0, logitDiff(2, 5));
        const left = hooksLeft(model);
        if (left.length > 0) t.fail(`hooks are still attached after the call, at ${left.join(", ")}: runWithHooks removes its hooks for you`);
        t.close(model.forward([corrupted]), twoLayers(6).forward([corrupted]), "the model's logits after the call", { atol: 1e-6 });
      },
    },
  ],
};
