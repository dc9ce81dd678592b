// Comparing tensors in tests: their numbers as a plain array, and the largest elementwise gap.
import assert from "node:assert/strict";
import type { Tensor } from "../src/index.js";

export const values = (t: Tensor): number[] => Array.from(t.contiguous().dataSync() as Float32Array);

/** max |a − b| over all elements; the shapes must match. */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  const x = values(a);
  const y = values(b);
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
}
