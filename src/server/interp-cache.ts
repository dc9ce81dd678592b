// POST /v1/interp/run_with_cache: TransformerLens's run_with_cache over HTTP. The activations at
// the named hook points for one prompt, each as {shape, dtype, data}, with data as nested arrays
// (JSON numbers) or as base64 of the little-endian float32 bytes (a quarter of the size, exact,
// and numpy.frombuffer(base64.b64decode(data), "<f4").reshape(shape) reads it). The size is
// bounded before the run, from the hook shapes: what would not fit is refused, not computed.
import { endianness } from "node:os";
import { hookShape } from "../models/gpt/hook-shapes.js";
import { badRequest } from "./errors.js";
import { PROMPT_FIELDS, requestPrompt } from "./interp-inputs.js";
import type { ServedModel } from "./models.js";

type Json = Record<string, unknown>;

/** Floats one request may ask for: 8M as base64 (32 MB of float32), 2M as JSON numbers (~40 MB of text). */
export const MAX_CACHE_FLOATS = { base64: 8 * 1024 * 1024, json: 2 * 1024 * 1024 } as const;

export const RUN_WITH_CACHE_SCHEMA: Json = {
  type: "object",
  required: ["model", "names"],
  properties: {
    ...PROMPT_FIELDS,
    names: { type: "array", items: { type: "string", minLength: 1, maxLength: 200 }, minItems: 1, maxItems: 64 },
    encoding: { type: "string", enum: ["json", "base64"] },
  },
};

/** float32 values as base64 of their little-endian bytes. */
export function float32Base64(values: Float32Array): string {
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  if (endianness() === "LE") return bytes.toString("base64");
  const le = Buffer.alloc(bytes.length);
  for (let i = 0; i < values.length; i++) le.writeFloatLE(values[i], i * 4);
  return le.toString("base64");
}

/** Checks the request and returns the job that runs it. */
export function runWithCacheJob(served: ServedModel, body: Json): () => Json {
  const { model } = served;
  const { ids, pieces } = requestPrompt(served, body);
  const encoding = (body.encoding as "json" | "base64" | undefined) ?? "json";
  const shapes = new Map<string, number[]>();
  for (const [i, name] of (body.names as string[]).entries()) {
    if (shapes.has(name)) continue;
    try {
      model.hookPoint(name); // an unknown name: the error lists the nearest ones
    } catch (err) {
      throw badRequest(`names[${i}]: ${(err as Error).message}`, "names");
    }
    const shape = hookShape(model.cfg, name, 1, ids.length);
    if (shape === null) throw badRequest(`names[${i}]: this model has the hook point "${name}" but never runs it (its architecture has no such activation)`, "names");
    if (shape === undefined) throw new Error(`run_with_cache: no shape known for the hook point "${name}"`);
    shapes.set(name, shape);
  }
  const names = [...shapes.keys()];
  const total = [...shapes.values()].reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);
  const limit = MAX_CACHE_FLOATS[encoding];
  if (total > limit) {
    const sizes = [...shapes].map(([n, s]) => `${n} [${s.join(", ")}]`).join(", ");
    throw badRequest(`the cache asked for holds ${total.toLocaleString("en-US")} floats (${sizes}), more than the ${limit.toLocaleString("en-US")} a request may have with encoding "${encoding}"; ask for fewer names or a shorter prompt${encoding === "json" ? ', or use encoding "base64"' : ""}`, "names", "cache_too_large");
  }
  return () => {
    const { cache } = model.runWithCache([ids], { namesFilter: names });
    const out: Json = {};
    for (const name of names) {
      const t = cache.get(name).contiguous();
      const data = encoding === "base64" ? float32Base64(Float32Array.from(t.dataSync())) : t.toArray();
      out[name] = { shape: t.shape, dtype: "float32", data };
    }
    return { tokens: ids, pieces, encoding, cache: out };
  };
}
