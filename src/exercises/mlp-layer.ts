// Exercise mlp-layer: the MLP of a GPT block, out = GELU(x W_in + b_in) W_out + b_out.
import { F, tensor, type Tensor } from "../index.js";
import { normal, seeded } from "./inputs.js";
import type { Exercise } from "./types.js";

export type Mlp = (x: Tensor, W_in: Tensor, b_in: Tensor, W_out: Tensor, b_out: Tensor) => Tensor;

/** F.linear takes PyTorch's (out, in) weights; TransformerLens's W_in, W_out are (in, out). */
const reference: Mlp = (x, W_in, b_in, W_out, b_out) => F.linear(F.gelu(F.linear(x, W_in.mT, b_in)), W_out.mT, b_out);

/** Random weights for d_model → d_mlp → d_model, scaled so pre-activations spread over ±3. */
function weights(seed: number, d: number, m: number, dtype: "float32" | "float64" = "float64") {
  const g = seeded(seed);
  return {
    W_in: normal(g, [d, m], { dtype, scale: 1.5 / Math.sqrt(d) }),
    b_in: normal(g, [m], { dtype, scale: 0.5 }),
    W_out: normal(g, [m, d], { dtype, scale: 1 / Math.sqrt(m) }),
    b_out: normal(g, [d], { dtype, scale: 0.5 }),
  };
}

export const mlpLayer: Exercise<Mlp> = {
  name: "mlp-layer",
  unit: "1. Neural networks and autodiff",
  title: "the MLP of a GPT block: GELU(x W_in + b_in) W_out + b_out",
  exportName: "mlp",
  imports: 'import { type Tensor } from "decoding-gpt";',
  signature: "export function mlp(x: Tensor, W_in: Tensor, b_in: Tensor, W_out: Tensor, b_out: Tensor): Tensor",
  doc: `
The MLP of a GPT block, with TransformerLens's names and shapes:

  pre  = x W_in + b_in          W_in (d_model, d_mlp), b_in (d_mlp)
  post = GELU(pre)              the exact GELU: GELU(u) = u·Φ(u) = u·(1 + erf(u/√2))/2
  out  = post W_out + b_out     W_out (d_mlp, d_model), b_out (d_model)

x is (..., d_model) with any number of leading dims (batch, position), or none; out has x's
shape and dtype. Use tensor ops, so gradients flow (a float64 gradient check runs through it).

Example (d_model 2, d_mlp 3, biases 0):
  x = [[1, 0]],  W_in = [[1, 0, -1], [0, 1, 0]],  W_out = [[1, 0], [0, 1], [1, 1]]
  pre = [[1, 0, -1]],  post ≈ [[0.841345, 0, -0.158655]],  out ≈ [[0.68269, -0.158655]]
`,
  reference,
  cases: [
    {
      name: "the example from the statement",
      run(fn, t) {
        const x = t.input("x", tensor([[1, 0]]));
        const W_in = t.input("W_in", tensor([[1, 0, -1], [0, 1, 0]]));
        const b_in = t.input("b_in", tensor([0, 0, 0]));
        const W_out = t.input("W_out", tensor([[1, 0], [0, 1], [1, 1]]));
        const b_out = t.input("b_out", tensor([0, 0]));
        const out = t.tensor(t.call(() => fn(x, W_in, b_in, W_out, b_out)), "out", { shape: [1, 2], dtype: "float32" });
        t.close(out, tensor([[0.6826895, -0.1586553]]), "out", { atol: 1e-5 });
      },
    },
    {
      name: "keeps x's shape and dtype: (batch, pos, d_model) float32",
      run(fn, t) {
        const x = t.input("x", normal(seeded(1), [2, 3, 4], { dtype: "float32" }));
        const w = weights(2, 4, 6, "float32");
        t.input("weights", w);
        t.tensor(t.call(() => fn(x, w.W_in, w.b_in, w.W_out, w.b_out)), "out", { shape: [2, 3, 4], dtype: "float32" });
      },
    },
    {
      name: "matches the library (F.linear, F.gelu) on random inputs (float64)",
      run(fn, t) {
        const x = t.input("x", normal(seeded(3), [2, 3, 4]));
        const w = t.input("weights", weights(4, 4, 6));
        const out = t.tensor(t.call(() => fn(x, w.W_in, w.b_in, w.W_out, w.b_out)), "out", { shape: [2, 3, 4], dtype: "float64" });
        t.close(out, reference(x, w.W_in, w.b_in, w.W_out, w.b_out), "out", { atol: 1e-9, rtol: 1e-9 });
      },
    },
    {
      name: "a single vector x (d_model,), no batch dimensions",
      run(fn, t) {
        const x = t.input("x", normal(seeded(5), [4]));
        const w = t.input("weights", weights(6, 4, 3));
        const out = t.tensor(t.call(() => fn(x, w.W_in, w.b_in, w.W_out, w.b_out)), "out", { shape: [4], dtype: "float64" });
        t.close(out, reference(x, w.W_in, w.b_in, w.W_out, w.b_out), "out", { atol: 1e-9, rtol: 1e-9 });
      },
    },
    {
      name: "gradient check in float64 (x, W_in, b_in, W_out, b_out)",
      run(fn, t) {
        const x = t.input("x", normal(seeded(7), [2, 3]));
        const w = t.input("weights", weights(8, 3, 4));
        t.gradcheck("out", (...a) => fn(a[0], a[1], a[2], a[3], a[4]), [x, w.W_in, w.b_in, w.W_out, w.b_out]);
      },
    },
  ],
};
