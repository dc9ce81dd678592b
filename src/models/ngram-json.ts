// An n-gram model as plain JSON, and back, checking every field of untrusted input.
//
//   { "format": "decoding-gpt/ngram", "version": 1, "n": 2, "vocabSize": 65,
//     "smoothing": { "kind": "kneser-ney" }, "tokens": 1003854, "sequences": 1,
//     "counts": [[w, c, w, c, …], [h₁, w, c, …], …],   // counts[L]: groups of L context ids, next, count
//     "meta": { … } }                                      // free-form: the tokenizer, the source, …
import { MAX_ORDER, NgramModel, type Smoothing } from "./ngram.js";

export const NGRAM_FORMAT = "decoding-gpt/ngram";

export interface NgramJson {
  format: typeof NGRAM_FORMAT;
  version: 1;
  n: number;
  vocabSize: number;
  smoothing: Smoothing;
  tokens: number;
  sequences: number;
  counts: number[][];
  meta?: Record<string, unknown>;
}

export function ngramToJSON(model: NgramModel, meta?: Record<string, unknown>): NgramJson {
  const counts = model.tables.map((table, L) => {
    const flat: number[] = [];
    for (const [key, row] of table.rows) {
      const ctx = model.codec.decode(key, L);
      for (const [w, c] of row.next) flat.push(...ctx, w, c);
    }
    return flat;
  });
  return {
    format: NGRAM_FORMAT,
    version: 1,
    n: model.n,
    vocabSize: model.vocabSize,
    smoothing: model.smoothing,
    tokens: model.tokens,
    sequences: model.sequences,
    counts,
    ...(meta ? { meta } : {}),
  };
}

/** Rebuilds a model from ngramToJSON's output; `where` names the source in error messages. */
export function ngramFromJSON(json: unknown, where = "n-gram model"): { model: NgramModel; meta: Record<string, unknown> } {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (typeof json !== "object" || json === null || Array.isArray(json)) fail(`expected a JSON object, got ${Array.isArray(json) ? "an array" : typeof json}`);
  const o = json as Record<string, unknown>;
  if (o.format !== NGRAM_FORMAT) fail(`"format" must be "${NGRAM_FORMAT}", got ${JSON.stringify(o.format)}`);
  if (o.version !== 1) fail(`unsupported version ${JSON.stringify(o.version)} (this library reads version 1)`);
  const n = o.n;
  const V = o.vocabSize;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_ORDER) fail(`"n" must be an integer in [1, ${MAX_ORDER}], got ${JSON.stringify(n)}`);
  if (typeof V !== "number" || !Number.isInteger(V) || V < 1 || V > 2 ** 31 - 1) fail(`"vocabSize" must be a positive integer, got ${JSON.stringify(V)}`);
  let model: NgramModel;
  try {
    model = new NgramModel({ n: n as number, vocabSize: V as number, smoothing: o.smoothing as Smoothing });
  } catch (e) {
    return fail(`"smoothing": ${(e as Error).message.replace(/^NgramModel: /, "")}`);
  }
  for (const field of ["tokens", "sequences"] as const) {
    const v = o[field];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) fail(`"${field}" must be a non-negative integer, got ${JSON.stringify(v)}`);
    model[field] = v as number;
  }
  if (!Array.isArray(o.counts) || o.counts.length !== n) fail(`"counts" must be an array of ${n} arrays (one per order), got ${Array.isArray(o.counts) ? `${o.counts.length} entries` : typeof o.counts}`);
  (o.counts as unknown[]).forEach((flat, L) => {
    const group = L + 2; // L context ids, the next id, the count
    if (!Array.isArray(flat) || flat.length % group !== 0) fail(`counts[${L}] must be a flat array of groups of ${group} numbers (${L} context ids, next id, count)`);
    const arr = flat as unknown[];
    for (let g = 0; g < arr.length; g += group) {
      const ids: number[] = [];
      for (let t = 0; t < L + 1; t++) {
        const id = arr[g + t];
        if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= (V as number)) fail(`counts[${L}][${g + t}] is ${JSON.stringify(id)}, not a token id in [0, ${V})`);
        ids.push(id as number);
      }
      const c = arr[g + L + 1];
      if (typeof c !== "number" || !Number.isSafeInteger(c) || c < 1) fail(`counts[${L}][${g + L + 1}] is ${JSON.stringify(c)}, not a positive integer count`);
      let key = model.codec.empty;
      for (let l = 1; l <= L; l++) key = model.codec.prepend(ids[L - l], key, l - 1);
      if (model.tables[L].rows.get(key)?.next.has(ids[L])) fail(`counts[${L}] lists the n-gram (${ids.join(", ")}) twice`);
      model.tables[L].add(key, ids[L], c as number);
    }
  });
  const meta = o.meta;
  if (meta !== undefined && (typeof meta !== "object" || meta === null || Array.isArray(meta))) fail(`"meta" must be an object, got ${JSON.stringify(meta)}`);
  return { model, meta: (meta as Record<string, unknown> | undefined) ?? {} };
}
