// Reference reductions over any set of axes, plus cumsum and sort along one axis.
import type { AxisSpec, ReduceOp, Storage } from "../types.js";
import { arr, forEachStrided2 } from "./storage.js";

/** Strides of the keepdim output seen from the input: 0 on reduced dims. */
function outStrides(shape: readonly number[], reduced: readonly boolean[]): number[] {
  const strides = new Array<number>(shape.length).fill(0);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (!reduced[d]) {
      strides[d] = acc;
      acc *= shape[d];
    }
  }
  return strides;
}

export function reduce(op: ReduceOp, x: Storage, shape: readonly number[], reduced: readonly boolean[], out: Storage): void {
  const X = arr(x);
  const O = arr(out);
  const os = outStrides(shape, reduced);
  // Accumulate in float64 whatever the dtype: sums of many float32 stay accurate.
  const acc = new Float64Array(O.length);
  if (op === "sum" || op === "prod") {
    if (op === "prod") acc.fill(1);
    forEachStrided2(shape, os, os, (i, o) => {
      acc[o] = op === "sum" ? acc[o] + X[i] : acc[o] * X[i];
    });
    O.set(acc);
    return;
  }
  // max/min and their arg versions: the first extreme wins, NaN counts as the extreme (as in PyTorch).
  const isMax = op === "max" || op === "argmax";
  const arg = new Int32Array(O.length).fill(-1);
  // position of element i along the reduced dims, in row-major order of those dims
  const rs = outStrides(shape, reduced.map((r) => !r));
  forEachStrided2(shape, os, rs, (i, o, r) => {
    const v = X[i];
    if (arg[o] === -1 || (!Number.isNaN(acc[o]) && (Number.isNaN(v) || (isMax ? v > acc[o] : v < acc[o])))) {
      acc[o] = v;
      arg[o] = r;
    }
  });
  if (op === "argmax" || op === "argmin") O.set(arg);
  else O.set(acc);
}

export function cumsum(x: Storage, out: Storage, { outer, dim, inner }: AxisSpec): void {
  const X = arr(x);
  const O = arr(out);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) {
        const p = (o * dim + j) * inner + i;
        s += X[p];
        O[p] = s;
      }
    }
  }
}

export function sort(x: Storage, values: Storage, indices: Storage, { outer, dim, inner }: AxisSpec, descending: boolean): void {
  const X = arr(x);
  const V = arr(values);
  const I = arr(indices);
  const idx = new Array<number>(dim);
  const col = new Float64Array(dim);
  const sign = descending ? -1 : 1;
  // Array.prototype.sort is stable; NaN sorts as the largest value, like PyTorch.
  const compare = (p: number, q: number): number => {
    const a = col[p];
    const b = col[q];
    const na = Number.isNaN(a);
    const nb = Number.isNaN(b);
    if (na || nb) return na === nb ? 0 : sign * (na ? 1 : -1);
    return a < b ? -sign : a > b ? sign : 0;
  };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let j = 0; j < dim; j++) {
        idx[j] = j;
        col[j] = X[(o * dim + j) * inner + i];
      }
      idx.sort(compare);
      for (let j = 0; j < dim; j++) {
        const p = (o * dim + j) * inner + i;
        V[p] = col[idx[j]];
        I[p] = idx[j];
      }
    }
  }
}
