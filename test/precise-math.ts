// Float64 references precise where the reference kernels themselves lose digits (GELU tails:
// 1 + erf(x/√2) cancels for very negative x), and float32 ulps to measure errors in. Shared by
// the WebAssembly and the native kernel tests.
import { erf } from "../src/backend/js/elementwise.js";

/** One float32 ulp at the (float64) value v. */
export function ulp(v: number): number {
  const a = Math.abs(Math.fround(v));
  if (a < 2 ** -126) return 2 ** -149;
  if (!Number.isFinite(a)) return Infinity;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Precise float64 references where the reference kernel itself cancels (GELU tails). */
function erfc64(t: number): number {
  if (t < 2.5) return 1 - erf(t);
  let f = t;
  for (let k = 60; k >= 1; k--) f = t + k / 2 / f;
  return Math.exp(-t * t) / Math.sqrt(Math.PI) / f;
}
const Phi = (x: number) => (x < 0 ? 0.5 * erfc64(-x / Math.SQRT2) : 1 - 0.5 * erfc64(x / Math.SQRT2));
const phi = (x: number) => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
const sigma = (v: number) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)));
const C2 = 2 * Math.sqrt(2 / Math.PI);
const vTanh = (x: number) => C2 * (x + 0.044715 * x * x * x);
export const precise: Partial<Record<string, (x: number) => number>> = {
  gelu_erf: (x) => x * Phi(x),
  gelu_erf_grad: (x) => Phi(x) + x * phi(x),
  gelu_tanh: (x) => x * sigma(vTanh(x)),
  gelu_tanh_grad: (x) => {
    const v = vTanh(x);
    return sigma(v) + x * sigma(v) * sigma(-v) * C2 * (1 + 3 * 0.044715 * x * x);
  },
};

