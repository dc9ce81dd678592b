// Exercise softmax-cross-entropy: the mean cross-entropy of logits against class ids, through a
// numerically stable log-softmax.
import { crossEntropy, full, tensor, type Tensor } from "../index.js";
import { ints, normal, seeded } from "./inputs.js";
import type { Exercise } from "./types.js";

export type CrossEntropy = (logits: Tensor, targets: Tensor) => Tensor;

const reference: CrossEntropy = (logits, targets) => crossEntropy(logits, targets);

const ids = (xs: number[]) => tensor(xs, { dtype: "int32" });

export const softmaxCrossEntropy: Exercise<CrossEntropy> = {
  name: "softmax-cross-entropy",
  unit: "1. Neural networks and autodiff",
  title: "mean cross-entropy through a stable log-softmax",
  exportName: "crossEntropy",
  imports: 'import { type Tensor } from "decoding-gpt";',
  signature: "export function crossEntropy(logits: Tensor, targets: Tensor): Tensor",
  doc: `
The mean cross-entropy of logits against target classes:

  log p[i][k] = z[i][k] − log Σ_c e^(z[i][c])                 (log-softmax over the classes)
  L = −(1/N) Σ_i log p[i][y_i]

logits z (N, V) float; targets y (N) int32 class ids; return a 0-d tensor of the logits' dtype.
Make it numerically stable:
  - log Σ_c e^(z_c) = m + log Σ_c e^(z_c − m) with m = max_c z_c: e^1000 overflows to ∞;
  - compute log p as z − logsumexp, not log(softmax(z)): a probability that underflows to 0
    would give log 0 = −∞.
Use tensor ops (gather, max, exp, log, …), so gradients flow: a float64 gradient check runs.

Example:
  crossEntropy(tensor([[0, 0], [2, 0]]), tensor([0, 1], { dtype: "int32" }))
    = (log 2 + (2 + log(1 + e^−2))) / 2 ≈ (0.693147 + 2.126928) / 2 ≈ 1.410038
`,
  reference,
  cases: [
    {
      name: "the example from the statement",
      run(fn, t) {
        const logits = t.input("logits", tensor([[0, 0], [2, 0]]));
        const targets = t.input("targets", ids([0, 1]));
        const loss = t.tensor(t.call(() => fn(logits, targets)), "the loss", { shape: [], dtype: "float32" });
        t.close(loss, 1.4100375, "the loss", { atol: 1e-5 });
      },
    },
    {
      name: "matches the library's crossEntropy on random logits (float64)",
      run(fn, t) {
        const g = seeded(1);
        const logits = t.input("logits", normal(g, [5, 7], { scale: 3 }));
        const targets = t.input("targets", ids(ints(g, 5, 7)));
        const loss = t.tensor(t.call(() => fn(logits, targets)), "the loss", { shape: [], dtype: "float64" });
        t.close(loss, reference(logits, targets), "the loss", { atol: 1e-12, rtol: 1e-10 });
      },
    },
    {
      name: "large logits (around 1000) do not overflow",
      run(fn, t) {
        const g = seeded(2);
        const logits = t.input("logits", normal(g, [3, 4], { scale: 2, mean: 1000 }));
        const targets = t.input("targets", ids([0, 3, 1]));
        const loss = t.tensor(t.call(() => fn(logits, targets)), "the loss", { shape: [] });
        t.finite(loss, "the loss");
        t.close(loss, reference(logits, targets), "the loss", { atol: 1e-9 });
      },
    },
    {
      name: "a target 1000 below the best logit costs 1000, not ∞",
      run(fn, t) {
        const logits = t.input("logits", tensor([[0, -1000, 0]], { dtype: "float64" }));
        const targets = t.input("targets", ids([1]));
        const loss = t.tensor(t.call(() => fn(logits, targets)), "the loss", { shape: [] });
        t.finite(loss, "the loss");
        t.close(loss, 1000 + Math.log(2), "the loss", { atol: 1e-9 });
      },
    },
    {
      name: "ties: equal logits give log V",
      run(fn, t) {
        const logits = t.input("logits", full([2, 5], 3.5, { dtype: "float64" }));
        const targets = t.input("targets", ids([4, 0]));
        t.close(t.tensor(t.call(() => fn(logits, targets)), "the loss", { shape: [] }), Math.log(5), "the loss", { atol: 1e-12 });
      },
    },
    {
      name: "one example and one class (N = 1, V = 1): the loss is 0",
      run(fn, t) {
        const logits = t.input("logits", tensor([[2.5]], { dtype: "float64" }));
        const targets = t.input("targets", ids([0]));
        t.close(t.tensor(t.call(() => fn(logits, targets)), "the loss", { shape: [] }), 0, "the loss", { atol: 1e-12 });
      },
    },
    {
      name: "gradient check in float64 (logits)",
      run(fn, t) {
        const g = seeded(3);
        const logits = t.input("logits", normal(g, [3, 4], { scale: 2 }));
        const targets = t.input("targets", ids(ints(g, 3, 4)));
        t.gradcheck("the loss", (z) => fn(z, targets), [logits]);
      },
    },
  ],
};
