// POST /v1/interp/steer: generation with activation additions at blocks.L.hook_resid_pre, as
// `dgpt steer actadd` runs it (src/steer): each entry adds c·v to the residual stream, v being
//   a vector of d_model numbers given in the request — added at every position ≥ start (CAA style), or
//   ActAdd's h_L(positive) − h_L(negative) from two texts — (n, d), row j added at position start + j.
// The steering hooks are model-wide, so the whole generation runs as one exclusive job; with
// compare: true the same seed also generates without steering (steerGenerations), for a
// before/after pair that differs only by the steering.
import { type ActivationAddition, generateSteered, steerGenerations } from "../steer/steer.js";
import { actAddVector, residHook } from "../steer/vectors.js";
import { tensor } from "../tensor/creation.js";
import { Generator } from "../tensor/random.js";
import { badRequest } from "./errors.js";
import { checkLayer, clip, generationRequest, pieceOf, PROMPT_VALUE, promptIds, tokenizerFor } from "./interp-inputs.js";
import type { ServedModel } from "./models.js";

type Json = Record<string, unknown>;

export const STEER_SCHEMA: Json = {
  type: "object",
  required: ["model", "prompt", "steering"],
  properties: {
    model: { type: "string", maxLength: 300 },
    prompt: PROMPT_VALUE,
    prepend_bos: { type: "boolean" },
    steering: {
      type: "array",
      minItems: 1,
      maxItems: 16,
      items: {
        type: "object",
        required: ["layer", "coefficient"],
        properties: {
          layer: { type: "integer" },
          coefficient: { type: "number" },
          vector: { type: "array", items: { type: "number" }, minItems: 1, maxItems: 65_536 },
          pair: { type: "object", required: ["positive", "negative"], properties: { positive: { type: "string", minLength: 1, maxLength: 100_000 }, negative: { type: "string", minLength: 1, maxLength: 100_000 } } },
          /** ActAdd: the one-token text that pads the shorter of the pair's texts (default a space). */
          pad: { type: "string", minLength: 1, maxLength: 100 },
          start: { type: "integer", minimum: 0 },
        },
      },
    },
    max_tokens: { type: "integer", minimum: 0 },
    temperature: { type: "number", minimum: 0, maximum: 2 },
    top_k: { type: "integer", minimum: -1 },
    top_p: { type: "number", exclusiveMinimum: 0, maximum: 1 },
    seed: { type: "integer" },
    compare: { type: "boolean" },
  },
};

/** One steering entry, checked; the vector is built inside the job (a tensor must not outlive it). */
interface Entry {
  layer: number;
  coef: number;
  start: number;
  vector: number[] | null;
  pair: { positive: number[]; negative: number[]; pad?: number } | null;
}

function readEntry(served: ServedModel, e: Json, i: number, bos: boolean): Entry {
  const { model } = served;
  const field = `steering[${i}]`;
  const layer = checkLayer(model, e.layer as number, `${field}.layer`);
  if ((e.vector === undefined) === (e.pair === undefined)) throw badRequest(`${field}: give either "vector" (d_model = ${model.cfg.d_model} numbers) or "pair" ({"positive": text, "negative": text}), not ${e.vector === undefined ? "neither" : "both"}`, "steering");
  const entry: Entry = { layer, coef: e.coefficient as number, start: (e.start as number | undefined) ?? 0, vector: null, pair: null };
  if (e.vector !== undefined) {
    const v = e.vector as number[];
    if (v.length !== model.cfg.d_model) throw badRequest(`${field}.vector: ${v.length} numbers, but the model's d_model is ${model.cfg.d_model}`, "steering");
    entry.vector = v;
    return entry;
  }
  const pair = e.pair as { positive: string; negative: string };
  const positive = promptIds(served, pair.positive, `${field}.pair.positive`, bos);
  const negative = promptIds(served, pair.negative, `${field}.pair.negative`, bos);
  entry.pair = { positive, negative };
  if (positive.length !== negative.length) {
    // ActAdd pads the shorter text at its end, with a space by default (Turner et al.)
    const padText = (e.pad as string | undefined) ?? " ";
    const pad = tokenizerFor(served, `${field}.pad`).encode(padText);
    if (pad.length !== 1) throw badRequest(`${field}.pad: the pair's texts have ${positive.length} and ${negative.length} tokens, and the pad "${clip(padText)}" that evens them out must be one token, but it is ${pad.length}`, "steering");
    entry.pair.pad = pad[0];
  }
  return entry;
}

export function steerJob(served: ServedModel, body: Json): () => Json {
  const { model } = served;
  const bos = body.prepend_bos !== false;
  const prompt = promptIds(served, body.prompt as string | number[], "prompt", bos);
  const entries = (body.steering as Json[]).map((e, i) => readEntry(served, e, i, bos));
  const { maxTokens, seed, gen, finish } = generationRequest(served, body, prompt);
  const piece = pieceOf(served);
  return () => {
    const steering: ActivationAddition[] = entries.map((e) => ({
      kind: "add",
      layer: e.layer,
      coef: e.coef,
      start: e.start,
      vector: e.vector ? tensor(e.vector) : actAddVector(model, e.pair!.positive, e.pair!.negative, e.layer, { padToken: e.pair!.pad }),
    }));
    const described = steering.map((s) => ({ hook: residHook(model, s.layer), coefficient: s.coef, start: s.start, positions: s.vector.ndim === 2 ? s.vector.shape[0] : null, vectorNorms: Array.from(s.vector.norm(2, -1).reshape(-1).dataSync(), Number) }));
    const out: Json = { prompt: { tokens: prompt, pieces: prompt.map(piece) }, seed, max_tokens: maxTokens, steering: described };
    if (body.compare === true) {
      const { before, after } = steerGenerations(model, prompt, steering, { ...gen, seed });
      const unsteered = finish(before);
      return { ...out, ...finish(after), unsteered_text: unsteered.text, unsteered_tokens: unsteered.tokens, unsteered_finish_reason: unsteered.finish_reason };
    }
    return { ...out, ...finish(generateSteered(model, prompt, steering, { ...gen, generator: new Generator(seed) })) };
  };
}
