// Small GPTs for the cases, with every weight random and large enough to matter: at GPT-2's
// initial scale (std 0.02) every attention pattern is nearly uniform and every LayerNorm the
// identity, and mistakes such as a missing 1/√d_head or a forgotten LayerNorm weight would hide.
import { Generator, HookedTransformer, noGrad, randn, type GPTConfigInput } from "../index.js";

export type SmallConfig = Partial<GPTConfigInput>;

/** A HookedTransformer (eval mode) with random weights: matrices ~ N(0, 1/fan_in), biases ~ N(0, 0.2²), norm weights ~ 1 + N(0, 0.2²). */
export function randomGpt(seed: number, cfg: SmallConfig = {}): HookedTransformer {
  const model = new HookedTransformer({ n_layers: 1, d_model: 16, n_heads: 4, d_vocab: 11, n_ctx: 16, seed, ...cfg }).eval();
  const g = new Generator(seed);
  noGrad(() => {
    for (const [name, p] of model.namedParameters()) {
      const leaf = name.slice(name.lastIndexOf(".") + 1);
      const noise = randn(p.shape, { generator: g });
      if (leaf === "w") p.copy_(noise.mul(0.2).add(1)); // LayerNorm weights
      else if (leaf.startsWith("b")) p.copy_(noise.mul(0.2));
      else if (leaf === "W_E" || leaf === "W_pos") p.copy_(noise);
      else p.copy_(noise.div(Math.sqrt(p.shape[p.ndim - 2])));
    }
  });
  return model;
}

/** Whether any hook is still attached to the model (a function must remove the hooks it adds). */
export function hooksLeft(model: HookedTransformer): string[] {
  return [...model.hookPoints()].filter(([, hp]) => hp.hasHooks).map(([name]) => name);
}
