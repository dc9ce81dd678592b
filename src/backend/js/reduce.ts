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

/**
 * Top k along the axis by selection: a heap of the k best so far, whose root is the one that
 * would come last, so each of the n candidates costs O(log k), not a sort of all n (GPT-2's
 * 50257-token rows, k = 5). Same order as sort: NaN counts as the largest value, and of equal
 * values the lower index comes first.
 */
export function topk(x: Storage, values: Storage, indices: Storage, { outer, dim, inner }: AxisSpec, k: number, largest: boolean): void {
  const X = arr(x);
  const V = arr(values);
  const I = arr(indices);
  const col = new Float64Array(dim);
  const sign = largest ? 1 : -1;
  /** True when candidate p comes before candidate q in the result. */
  const before = (p: number, q: number): boolean => {
    const a = col[p];
    const b = col[q];
    const na = Number.isNaN(a);
    const nb = Number.isNaN(b);
    if (na || nb) {
      if (na !== nb) return largest ? na : nb; // NaN is largest: first when largest, last otherwise
      return p < q;
    }
    if (a !== b) return sign * (a - b) > 0;
    return p < q;
  };
  const heap = new Int32Array(k);
  const siftDown = (size: number) => {
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let worst = i;
      if (l < size && before(heap[worst], heap[l])) worst = l;
      if (r < size && before(heap[worst], heap[r])) worst = r;
      if (worst === i) return;
      [heap[i], heap[worst]] = [heap[worst], heap[i]];
      i = worst;
    }
  };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      for (let j = 0; j < dim; j++) col[j] = X[(o * dim + j) * inner + i];
      let size = 0;
      for (let j = 0; j < dim; j++) {
        if (size < k) {
          // push and sift up: the root stays the candidate that would come last
          let c = size++;
          heap[c] = j;
          while (c > 0) {
            const parent = (c - 1) >> 1;
            if (!before(heap[parent], heap[c])) break;
            [heap[parent], heap[c]] = [heap[c], heap[parent]];
            c = parent;
          }
        } else if (k > 0 && before(j, heap[0])) {
          heap[0] = j;
          siftDown(size);
        }
      }
      const best = Array.from(heap.subarray(0, size)).sort((p, q) => (before(p, q) ? -1 : 1));
      for (let j = 0; j < size; j++) {
        const at = (o * k + j) * inner + i;
        V[at] = col[best[j]];
        I[at] = best[j];
      }
    }
  }
}
