// Sparse autoencoders (SAEs): a wide, sparse code for a model's activations, whose latents are
// meant to be the "features" the model stores in superposition (Bricken et al. 2023, "Towards
// Monosemanticity"; Cunningham et al. 2023). Parameter names and shapes are SAELens's.
//
//   x̃ = x − b_dec                       (when apply_b_dec_to_input; else x̃ = x)
//   π = x̃ W_enc + b_enc                 pre-activations, (…, d_sae); W_enc (d_in, d_sae)
//   f = σ(π)                            the sparse code ("feature activations")
//   x̂ = f W_dec + b_dec                 the reconstruction; W_dec (d_sae, d_in), row i = latent i's direction
//
// σ by architecture:
//   standard  ReLU                         trained with MSE + λ Σ_i f_i ‖W_dec,i‖ (Anthropic, April 2024)
//   topk      ReLU of the k largest π_i    (Gao et al. 2024, "Scaling and evaluating sparse autoencoders")
//   jumprelu  π_i · H(π_i − θ_i)           (Rajamanoharan et al. 2024; θ = exp(log_threshold), see jumprelu.ts)
//   gated     1[π_gate > 0] ⊙ ReLU(π_mag)  (Rajamanoharan et al. 2024, "Improving dictionary learning
//             with gated SAEs"): π_gate = x̃ W_enc + b_gate, π_mag = x̃ (W_enc ⊙ exp r_mag) + b_mag
//
// The losses that train each architecture live in losses.ts, the training loop in train.ts.
import { Module, parameter } from "../nn/module.js";
import { kaimingUniform_ } from "../nn/init.js";
import { noGrad } from "../tensor/autograd.js";
import { full, zeros } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { tidy } from "../tensor/scope.js";
import type { Tensor } from "../tensor/tensor.js";
import { jumpReLU } from "./jumprelu.js";

export const SAE_ARCHITECTURES = ["standard", "topk", "jumprelu", "gated"] as const;
export type SaeArchitecture = (typeof SAE_ARCHITECTURES)[number];

/** An SAE's shape and where it reads, with SAELens's field names (cfg.json). */
export interface SaeConfig {
  d_in: number;
  d_sae: number;
  architecture: SaeArchitecture;
  /** Latents kept per input (topk). */
  k: number | null;
  /** Subtract b_dec from the input before encoding (SAELens's default, true). */
  apply_b_dec_to_input: boolean;
  /**
   * "none", or "expected_average_only_in": inputs are scaled by a constant so that their mean
   * norm is √d_in (Anthropic's April 2024 update); the scale is fitted once before training and
   * saved as `scaling_factor`, and reconstructions are scaled back.
   */
  normalize_activations: "none" | "expected_average_only_in";
  /** The hook the SAE reads, e.g. blocks.1.hook_resid_post. */
  hook_name: string;
  hook_layer: number;
  hook_head_index: number | null;
  model_name: string;
  /** Context length of the token windows it was trained on. */
  context_size: number | null;
  prepend_bos: boolean;
  /** JumpReLU's bandwidth ε for the straight-through gradients (training only). */
  jumprelu_bandwidth: number;
}

export type SaeConfigInput = Pick<SaeConfig, "d_in" | "d_sae"> & Partial<SaeConfig> & { seed?: number };

/** A config with defaults filled in and every field checked (errors name the field). */
export function makeSaeConfig(input: SaeConfigInput): SaeConfig {
  const { seed: _seed, ...fields } = input;
  const cfg: SaeConfig = {
    architecture: "standard",
    k: null,
    apply_b_dec_to_input: true,
    normalize_activations: "none",
    hook_name: "",
    hook_layer: -1,
    hook_head_index: null,
    model_name: "",
    context_size: null,
    prepend_bos: true,
    jumprelu_bandwidth: 0.05,
    ...fields,
  };
  const posInt = (name: keyof SaeConfig) => {
    const v = cfg[name];
    if (!(typeof v === "number" && Number.isSafeInteger(v) && v > 0)) throw new Error(`SAE config: ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  };
  posInt("d_in");
  posInt("d_sae");
  if (!SAE_ARCHITECTURES.includes(cfg.architecture)) throw new Error(`SAE config: architecture must be one of ${SAE_ARCHITECTURES.join(", ")}, got ${JSON.stringify(cfg.architecture)}`);
  if (cfg.architecture === "topk") {
    posInt("k");
    if (cfg.k! > cfg.d_sae) throw new Error(`SAE config: k = ${cfg.k} is more than d_sae = ${cfg.d_sae}`);
  } else cfg.k = null;
  if (cfg.normalize_activations !== "none" && cfg.normalize_activations !== "expected_average_only_in") throw new Error(`SAE config: normalize_activations must be "none" or "expected_average_only_in", got ${JSON.stringify(cfg.normalize_activations)}`);
  if (!(cfg.jumprelu_bandwidth > 0)) throw new Error(`SAE config: jumprelu_bandwidth must be positive, got ${cfg.jumprelu_bandwidth}`);
  if (typeof cfg.apply_b_dec_to_input !== "boolean") throw new Error(`SAE config: apply_b_dec_to_input must be true or false`);
  return cfg;
}

/** What one forward pass gives: the code, its pre-activations and the reconstruction. */
export interface SaeOutput {
  /** x̂ (…, d_in), in the input's units. */
  reconstruction: Tensor;
  /** f (…, d_sae). */
  featureActs: Tensor;
  /** π (…, d_sae) (π_gate for gated SAEs). */
  hiddenPre: Tensor;
  /** The input as the SAE saw it (after the normalisation scale). */
  saeIn: Tensor;
  /** x̂ before undoing the normalisation scale. */
  saeOut: Tensor;
}

export class SparseAutoencoder extends Module {
  readonly cfg: SaeConfig;
  W_enc: Tensor;
  b_enc: Tensor;
  W_dec: Tensor;
  b_dec: Tensor;
  /** JumpReLU: log θ (the file stores θ as `threshold`). */
  log_threshold: Tensor | null = null;
  /** Gated: b_gate is b_enc's role for the gate; the magnitude path has its own bias and scale. */
  b_mag: Tensor | null = null;
  r_mag: Tensor | null = null;
  /** Inputs are multiplied by this before encoding (normalize_activations; 1 = none). */
  scalingFactor = 1;

  /**
   * A new SAE, initialised as SAELens does: W_dec rows in random directions with norm 0.1
   * (Kaiming-uniform, then rescaled), W_enc = W_decᵀ, biases 0, JumpReLU thresholds 0.001.
   */
  constructor(input: SaeConfigInput | SaeConfig) {
    super();
    this.cfg = makeSaeConfig(input);
    const { d_in, d_sae } = this.cfg;
    const generator = new Generator((input as { seed?: number }).seed ?? 0);
    const W_dec = noGrad(() => {
      const w = kaimingUniform_(zeros([d_sae, d_in]), { generator });
      return tidy(() => w.div(w.norm(2, 1, true)).mul(0.1));
    });
    this.W_dec = parameter(W_dec);
    this.W_enc = parameter(noGrad(() => W_dec.mT.contiguous()));
    this.b_enc = parameter(zeros([d_sae])); // gated: this is b_gate
    this.b_dec = parameter(zeros([d_in]));
    if (this.cfg.architecture === "jumprelu") this.log_threshold = parameter(full([d_sae], Math.log(0.001)));
    if (this.cfg.architecture === "gated") {
      this.b_mag = parameter(zeros([d_sae]));
      this.r_mag = parameter(zeros([d_sae]));
    }
  }

  /** θ = exp(log_threshold) (JumpReLU). */
  threshold(): Tensor {
    if (!this.log_threshold) throw new Error(`SAE: a ${this.cfg.architecture} SAE has no threshold`);
    return this.log_threshold.exp();
  }

  /** The input in the SAE's units: x · scalingFactor (b_dec is subtracted in encode). */
  private saeIn(x: Tensor): Tensor {
    if (x.shape[x.ndim - 1] !== this.cfg.d_in) throw new Error(`SAE: the input's last dimension is ${x.shape[x.ndim - 1]}, but d_in = ${this.cfg.d_in}${this.cfg.hook_name ? ` (${this.cfg.hook_name})` : ""}`);
    return this.scalingFactor === 1 ? x : x.mul(this.scalingFactor);
  }

  /** π and f for a (scaled) input. */
  encodeWithHiddenPre(saeIn: Tensor): { featureActs: Tensor; hiddenPre: Tensor } {
    const xt = this.cfg.apply_b_dec_to_input ? saeIn.sub(this.b_dec) : saeIn;
    const pre = xt.matmul(this.W_enc).add(this.b_enc); // π (π_gate for gated SAEs)
    switch (this.cfg.architecture) {
      case "standard":
        return { featureActs: pre.relu(), hiddenPre: pre };
      case "topk": {
        // keep the k largest pre-activations (ReLU'd), zero the rest
        const { values, indices } = pre.topk(this.cfg.k!, -1, true, false);
        return { featureActs: pre.zerosLike().scatterAdd(-1, indices, values.relu()), hiddenPre: pre };
      }
      case "jumprelu":
        return { featureActs: jumpReLU(pre, this.threshold(), this.cfg.jumprelu_bandwidth), hiddenPre: pre };
      case "gated": {
        // the gate decides which latents fire, the magnitude path how strongly (shared W_enc, rescaled)
        const gate = pre.gt(0).to(pre.dtype);
        const mag = xt.matmul(this.W_enc.mul(this.r_mag!.exp())).add(this.b_mag!).relu();
        return { featureActs: gate.mul(mag), hiddenPre: pre };
      }
    }
  }

  /** f (…, d_sae) for activations x (…, d_in). */
  encode(x: Tensor): Tensor {
    return this.encodeWithHiddenPre(this.saeIn(x)).featureActs;
  }

  /** x̂ (…, d_in) in the input's units, for a code f (…, d_sae). */
  decode(featureActs: Tensor): Tensor {
    const out = featureActs.matmul(this.W_dec).add(this.b_dec);
    return this.scalingFactor === 1 ? out : out.div(this.scalingFactor);
  }

  /** Everything one pass computes (the training losses need π and the scaled input). */
  run(x: Tensor): SaeOutput {
    const saeIn = this.saeIn(x);
    const { featureActs, hiddenPre } = this.encodeWithHiddenPre(saeIn);
    const saeOut = featureActs.matmul(this.W_dec).add(this.b_dec);
    return { reconstruction: this.scalingFactor === 1 ? saeOut : saeOut.div(this.scalingFactor), featureActs, hiddenPre, saeIn, saeOut };
  }

  /** x̂ for x. */
  forward(x: Tensor): Tensor {
    return this.run(x).reconstruction;
  }

  /** ‖W_dec,i‖ per latent (d_sae). */
  decoderNorms(): Tensor {
    return this.W_dec.norm(2, 1);
  }
}
