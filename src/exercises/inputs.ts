// Seeded random inputs for the cases: the same numbers on every run, so a verdict can be reproduced.
import { Generator, randn, type DType, type Tensor } from "../index.js";

/** A generator for one case. */
export const seeded = (seed: number): Generator => new Generator(seed);

/** Normal entries times `scale`, of this shape and dtype (float64 by default). */
export function normal(g: Generator, shape: readonly number[], opts: { dtype?: DType; scale?: number; mean?: number } = {}): Tensor {
  const { dtype = "float64", scale = 1, mean = 0 } = opts;
  const x = randn([...shape], { generator: g, dtype });
  return scale === 1 && mean === 0 ? x : x.mul(scale).add(mean);
}

/** Random integers in [0, high). */
export function ints(g: Generator, n: number, high: number): number[] {
  return Array.from({ length: n }, () => g.randint(0, high));
}
