// Exercise layernorm: LayerNorm over the last dimension, with the biased variance.
import { F, full, ones, tensor, zeros, type Tensor } from "../index.js";
import { normal, seeded } from "./inputs.js";
import type { Exercise } from "./types.js";

export type LayerNorm = (x: Tensor, w: Tensor, b: Tensor, eps: number) => Tensor;

const reference: LayerNorm = (x, w, b, eps) => F.layerNorm(x, [x.shape[x.ndim - 1]], w, b, eps);

function affine(seed: number, d: number, dtype: "float32" | "float64" = "float64") {
  const g = seeded(seed);
  return { w: normal(g, [d], { dtype, scale: 0.3, mean: 1 }), b: normal(g, [d], { dtype, scale: 0.3 }) };
}

export const layernorm: Exercise<LayerNorm> = {
  name: "layernorm",
  unit: "1. Neural networks and autodiff",
  title: "LayerNorm over the last dimension",
  exportName: "layerNorm",
  imports: 'import { type Tensor } from "decoding-gpt";',
  signature: "export function layerNorm(x: Tensor, w: Tensor, b: Tensor, eps: number): Tensor",
  doc: `
LayerNorm over the last dimension (d = its size), as in every GPT block:

  μ  = (1/d) Σ_j x_j
  σ² = (1/d) Σ_j (x_j − μ)²            the biased variance: divide by d, not d − 1
  y  = (x − μ) / √(σ² + ε) ⊙ w + b

x (..., d); w, b (d); y has x's shape and dtype. Compute σ² from x − μ ("two passes"), not as
E[x²] − μ²: for float32 values near 1000 that difference of two large numbers loses the digits
that matter. Use tensor ops, so gradients flow (a float64 gradient check runs through it).

Example:
  layerNorm(tensor([[1, 2, 3]]), ones(3), zeros(3), 0) ≈ [[-1.224745, 0, 1.224745]]
`,
  reference,
  cases: [
    {
      name: "the example from the statement",
      run(fn, t) {
        const x = t.input("x", tensor([[1, 2, 3]]));
        const y = t.tensor(t.call(() => fn(x, ones(3), zeros(3), 0)), "y", { shape: [1, 3], dtype: "float32" });
        t.close(y, tensor([[-1.2247449, 0, 1.2247449]]), "y", { atol: 1e-5 });
      },
    },
    {
      name: "keeps x's shape and dtype: (batch, pos, d) float32",
      run(fn, t) {
        const x = t.input("x", normal(seeded(1), [2, 3, 5], { dtype: "float32" }));
        const { w, b } = t.input("w, b", affine(2, 5, "float32"));
        t.tensor(t.call(() => fn(x, w, b, 1e-5)), "y", { shape: [2, 3, 5], dtype: "float32" });
      },
    },
    {
      name: "matches the library's F.layerNorm on random inputs (float64)",
      run(fn, t) {
        const x = t.input("x", normal(seeded(3), [3, 6], { scale: 2, mean: 0.5 }));
        const { w, b } = t.input("w, b", affine(4, 6));
        const y = t.tensor(t.call(() => fn(x, w, b, 1e-5)), "y", { shape: [3, 6], dtype: "float64" });
        t.close(y, reference(x, w, b, 1e-5), "y", { atol: 1e-10, rtol: 1e-9 });
      },
    },
    {
      name: "a constant row (σ = 0) gives y = b, no NaN",
      run(fn, t) {
        const x = t.input("x", full([2, 4], 7, { dtype: "float64" }));
        const { w, b } = t.input("w, b", affine(5, 4));
        const y = t.tensor(t.call(() => fn(x, w, b, 1e-5)), "y", { shape: [2, 4] });
        t.finite(y, "y");
        t.close(y, b.expand([2, 4]), "y", { atol: 1e-9 });
      },
    },
    {
      name: "float32 values near 1000 with a small spread keep their precision",
      run(fn, t) {
        const x = t.input("x", normal(seeded(6), [4, 16], { dtype: "float32", scale: 0.3, mean: 1000 }));
        const { w, b } = t.input("w, b", affine(7, 16, "float32"));
        const y = t.tensor(t.call(() => fn(x, w, b, 1e-5)), "y", { shape: [4, 16], dtype: "float32" });
        t.close(y, reference(x.double(), w.double(), b.double(), 1e-5), "y", { atol: 5e-3, rtol: 5e-3 });
      },
    },
    {
      name: "d = 1: every input is its own mean, so y = b",
      run(fn, t) {
        const x = t.input("x", tensor([[3], [-2]], { dtype: "float64" }));
        const w = t.input("w", tensor([2], { dtype: "float64" }));
        const b = t.input("b", tensor([0.25], { dtype: "float64" }));
        t.close(t.tensor(t.call(() => fn(x, w, b, 1e-5)), "y", { shape: [2, 1] }), tensor([[0.25], [0.25]], { dtype: "float64" }), "y", { atol: 1e-12 });
      },
    },
    {
      name: "gradient check in float64 (x, w, b)",
      run(fn, t) {
        const x = t.input("x", normal(seeded(8), [2, 4]));
        const { w, b } = t.input("w, b", affine(9, 4));
        t.gradcheck("y", (a, c, d) => fn(a, c, d, 1e-5), [x, w, b]);
      },
    },
  ],
};
