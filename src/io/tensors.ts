// Tensors ⇄ safetensors bytes: the bridge between the format (./safetensors.ts) and Tensor.
// Core code (no Node APIs): use it on bytes from fetch() in a browser as well.
import { Tensor } from "../tensor/tensor.js";
import { parseSafetensors, serializeSafetensors, type ReadOptions } from "./safetensors.js";
import { backend } from "../backend/index.js";

/** Encodes named tensors (a state dict) as safetensors bytes, with optional string metadata. */
export function saveTensors(tensors: Record<string, Tensor> | Map<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const out: Record<string, { dtype: Tensor["dtype"]; shape: number[]; data: ReturnType<Tensor["dataSync"]> }> = {};
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new Error(`saveTensors: "${name}" is not a Tensor`);
    out[name] = { dtype: t.dtype, shape: [...t.shape], data: backend().read(t.storage) };
  }
  return serializeSafetensors(out, metadata);
}

/** Decodes safetensors bytes into named tensors (F16/BF16 become float32, I64 becomes int32). */
export function loadTensors(bytes: Uint8Array, opts?: ReadOptions): { tensors: Record<string, Tensor>; metadata: Record<string, string> } {
  const { tensors, metadata } = parseSafetensors(bytes, opts);
  const out: Record<string, Tensor> = {};
  for (const [name, e] of tensors) out[name] = Tensor.fromTypedArray(e.data, e.shape);
  return { tensors: out, metadata };
}
