// Finite-difference gradient checking. For a function f of float64 tensors we compare the
// autodiff gradient of L = Σ f(x) ⊙ R (R fixed random weights, so every output matters) with
// central differences (L(x + εeᵢ) − L(x − εeᵢ)) / 2ε, entry by entry.
import { backend } from "../backend/index.js";
import { grad, noGrad } from "./autograd.js";
import { Generator } from "./random.js";
import { Tensor } from "./tensor.js";

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Which inputs to check (default: all float inputs). */
  wrt?: number[];
  seed?: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  /** Human-readable description of the worst mismatch. */
  worst: string;
}

export function gradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-4, seed = 1234 } = opts;
  for (const x of inputs) {
    if (x.isFloatingPoint && x.dtype !== "float64") throw new Error(`gradcheck: inputs must be float64 for accurate finite differences (got ${x.dtype})`);
  }
  const wrt = opts.wrt ?? inputs.map((x, i) => (x.isFloatingPoint ? i : -1)).filter((i) => i >= 0);
  const probe = noGrad(() => f(...inputs.map((x) => x.detach())));
  const gen = new Generator(seed);
  const R = Tensor.fromTypedArray(Float64Array.from({ length: probe.numel() }, () => gen.normal()), probe.shape);
  const loss = (...xs: Tensor[]) => f(...xs).to("float64").mul(R).sum();
  const leaves = inputs.map((x) => (wrt.includes(inputs.indexOf(x)) ? x.detach().requiresGrad_(true) : x.detach()));
  const analytic = grad((...ls: Tensor[]) => loss(...leaves.map((l, i) => (wrt.includes(i) ? ls[wrt.indexOf(i)] : l))))(...wrt.map((i) => leaves[i]));
  let maxAbsError = 0;
  let worst = "";
  let ok = true;
  wrt.forEach((idx, k) => {
    const x = leaves[idx];
    const data = backend().read(x.storage);
    const ga = analytic[k].dataSync();
    for (let j = 0; j < data.length; j++) {
      const orig = data[j];
      const at = (v: number) => {
        backend().write(x.storage, [v], j);
        return noGrad(() => loss(...leaves.map((l) => l.detach())).item());
      };
      const numeric = (at(orig + eps) - at(orig - eps)) / (2 * eps);
      backend().write(x.storage, [orig], j);
      const err = Math.abs(numeric - ga[j]);
      if (err > maxAbsError) maxAbsError = err;
      if (err > atol + rtol * Math.abs(numeric) || Number.isNaN(ga[j]) !== Number.isNaN(numeric)) {
        if (ok) worst = `input ${idx} entry ${j}: autodiff ${ga[j]} vs finite difference ${numeric}`;
        ok = false;
      }
    }
  });
  return { ok, maxAbsError, worst };
}
