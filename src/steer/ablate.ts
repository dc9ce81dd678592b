// Directional ablation (Arditi et al. 2024, "Refusal in language models is mediated by a single
// direction"): remove one direction r̂ (‖r̂‖ = 1) from the residual stream everywhere, so no layer
// can read or write along it. Two ways, which compute the same function:
//
//   hooks     project r̂ out of everything that writes into the residual stream, and out of each
//             block's input:
//               x ← x − (x·r̂) r̂
//             at hook_embed, hook_pos_embed, and for every block blocks.L.hook_resid_pre,
//             blocks.L.hook_attn_out, blocks.L.hook_mlp_out. The stream is a sum of these writes,
//             so it then has no r̂ component anywhere.
//   weights   make every writing matrix unable to write along r̂ (weight orthogonalisation):
//               W ← W − (W r̂) r̂ᵀ     for W_E, W_pos, W_O[h] and W_out (rows in d_model),
//               b ← b − (b·r̂) r̂      for b_O and b_out
//             (the paper writes W_out ← W_out − r̂ r̂ᵀ W_out for PyTorch's (d_out, d_in) layout;
//             TransformerLens stores the d_model axis last). Tied embeddings are untied first:
//             the unembedding reads the stream and must keep W_E as it was.
// Each write x W becomes x W − (x W r̂) r̂ᵀ, its projection: so the two give the same logits, and the
// weights version needs no hooks at generation time.
import { type HookFn, markScopeSafe } from "../models/gpt/hooks.js";
import { type HookSpec, HookedTransformer } from "../models/gpt/model.js";
import { withoutInit } from "../nn/init.js";
import { noGrad } from "../tensor/autograd.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { unitDirection } from "./vectors.js";

/** Remove the direction from every residual write (see the header). */
export interface DirectionalAblation {
  kind: "ablate";
  /** r (d_model); it is normalised to r̂ = r / ‖r‖. */
  direction: Tensor;
}

/** x − (x·r̂) r̂ along the last axis. */
export function projectOut(x: Tensor, rHat: Tensor): Tensor {
  const d = rHat.shape[0];
  return x.sub(x.matmul(rHat.reshape(d, 1)).mul(rHat)); // (…, 1) · (d) → (…, d)
}

/** The hook names directional ablation edits: every write into the residual stream, and each block's input. */
export function ablationHookNames(model: HookedTransformer): string[] {
  const names = ["hook_embed", "hook_pos_embed"];
  for (let l = 0; l < model.cfg.n_layers; l++) names.push(`blocks.${l}.hook_resid_pre`, `blocks.${l}.hook_attn_out`, ...(model.cfg.attn_only ? [] : [`blocks.${l}.hook_mlp_out`]));
  return names;
}

function checkDirection(model: HookedTransformer, r: Tensor): Tensor {
  const d = model.cfg.d_model;
  if (r.ndim !== 1 || r.shape[0] !== d) throw new Error(`directional ablation: the direction must be a vector of d_model = ${d} numbers, got shape [${r.shape}]`);
  return unitDirection(r);
}

/** The hooks of a directional ablation. */
export function ablationHooks(model: HookedTransformer, ablation: DirectionalAblation): HookSpec[] {
  const rHat = checkDirection(model, ablation.direction);
  const hook: HookFn = markScopeSafe((x: Tensor) => projectOut(x, rHat));
  return ablationHookNames(model).map((name): HookSpec => [name, hook]);
}

/**
 * A copy of the model whose weights cannot write along r̂ (see the header); the model passed in is
 * left as it was. Sinusoidal positions are a fixed table, not weights: use the hooks for those.
 */
export function orthogonalizeWeights(model: HookedTransformer, direction: Tensor): HookedTransformer {
  if (model.cfg.positional_embedding_type === "sinusoidal") throw new Error("orthogonalizeWeights: sinusoidal positions are a fixed table, not weights; ablate with the hooks (kind: \"ablate\") instead");
  const rHat = checkDirection(model, direction);
  const cfg = { ...model.cfg, tie_embeddings: false };
  return noGrad(() => {
    const src = model.stateDict();
    const out = withoutInit(() => new HookedTransformer(cfg));
    const P = out.stateDict(); // views of out's parameters
    for (const [name, p] of Object.entries(P)) {
      if (src[name]) p.copy_(src[name]);
      else if (name === "unembed.W_U") tidy(() => void p.copy_(src["embed.W_E"].mT)); // untied: W_U = W_Eᵀ
      else p.fill_(0); // b_U of an untied copy: the tied model had none
    }
    const writers = ["embed.W_E", "pos_embed.W_pos", "W_abacus"];
    for (let l = 0; l < cfg.n_layers; l++) writers.push(`blocks.${l}.attn.W_O`, `blocks.${l}.attn.b_O`, `blocks.${l}.mlp.W_out`, `blocks.${l}.mlp.b_out`);
    // W r̂ r̂ᵀ for a matrix, (b·r̂) r̂ for a bias: both are projectOut along the last axis
    for (const name of writers) if (P[name]) tidy(() => void P[name].copy_(projectOut(P[name], rHat)));
    out.train(model.training);
    return out;
  });
}
