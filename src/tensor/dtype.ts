// Data types and how they combine. Floats carry gradients; int32 holds indices; bool holds masks.
import type { DType, TypedArray } from "../backend/types.js";

export type { DType, TypedArray };

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

export function isFloat(d: DType): boolean {
  return d === "float32" || d === "float64";
}

/** Type promotion as in PyTorch for these four types: bool < int32 < float32 < float64. */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The float type an op like exp() computes in: floats keep theirs, others become float32. */
export function floatTypeOf(d: DType): DType {
  return isFloat(d) ? d : "float32";
}

export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof Uint8Array) return "bool";
  throw new Error(`unsupported typed array ${(a as object).constructor.name}`);
}

export function checkDType(d: unknown, op: string): DType {
  if (d === "float32" || d === "float64" || d === "int32" || d === "bool") return d;
  throw new Error(`${op}: unknown dtype ${JSON.stringify(d)} (expected "float32", "float64", "int32" or "bool")`);
}

export function makeTypedArray(dtype: DType, data: ArrayLike<number> | number): TypedArray {
  switch (dtype) {
    case "float32":
      return typeof data === "number" ? new Float32Array(data) : Float32Array.from(data);
    case "float64":
      return typeof data === "number" ? new Float64Array(data) : Float64Array.from(data);
    case "int32":
      return typeof data === "number" ? new Int32Array(data) : Int32Array.from(data);
    case "bool":
      return typeof data === "number" ? new Uint8Array(data) : Uint8Array.from(data, (v) => (Number(v) !== 0 ? 1 : 0)); // NaN → true
  }
}
