// The reference backend: plain TypeScript loops over typed arrays. Slow but obviously right;
// every fast backend is tested against it.
import type { Backend, DType, Storage, TypedArray } from "../types.js";
import { binary, cast, fill, strided, stridedAdd, unary, where } from "./elementwise.js";
import { attention, attentionBackward, layerNorm, layerNormBackward } from "./fused.js";
import { matmul } from "./matmul.js";
import { adamw, crossEntropy, crossEntropyBackward, fold2d, gather, indexAdd, indexSelect, scatterAdd, softmax, softmaxBackward, unfold2d } from "./nn.js";
import { cumsum, reduce, sort, topk } from "./reduce.js";
import { ArrayStorage, arr, newTypedArray } from "./storage.js";

function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  return "bool";
}

export const jsBackend: Backend = {
  name: "js",
  alloc: (dtype: DType, length: number): Storage => new ArrayStorage(dtype, newTypedArray(dtype, length)),
  fromArray: (data: TypedArray): Storage => new ArrayStorage(dtypeOfArray(data), data.slice()),
  read: (s: Storage): TypedArray => arr(s),
  write: (s: Storage, data: TypedArray | readonly number[], offset = 0): void => {
    arr(s).set(data, offset);
  },
  dispose: (): void => {},
  fill,
  cast,
  unary,
  binary,
  where,
  strided,
  stridedAdd,
  reduce,
  cumsum,
  sort,
  topk,
  matmul,
  softmax,
  softmaxBackward,
  indexSelect,
  indexAdd,
  gather,
  scatterAdd,
  unfold2d,
  fold2d,
  adamw,
  crossEntropy,
  crossEntropyBackward,
  layerNorm,
  layerNormBackward,
  attention,
  attentionBackward,
};
