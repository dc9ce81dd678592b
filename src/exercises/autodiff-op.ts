// Exercise autodiff-op: one op's forward and backward by hand, SiLU y = x·σ(x), as every op in
// src/tensor/ops is written (forward and vector–Jacobian product side by side).
import { enableGrad, F, grad, noGrad, tensor, type Tensor } from "../index.js";
import { normal, seeded } from "./inputs.js";
import type { CaseContext } from "./check.js";
import type { Exercise } from "./types.js";

export type SiluWithGrad = (x: Tensor, gradY: Tensor) => { y: Tensor; gradX: Tensor };

/** The library's silu, and its gradient by the library's autograd. */
function reference(x: Tensor, gradY: Tensor): { y: Tensor; gradX: Tensor } {
  const y = F.silu(x);
  const [gradX] = enableGrad(() => grad((v: Tensor) => F.silu(v).mul(gradY).sum())(x));
  return { y, gradX };
}

/** The candidate's result, called as the library calls a backward: without gradient recording. */
function run(fn: SiluWithGrad, t: CaseContext, x: Tensor, gradY: Tensor): { y: Tensor; gradX: Tensor } {
  const out = t.fields(t.call(() => noGrad(() => fn(x, gradY))), ["y", "gradX"], "the result");
  const want = { shape: x.shape, dtype: x.dtype };
  return { y: t.tensor(out.y, "y", want), gradX: t.tensor(out.gradX, "gradX", want) };
}

export const autodiffOp: Exercise<SiluWithGrad> = {
  name: "autodiff-op",
  unit: "1. Neural networks and autodiff",
  title: "forward and backward of one op by hand (SiLU, y = x·σ(x))",
  exportName: "siluWithGrad",
  imports: 'import { type Tensor } from "decoding-gpt";',
  signature: "export function siluWithGrad(x: Tensor, gradY: Tensor): { y: Tensor; gradX: Tensor }",
  doc: `
SiLU ("swish"), forward and backward, written by hand:

  y = x·σ(x),   σ(x) = 1 / (1 + e^(−x))

Reverse-mode autodiff asks each op for its vector–Jacobian product: given gradY = ∂L/∂y (same
shape as y), return gradX = ∂L/∂x. SiLU acts elementwise, so

  gradX = gradY ⊙ dy/dx,   dy/dx = σ(x) + x·σ(x)·(1 − σ(x)) = σ(x)·(1 + x·(1 − σ(x)))

y and gradX have x's shape (any, a 0-d scalar too) and dtype. The checks call your function
inside noGrad(): compute gradX with the formula, not with .backward(). Mind large |x|: e^(−x)
overflows to ∞ for x < −710 in float64, and σ must still come out 0, not NaN.

Example:
  siluWithGrad(tensor([0, 1]), tensor([1, 1]))
    → y ≈ [0, 0.731059],  gradX ≈ [0.5, 0.927671]
`,
  reference,
  cases: [
    {
      name: "returns { y, gradX } with x's shape and dtype (float32 in, float32 out)",
      run(fn, t) {
        const g = seeded(1);
        const x = t.input("x", normal(g, [2, 3], { dtype: "float32" }));
        const gradY = t.input("gradY", normal(g, [2, 3], { dtype: "float32" }));
        run(fn, t, x, gradY);
      },
    },
    {
      name: "y matches the library's F.silu on random x (float64)",
      run(fn, t) {
        const g = seeded(2);
        const x = t.input("x", normal(g, [3, 4], { scale: 3 }));
        const gradY = t.input("gradY", normal(g, [3, 4]));
        t.close(run(fn, t, x, gradY).y, reference(x, gradY).y, "y", { atol: 1e-12, rtol: 1e-10 });
      },
    },
    {
      name: "gradX matches central finite differences of Σ gradY ⊙ silu(x) (float64)",
      run(fn, t) {
        const g = seeded(3);
        const x = t.input("x", normal(g, [3, 4], { scale: 3 }));
        const gradY = t.input("gradY", normal(g, [3, 4]));
        const eps = 1e-6;
        // elementwise op: the Jacobian is diagonal, so one pair of evaluations covers every entry
        const numeric = F.silu(x.add(eps)).sub(F.silu(x.sub(eps))).div(2 * eps).mul(gradY);
        t.close(run(fn, t, x, gradY).gradX, numeric, "gradX", { atol: 1e-7, rtol: 1e-6 });
      },
    },
    {
      name: "gradX matches the library's autograd exactly (float64)",
      run(fn, t) {
        const g = seeded(4);
        const x = t.input("x", normal(g, [5], { scale: 2 }));
        const gradY = t.input("gradY", normal(g, [5]));
        t.close(run(fn, t, x, gradY).gradX, reference(x, gradY).gradX, "gradX", { atol: 1e-12, rtol: 1e-10 });
      },
    },
    {
      name: "large |x| (±800, ±40) give finite y and gradX",
      run(fn, t) {
        const x = t.input("x", tensor([-800, -40, 0, 40, 800], { dtype: "float64" }));
        const gradY = t.input("gradY", tensor([1, 1, 1, 1, 1], { dtype: "float64" }));
        const got = run(fn, t, x, gradY);
        t.finite(got.y, "y");
        t.finite(got.gradX, "gradX");
        const want = reference(x, gradY);
        t.close(got.y, want.y, "y", { atol: 1e-12 });
        t.close(got.gradX, want.gradX, "gradX", { atol: 1e-12 });
      },
    },
    {
      name: "a 0-d input (a scalar tensor)",
      run(fn, t) {
        const x = t.input("x", tensor(-1.5, { dtype: "float64" }));
        const gradY = t.input("gradY", tensor(2, { dtype: "float64" }));
        const got = run(fn, t, x, gradY);
        const want = reference(x, gradY);
        t.close(got.y, want.y, "y");
        t.close(got.gradX, want.gradX, "gradX");
      },
    },
  ],
};
