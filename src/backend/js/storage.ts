// Reference-backend memory: a Storage is simply a typed array of the right kind.
import type { DType, HostStorage, Storage, TypedArray } from "../types.js";

export class ArrayStorage implements HostStorage {
  /** @internal tensors sharing this storage (scope.ts counts them here) */
  refs = 0;
  constructor(
    readonly dtype: DType,
    public data: TypedArray,
  ) {}
  get length(): number {
    return this.data.length;
  }
}

export function newTypedArray(dtype: DType, length: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(length);
    case "float64":
      return new Float64Array(length);
    case "int32":
      return new Int32Array(length);
    case "bool":
      return new Uint8Array(length);
  }
}

/**
 * The typed array behind a storage. Any storage that exposes its numbers as a typed array
 * (WebAssembly memory does, through a view) can run the reference kernels.
 */
export function arr(s: Storage): TypedArray {
  const data = (s as Partial<HostStorage>).data;
  if (data === undefined) throw new Error(`reference backend: storage has no host-visible data`);
  return data;
}

/**
 * Calls visit(outIndex, offA, offB) for every element of `shape` in row-major order, where each
 * offset advances by its strides: the odometer every broadcasting kernel is built on.
 */
export function forEachStrided2(
  shape: readonly number[],
  sa: readonly number[],
  sb: readonly number[],
  visit: (i: number, a: number, b: number) => void,
): void {
  const nd = shape.length;
  let total = 1;
  for (const s of shape) total *= s;
  if (total === 0) return;
  const idx = new Array<number>(nd).fill(0);
  let a = 0;
  let b = 0;
  for (let i = 0; i < total; i++) {
    visit(i, a, b);
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      a += sa[d];
      b += sb[d];
      if (idx[d] < shape[d]) break;
      a -= sa[d] * shape[d];
      b -= sb[d] * shape[d];
      idx[d] = 0;
    }
  }
}

/** Offsets of every position of `shape` under `strides`, row-major (for small batch shapes). */
export function stridedOffsets(shape: readonly number[], strides: readonly number[]): Int32Array {
  let total = 1;
  for (const s of shape) total *= s;
  const out = new Int32Array(total);
  forEachStrided2(shape, strides, strides, (i, a) => {
    out[i] = a;
  });
  return out;
}
