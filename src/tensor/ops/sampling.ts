// Drawing category indices from weights (torch.multinomial), seeded by the Generator.
import { backend } from "../../backend/index.js";
import { boolOption, parseArgs } from "../args.js";
import { isFloat } from "../dtype.js";
import { defaultGenerator, Generator } from "../random.js";
import { fmt } from "../shape.js";
import { Tensor } from "../tensor.js";

export interface MultinomialOptions {
  replacement?: boolean;
  generator?: Generator;
}

/**
 * Draws `numSamples` category indices per row of `input` (1-D, or 2-D with one distribution per
 * row) with probability proportional to the (non-negative, unnormalised) weights. Without
 * replacement each category is drawn at most once: each draw is from the weights of the
 * categories not drawn yet, so numSamples may not exceed a row's nonzero weights. int32 result.
 */
export function multinomial(input: Tensor, numSamples: number, replacement?: boolean | MultinomialOptions, opts?: MultinomialOptions): Tensor {
  const o = parseArgs("multinomial", ["replacement", "generator"], 1, [replacement, opts]);
  const withReplacement = boolOption("multinomial", "replacement", o.replacement, false);
  const gen = o.generator === undefined ? defaultGenerator : o.generator;
  if (!(gen instanceof Generator)) throw new Error("multinomial: generator must be a Generator");
  if (!(input instanceof Tensor) || (input.ndim !== 1 && input.ndim !== 2)) throw new Error(`multinomial: input must be a 1-D or 2-D tensor of weights, got ${input instanceof Tensor ? fmt(input.shape) : typeof input}`);
  if (!isFloat(input.dtype)) throw new Error(`multinomial: weights must be floating point, got ${input.dtype}`);
  if (!Number.isInteger(numSamples) || numSamples <= 0) throw new Error(`multinomial: numSamples must be a positive integer, got ${numSamples}`);
  const n = input.shape[input.ndim - 1];
  const rows = input.ndim === 1 ? 1 : input.shape[0];
  if (n === 0) throw new Error("multinomial: input has no categories");
  const all = backend().read(input.storage).slice();
  const out = new Int32Array(rows * numSamples);
  for (let r = 0; r < rows; r++) {
    const w = Float64Array.from(all.subarray(r * n, (r + 1) * n));
    let total = 0;
    let nonzero = 0;
    for (const v of w) {
      if (!(v >= 0) || v === Infinity) throw new Error(`multinomial: weights must be finite and non-negative, got ${v} in row ${r}`);
      total += v;
      if (v > 0) nonzero++;
    }
    if (!(total > 0)) throw new Error(`multinomial: row ${r} has no positive weight`);
    if (!withReplacement && numSamples > nonzero) {
      throw new Error(`multinomial: cannot draw ${numSamples} samples without replacement from ${nonzero} categories with nonzero weight (row ${r})`);
    }
    for (let s = 0; s < numSamples; s++) {
      const i = drawOne(w, total, gen);
      out[r * numSamples + s] = i;
      if (!withReplacement) {
        // remove the drawn category; re-add the rest rather than subtract, so rounding cannot drift
        w[i] = 0;
        total = w.reduce((a, b) => a + b, 0);
      }
    }
  }
  return Tensor.fromTypedArray(out, input.ndim === 1 ? [numSamples] : [rows, numSamples]);
}

/** One index with probability w_i / total: the first i whose running sum passes u·total. */
function drawOne(w: Float64Array, total: number, gen: Generator): number {
  const target = gen.random() * total;
  let acc = 0;
  let last = -1;
  for (let i = 0; i < w.length; i++) {
    if (w[i] === 0) continue;
    acc += w[i];
    last = i;
    if (target < acc) return i;
  }
  return last; // u·total rounded up to the sum: the last category with weight
}
