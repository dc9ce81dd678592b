// Exercise sae: a standard sparse autoencoder's forward pass and training loss.
import { sae as saeLib, tensor, type Tensor } from "../index.js";
import type { CaseContext } from "./check.js";
import { normal, seeded } from "./inputs.js";
import type { Exercise } from "./types.js";

export interface SaeWeights {
  W_enc: Tensor;
  b_enc: Tensor;
  W_dec: Tensor;
  b_dec: Tensor;
}
export interface SaeResult {
  featureActs: Tensor;
  reconstruction: Tensor;
  loss: Tensor;
}
export type SaeForwardLoss = (x: Tensor, w: SaeWeights, l1Coefficient: number) => SaeResult;

/** The library's standard SAE (sae.SparseAutoencoder), its weights replaced by these (any float dtype), and its sae.saeLoss. */
function reference(x: Tensor, w: SaeWeights, l1Coefficient: number): SaeResult {
  const [d_in, d_sae] = w.W_enc.shape;
  const model = Object.assign(new saeLib.SparseAutoencoder({ d_in, d_sae, architecture: "standard" }), w);
  const { loss, out } = saeLib.saeLoss(model, x, { sparsityCoefficient: l1Coefficient });
  return { featureActs: out.featureActs, reconstruction: out.reconstruction, loss };
}

function weights(seed: number, d_in: number, d_sae: number, dtype: "float32" | "float64" = "float32"): SaeWeights {
  const g = seeded(seed);
  return {
    W_enc: normal(g, [d_in, d_sae], { dtype, scale: 1 / Math.sqrt(d_in) }),
    b_enc: normal(g, [d_sae], { dtype, scale: 0.3 }),
    W_dec: normal(g, [d_sae, d_in], { dtype, scale: 0.5 }),
    b_dec: normal(g, [d_in], { dtype, scale: 0.5 }),
  };
}

function run(fn: SaeForwardLoss, t: CaseContext, x: Tensor, w: SaeWeights, l1: number): SaeResult {
  const [n, d_in] = x.shape;
  const d_sae = w.W_enc.shape[1];
  const out = t.fields(t.call(() => fn(x, w, l1)), ["featureActs", "reconstruction", "loss"], "the result");
  return {
    featureActs: t.tensor(out.featureActs, "featureActs", { shape: [n, d_sae], dtype: x.dtype }),
    reconstruction: t.tensor(out.reconstruction, "reconstruction", { shape: [n, d_in], dtype: x.dtype }),
    loss: t.tensor(out.loss, "loss", { shape: [], dtype: x.dtype }),
  };
}

function matches(fn: SaeForwardLoss, t: CaseContext, x: Tensor, w: SaeWeights, l1: number): void {
  t.input("x", x);
  t.input("sae", w);
  t.input("l1Coefficient", l1);
  const got = run(fn, t, x, w, l1);
  const want = reference(x, w, l1);
  const tol = { atol: 1e-5, rtol: 1e-5 };
  t.close(got.featureActs, want.featureActs, "featureActs", tol);
  t.close(got.reconstruction, want.reconstruction, "reconstruction", tol);
  t.close(got.loss, want.loss, "loss", tol);
}

export const sae: Exercise<SaeForwardLoss> = {
  name: "sae",
  unit: "4. Interpretability",
  title: "a standard sparse autoencoder: forward pass and loss",
  exportName: "saeForwardLoss",
  imports: 'import { type Tensor } from "decoding-gpt";',
  signature: `export function saeForwardLoss(
  x: Tensor,
  sae: { W_enc: Tensor; b_enc: Tensor; W_dec: Tensor; b_dec: Tensor },
  l1Coefficient: number,
): { featureActs: Tensor; reconstruction: Tensor; loss: Tensor }`,
  doc: `
A standard sparse autoencoder (SAELens's parameter names and shapes): forward pass and loss.

  x̃ = x − b_dec                          subtract the decoder bias first
  f = ReLU(x̃ W_enc + b_enc)              featureActs (n, d_sae);   W_enc (d_in, d_sae)
  x̂ = f W_dec + b_dec                    reconstruction (n, d_in); W_dec (d_sae, d_in)
  loss = mean_n ‖x − x̂‖²  +  λ · mean_n Σ_i f_i ‖W_dec[i]‖

The squared error is summed over d_in and averaged over the n inputs. The sparsity term weights
each latent's activation by the norm of its decoder row W_dec[i] (Anthropic, April 2024), so
shrinking W_dec cannot dodge the penalty. x is (n, d_in); loss is a 0-d tensor. Tensor ops only:
a float64 gradient check runs through the loss.

Example: d_in = d_sae = 1, W_enc = [[1]], b_enc = [0], W_dec = [[2]], b_dec = [0], λ = 0.5,
  x = [[3]]: f = [[3]], x̂ = [[6]], loss = (3 − 6)² + 0.5·3·2 = 12
`,
  reference,
  cases: [
    {
      name: "the example from the statement",
      run(fn, t) {
        const x = t.input("x", tensor([[3]]));
        const w = t.input("sae", { W_enc: tensor([[1]]), b_enc: tensor([0]), W_dec: tensor([[2]]), b_dec: tensor([0]) });
        const got = run(fn, t, x, w, 0.5);
        t.close(got.featureActs, tensor([[3]]), "featureActs");
        t.close(got.reconstruction, tensor([[6]]), "reconstruction");
        t.close(got.loss, 12, "loss");
      },
    },
    {
      name: "matches the library's SparseAutoencoder and saeLoss on random inputs",
      run(fn, t) {
        matches(fn, t, normal(seeded(1), [6, 5], { dtype: "float32" }), weights(2, 5, 12), 0.3);
      },
    },
    {
      name: "every latent dead (b_enc very negative): f = 0 and x̂ = b_dec",
      run(fn, t) {
        const w = weights(3, 4, 6);
        matches(fn, t, normal(seeded(4), [3, 4], { dtype: "float32" }), { ...w, b_enc: w.b_enc.sub(100) }, 0.5);
      },
    },
    {
      name: "λ = 0: the loss is the reconstruction error alone",
      run(fn, t) {
        matches(fn, t, normal(seeded(5), [4, 3], { dtype: "float32" }), weights(6, 3, 5), 0);
      },
    },
    {
      name: "a single input (n = 1)",
      run(fn, t) {
        matches(fn, t, normal(seeded(7), [1, 5], { dtype: "float32" }), weights(8, 5, 7), 1);
      },
    },
    {
      name: "gradient check in float64 (the loss, with respect to x and every weight)",
      run(fn, t) {
        const x = t.input("x", normal(seeded(9), [3, 3]));
        const w = t.input("sae", weights(10, 3, 4, "float64"));
        const loss = (...a: Tensor[]) => {
          const out = fn(a[0], { W_enc: a[1], b_enc: a[2], W_dec: a[3], b_dec: a[4] }, 0.4);
          return t.tensor(t.fields(out, ["loss"], "the result").loss, "loss");
        };
        t.gradcheck("the loss", loss, [x, w.W_enc, w.b_enc, w.W_dec, w.b_dec]);
      },
    },
  ],
};
