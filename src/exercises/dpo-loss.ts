// Exercise dpo-loss: the Direct Preference Optimization loss from sequence log-probabilities.
import { align, tensor, zeros, type Tensor } from "../index.js";
import type { CaseContext } from "./check.js";
import { normal, seeded } from "./inputs.js";
import type { Exercise } from "./types.js";

export type DpoLoss = (policyChosen: Tensor, policyRejected: Tensor, refChosen: Tensor, refRejected: Tensor, beta: number) => Tensor;

const reference: DpoLoss = (pc, pr, rc, rr, beta) => align.dpoLoss(pc, pr, rc, rr, { beta }).loss;

/** Four (B) tensors of log-probabilities (negative, as sequence log-probabilities are). */
function logprobs(seed: number, B: number, dtype: "float32" | "float64" = "float64"): [Tensor, Tensor, Tensor, Tensor] {
  const g = seeded(seed);
  return [0, 1, 2, 3].map(() => normal(g, [B], { dtype, scale: 2, mean: -8 })) as [Tensor, Tensor, Tensor, Tensor];
}

function loss(fn: DpoLoss, t: CaseContext, lp: [Tensor, Tensor, Tensor, Tensor], beta: number): Tensor {
  ["policyChosen", "policyRejected", "refChosen", "refRejected"].forEach((name, i) => t.input(name, lp[i]));
  t.input("beta", beta);
  return t.tensor(t.call(() => fn(lp[0], lp[1], lp[2], lp[3], beta)), "the loss", { shape: [], dtype: lp[0].dtype });
}

export const dpoLoss: Exercise<DpoLoss> = {
  name: "dpo-loss",
  unit: "5. Alignment",
  title: "the DPO loss from policy and reference log-probabilities",
  exportName: "dpoLoss",
  imports: 'import { type Tensor } from "decoding-gpt";',
  signature: "export function dpoLoss(policyChosen: Tensor, policyRejected: Tensor, refChosen: Tensor, refRejected: Tensor, beta: number): Tensor",
  doc: `
The DPO loss (Rafailov et al. 2023) of a batch of B preference pairs (y_w preferred to y_l),
from the log-probabilities of each completion under the policy π and the frozen reference π_ref:

  h_k = [log π(y_w|x) − log π_ref(y_w|x)] − [log π(y_l|x) − log π_ref(y_l|x)]
  L   = −(1/B) Σ_k log σ(β h_k)

All four inputs are (B) tensors (chosen = y_w, rejected = y_l); return a 0-d tensor of their
dtype. Compute −log σ(z) as softplus(−z) = log(1 + e^(−z)), stably: σ(−800) underflows to 0 and
log 0 = −∞, and e^800 overflows. Tensor ops only: a float64 gradient check runs through it.

Example: all four log-probabilities equal → h = 0 → L = log 2 ≈ 0.693147.
  policyChosen = [−1], policyRejected = [−2], refChosen = refRejected = [−1.5], β = 0.5:
  h = 0.5 − (−0.5) = 1,  L = softplus(−0.5) ≈ 0.474077
`,
  reference,
  cases: [
    {
      name: "the example from the statement (float32 in, 0-d float32 out)",
      run(fn, t) {
        const f = (v: number) => tensor([v]);
        t.close(loss(fn, t, [f(-1), f(-2), f(-1.5), f(-1.5)], 0.5), 0.474077, "the loss", { atol: 1e-5 });
      },
    },
    {
      name: "equal log-probabilities give log 2",
      run(fn, t) {
        const same = normal(seeded(1), [4]);
        t.close(loss(fn, t, [same, same, same, same], 0.1), Math.log(2), "the loss", { atol: 1e-12 });
      },
    },
    {
      name: "matches the library's align.dpoLoss on random log-probabilities (β = 0.1 and β = 2)",
      run(fn, t) {
        for (const beta of [0.1, 2]) {
          const lp = logprobs(2, 6);
          t.close(loss(fn, t, lp, beta), reference(...lp, beta), `the loss at β = ${beta}`, { atol: 1e-12, rtol: 1e-10 });
        }
      },
    },
    {
      name: "huge margins (β·h = ±1000) give 0 and 1000, not NaN or ∞",
      run(fn, t) {
        const z = zeros([2], { dtype: "float64" });
        const lp: [Tensor, Tensor, Tensor, Tensor] = [tensor([0, -2000], { dtype: "float64" }), tensor([-2000, 0], { dtype: "float64" }), z, z];
        const got = loss(fn, t, lp, 0.5);
        t.finite(got, "the loss");
        t.close(got, 500, "the loss", { atol: 1e-9 });
      },
    },
    {
      name: "a batch of one pair",
      run(fn, t) {
        const lp = logprobs(3, 1);
        t.close(loss(fn, t, lp, 0.3), reference(...lp, 0.3), "the loss", { atol: 1e-12, rtol: 1e-10 });
      },
    },
    {
      name: "gradient check in float64 (all four inputs)",
      run(fn, t) {
        const lp = logprobs(4, 3);
        ["policyChosen", "policyRejected", "refChosen", "refRejected"].forEach((name, i) => t.input(name, lp[i]));
        t.gradcheck("the loss", (a, b, c, d) => fn(a, b, c, d, 0.7), lp);
      },
    },
  ],
};
