// Reading a Hugging Face config.json's fields, shared by the families: integers, numbers and
// activation names, each checked, with errors that name the family and the field.
import type { ActFn } from "../gpt/config.js";

/** Hugging Face's activation names (transformers' ACT2FN) that our MLP computes exactly. */
export const ACTIVATIONS: Record<string, ActFn> = {
  gelu_new: "gelu_new",
  gelu_pytorch_tanh: "gelu_new", // the same tanh approximation
  gelu: "gelu",
  relu: "relu",
  silu: "silu",
  swish: "silu",
  tanh: "tanh",
};

/** Field readers for one family's config.json ("GPT-Neo config: ..." in errors). */
export function hfFields(family: string, hf: Record<string, unknown>) {
  const present = (field: string) => hf[field] !== undefined && hf[field] !== null;
  /** A positive integer; `fallback` when the field is absent or null (else absent is an error). */
  const int = (field: string, fallback?: number): number => {
    if (!present(field) && fallback !== undefined) return fallback;
    const v = hf[field];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) throw new Error(`${family} config: "${field}" must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  };
  /** A positive number; `fallback` when absent or null. */
  const num = (field: string, fallback: number): number => {
    if (!present(field)) return fallback;
    const v = hf[field];
    if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v)) throw new Error(`${family} config: "${field}" must be a positive number, got ${JSON.stringify(v)}`);
    return v;
  };
  /** Our activation for the field's Hugging Face name. */
  const act = (field: string, fallback: string): ActFn => {
    const name = present(field) ? hf[field] : fallback;
    const fn = typeof name === "string" ? ACTIVATIONS[name] : undefined;
    if (!fn) throw new Error(`${family} config: ${field} ${JSON.stringify(name)} is not supported (supported: ${Object.keys(ACTIVATIONS).join(", ")})`);
    return fn;
  };
  /** d_model / n_heads, which must divide. */
  const headDim = (d_model: number, n_heads: number, dField: string, hField: string): number => {
    if (d_model % n_heads !== 0) throw new Error(`${family} config: ${dField} (${d_model}) is not divisible by ${hField} (${n_heads})`);
    return d_model / n_heads;
  };
  return { present, int, num, act, headDim };
}
