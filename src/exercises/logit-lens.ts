// Exercise logit-lens: read every layer's residual stream through the model's own unembedding.
import { lensLogits, type HookedTransformer, type Tensor } from "../index.js";
import type { CaseContext } from "./check.js";
import { ints, seeded } from "./inputs.js";
import { hooksLeft, randomGpt, type SmallConfig } from "./models.js";
import type { Exercise } from "./types.js";

export type LogitLens = (model: HookedTransformer, tokens: number[]) => Tensor;

/** The library's logit lens (lensLogits over a runWithCache cache), without the batch dimension. */
function reference(model: HookedTransformer, tokens: number[]): Tensor {
  const names = [...model.blocks.map((_, l) => `blocks.${l}.hook_resid_pre`), `blocks.${model.cfg.n_layers - 1}.hook_resid_post`];
  const { cache } = model.runWithCache([tokens], { namesFilter: names });
  return lensLogits(model, cache).select(1, 0);
}

function lens(fn: LogitLens, t: CaseContext, seed: number, cfg: SmallConfig, length: number): { got: Tensor; model: HookedTransformer; tokens: number[] } {
  const model = t.input("model", randomGpt(seed, cfg));
  const tokens = t.input("tokens", ints(seeded(seed + 1), length, model.cfg.d_vocab));
  const { n_layers, d_vocab } = model.cfg;
  const got = t.tensor(t.call(() => fn(model, [...tokens])), "the lens logits", { shape: [n_layers + 1, length, d_vocab] });
  return { got, model, tokens };
}

export const logitLens: Exercise<LogitLens> = {
  name: "logit-lens",
  unit: "4. Interpretability",
  title: "the logit lens: every layer's residual stream read as logits",
  exportName: "logitLens",
  imports: 'import { type HookedTransformer, type Tensor } from "decoding-gpt";',
  signature: "export function logitLens(model: HookedTransformer, tokens: number[]): Tensor",
  doc: `
The logit lens (nostalgebraist 2020): what each layer's residual stream would predict if the
model stopped there.

For l = 0 … n_layers − 1 take blocks.l.hook_resid_pre, and last the final residual stream
blocks.(n_layers − 1).hook_resid_post; read each one as the model reads its last:

  logits_l = unembed(ln_final(resid_l))       model.ln_final (null in a model without
                                              LayerNorm: skip it), model.unembed

Return a tensor (n_layers + 1, pos, d_vocab): row l for layer l; the last row equals the model's
own logits. tokens is one sequence. Use model.runWithCache([tokens], …) (its cache.get(name) is
(1, pos, d_model)), and leave no hook attached to the model.

Example: for a 2-layer model and 5 tokens the result is (3, 5, d_vocab), and
  result[2] equals model.forward([tokens])[0].
`,
  reference,
  cases: [
    {
      name: "shape: (n_layers + 1, pos, d_vocab), and the last row is the model's logits",
      run(fn, t) {
        const { got, model, tokens } = lens(fn, t, 1, { n_layers: 2 }, 5);
        t.close(got.select(0, 2), model.forward([tokens]).select(0, 0), "the last row", { atol: 1e-4, rtol: 1e-4 });
      },
    },
    {
      name: "matches the library's lensLogits on a random 3-layer model",
      run(fn, t) {
        const { got, model, tokens } = lens(fn, t, 3, { n_layers: 3 }, 6);
        t.close(got, reference(model, tokens), "the lens logits", { atol: 1e-4, rtol: 1e-4 });
      },
    },
    {
      name: "a sequence of length 1",
      run(fn, t) {
        const { got, model, tokens } = lens(fn, t, 5, { n_layers: 2 }, 1);
        t.close(got, reference(model, tokens), "the lens logits", { atol: 1e-4, rtol: 1e-4 });
      },
    },
    {
      name: "a model without LayerNorm (ln_final is null)",
      run(fn, t) {
        const { got, model, tokens } = lens(fn, t, 7, { n_layers: 2, normalization_type: null }, 4);
        t.close(got, reference(model, tokens), "the lens logits", { atol: 1e-4, rtol: 1e-4 });
      },
    },
    {
      name: "leaves no hook attached and the model unchanged",
      run(fn, t) {
        const { model, tokens } = lens(fn, t, 9, { n_layers: 2 }, 4);
        const left = hooksLeft(model);
        if (left.length > 0) t.fail(`hooks are still attached after the call, at ${left.join(", ")}: remove every hook you add (runWithCache and runWithHooks do it for you)`);
        t.close(model.forward([tokens]), randomGpt(9, { n_layers: 2 }).forward([tokens]), "the model's logits after the call", { atol: 1e-6 });
      },
    },
  ],
};
