// The training loss of each SAE architecture, as the papers write it (and SAELens computes it):
// a reconstruction term plus a sparsity term, and an auxiliary term where the architecture has one.
//
//   reconstruction  L_mse = ‖x̃ − x̂‖²  summed over d_in, averaged over the batch
//   standard        L = L_mse + λ Σ_i f_i ‖W_dec,i‖                       (L1 weighted by decoder norms)
//   topk            L = L_mse + α · min(n_dead / k_aux, 1) · ‖e − ê‖²       (AuxK: the k_aux largest dead
//                   latents, decoded without b_dec, try to explain the error e = x̃ − x̂; α = 1/32 in the paper)
//   jumprelu        L = L_mse + λ Σ_i H(π_i − θ_i)                          (L0, through the step's STE)
//   gated           L = L_mse + λ Σ_i ReLU(π_gate,i) ‖W_dec,i‖ + ‖x̃ − (ReLU(π_gate) W̄_dec + b̄_dec)‖²
//                   (the last term, with the decoder frozen (bars), trains the gate to reconstruct too)
import { tensor } from "../tensor/creation.js";
import type { Tensor } from "../tensor/tensor.js";
import { step } from "./jumprelu.js";
import type { SaeOutput, SparseAutoencoder } from "./sae.js";

export interface SaeLossOptions {
  /** λ of the sparsity term: L1 (standard, gated) or L0 (jumprelu). Not used by topk. */
  sparsityCoefficient?: number;
  /** TopK: α of the AuxK loss (default 1/32, Gao et al.). */
  auxKCoefficient?: number;
  /** TopK: which latents count as dead (a (d_sae) bool or 0/1 tensor); no AuxK term without it. */
  deadMask?: Tensor | null;
  /** TopK: dead latents the AuxK term uses (default d_in / 2, Gao et al.'s heuristic). */
  kAux?: number;
}

export interface SaeLoss {
  loss: Tensor;
  mse: Tensor;
  /** The sparsity term (λ included); 0 for topk. */
  sparsity: Tensor;
  /** The auxiliary term (AuxK, or the gated SAE's frozen-decoder reconstruction); 0 otherwise. */
  aux: Tensor;
  out: SaeOutput;
}

/** ‖a − b‖² summed over the last dim, averaged over the rest. */
function sumSquaredError(a: Tensor, b: Tensor): Tensor {
  return a.sub(b).square().sum(-1).mean();
}

export function saeLoss(sae: SparseAutoencoder, x: Tensor, opts: SaeLossOptions = {}): SaeLoss {
  const lambda = opts.sparsityCoefficient ?? 1;
  if (!(lambda >= 0)) throw new Error(`saeLoss: sparsityCoefficient must be ≥ 0, got ${lambda}`);
  const out = sae.run(x);
  const { saeIn, saeOut, featureActs: f, hiddenPre: pre } = out;
  const mse = sumSquaredError(saeOut, saeIn);
  const zero = tensor(0, { dtype: mse.dtype });
  let sparsity = zero;
  let aux = zero;
  switch (sae.cfg.architecture) {
    case "standard":
      sparsity = f.mul(sae.decoderNorms()).sum(-1).mean().mul(lambda);
      break;
    case "jumprelu":
      sparsity = step(pre, sae.threshold(), sae.cfg.jumprelu_bandwidth).sum(-1).mean().mul(lambda);
      break;
    case "gated": {
      const gateActs = pre.relu();
      sparsity = gateActs.mul(sae.decoderNorms()).sum(-1).mean().mul(lambda);
      aux = sumSquaredError(gateActs.matmul(sae.W_dec.detach()).add(sae.b_dec.detach()), saeIn);
      break;
    }
    case "topk":
      aux = auxKLoss(sae, out, opts);
      break;
  }
  return { loss: mse.add(sparsity).add(aux), mse, sparsity, aux, out };
}

/** Gao et al.'s AuxK term (see the header); 0 when no latent is dead. */
function auxKLoss(sae: SparseAutoencoder, out: SaeOutput, opts: SaeLossOptions): Tensor {
  const alpha = opts.auxKCoefficient ?? 1 / 32;
  if (!(alpha >= 0)) throw new Error(`saeLoss: auxKCoefficient must be ≥ 0, got ${alpha}`);
  const dead = opts.deadMask;
  const zero = tensor(0, { dtype: out.saeOut.dtype });
  if (!dead || alpha === 0) return zero;
  if (dead.numel() !== sae.cfg.d_sae) throw new Error(`saeLoss: deadMask has ${dead.numel()} entries, d_sae = ${sae.cfg.d_sae}`);
  const deadBool = dead.dtype === "bool" ? dead : dead.ne(0);
  const nDead = deadBool.to("int32").sum().item();
  if (nDead === 0) return zero;
  const kAuxWanted = opts.kAux ?? Math.max(1, Math.floor(sae.cfg.d_in / 2));
  const kAux = Math.min(kAuxWanted, nDead);
  const scale = Math.min(nDead / kAuxWanted, 1);
  const error = out.saeIn.sub(out.saeOut).detach(); // e: what the live latents missed
  // only dead latents compete: the live ones' pre-activations are pushed to −∞
  const deadPre = out.hiddenPre.where(deadBool, -Infinity);
  const { values, indices } = deadPre.topk(kAux, -1, true, false);
  const auxActs = out.hiddenPre.zerosLike().scatterAdd(-1, indices, values.relu());
  const auxRecon = auxActs.matmul(sae.W_dec); // ê, without b_dec: e has none
  return sumSquaredError(auxRecon, error).mul(alpha * scale);
}
