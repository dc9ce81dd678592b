// What the interpretability endpoints read from a request, checked before any work: a prompt
// (text through the model's tokenizer, or token ids), single tokens (a target, a distractor),
// layers. Every mistake is a 400 that names the field, so that a library error deep inside an
// analysis (which would be a 500) is never the first to notice it.
import type { GenerateOptions } from "../models/gpt/generate.js";
import type { HookedTransformer } from "../models/gpt/model.js";
import { TokenizerError, UnknownTokenError } from "../tokenizers/errors.js";
import { toTokens } from "../tokenizers/pretrained.js";
import type { Tokenizer } from "../tokenizers/types.js";
import { badRequest } from "./errors.js";
import type { ServedModel } from "./models.js";

type Json = Record<string, unknown>;

/** A prompt as text or as token ids (JSON schema). */
export const PROMPT_VALUE: Json = { anyOf: [{ type: "string", maxLength: 1_000_000 }, { type: "array", items: { type: "integer" }, minItems: 1, maxItems: 100_000 }] };

/** A single token as its text or its id (JSON schema). */
export const TOKEN_VALUE: Json = { anyOf: [{ type: "string", minLength: 1, maxLength: 1000 }, { type: "integer" }] };

/** The fields every single-prompt endpoint takes: model, and prompt (text) or tokens (ids). */
export const PROMPT_FIELDS: Json = {
  model: { type: "string", maxLength: 300 },
  prompt: { type: "string", maxLength: 1_000_000 },
  tokens: { type: "array", items: { type: "integer" }, minItems: 1, maxItems: 100_000 },
  /** Text only: put a pretrained model's BOS token in front (TransformerLens's prepend_bos; default true). */
  prepend_bos: { type: "boolean" },
};

/** A prompt as the model reads it. */
export interface Prompt {
  ids: number[];
  /** Each token's text piece (its id as text when the model has no tokenizer). */
  pieces: string[];
}

export function tokenizerFor(served: ServedModel, field: string): Tokenizer {
  if (!served.tokenizer) throw badRequest(`${field}: the model "${served.id}" has no tokenizer (tokenizer.json), so give token ids instead of text`, field);
  return served.tokenizer;
}

export const pieceOf =
  (served: ServedModel) =>
  (id: number): string =>
    served.tokenizer ? served.tokenizer.idToToken(id) : String(id);

/** Token ids must be in [0, d_vocab). */
export function checkIds(model: HookedTransformer, ids: readonly number[], field: string): void {
  const V = model.cfg.d_vocab;
  const at = ids.findIndex((id) => !(Number.isInteger(id) && id >= 0 && id < V));
  if (at >= 0) throw badRequest(`${field}[${at}]: token id ${ids[at]} is outside this model's vocabulary [0, ${V})`, field);
}

/**
 * The ids of a prompt given as text or ids, at most n_ctx of them. Text is read as the interp CLI
 * reads it: a pretrained model's BOS token first (unless prependBos is false), then the text's tokens.
 */
export function promptIds(served: ServedModel, value: string | number[], field: string, prependBos = true): number[] {
  const { n_ctx } = served.model.cfg;
  let ids: number[];
  if (typeof value === "string") {
    const tok = tokenizerFor(served, field);
    try {
      ids = toTokens(tok, value, { prependBos });
    } catch (err) {
      if (err instanceof UnknownTokenError) throw badRequest(`${field}: the ${err.what} (at index ${err.index}) is not in this model's vocabulary of ${err.vocabSize} tokens`, field);
      if (err instanceof TokenizerError) throw badRequest(`${field}: ${err.message}`, field);
      throw err;
    }
  } else {
    ids = value;
    checkIds(served.model, ids, field);
  }
  if (ids.length === 0) throw badRequest(`${field}: the prompt encodes to no tokens`, field);
  if (ids.length > n_ctx) throw badRequest(`${field}: this model's maximum context length is ${n_ctx} tokens, but the prompt has ${ids.length}`, field, "context_length_exceeded");
  return ids;
}

/** The prompt of a request with "prompt" (text) or "tokens" (ids): exactly one of them. */
export function requestPrompt(served: ServedModel, body: Json): Prompt {
  const hasText = body.prompt !== undefined;
  const hasIds = body.tokens !== undefined;
  if (hasText === hasIds) throw badRequest(hasText ? 'give the prompt as "prompt" (text) or as "tokens" (ids), not both' : 'give the prompt as "prompt" (text) or as "tokens" (token ids)', "prompt");
  const ids = hasText ? promptIds(served, body.prompt as string, "prompt", body.prepend_bos !== false) : promptIds(served, body.tokens as number[], "tokens");
  return { ids, pieces: ids.map(pieceOf(served)) };
}

/** One token given as its text (exactly one token of the vocabulary) or its id. */
export function oneToken(served: ServedModel, value: string | number, field: string): number {
  if (typeof value === "number") {
    checkIds(served.model, [value], field);
    return value;
  }
  const tok = tokenizerFor(served, field);
  const direct = tok.tokenToId(value);
  if (direct !== undefined) return direct;
  let ids: number[];
  try {
    ids = tok.encode(value);
  } catch (err) {
    if (err instanceof TokenizerError) throw badRequest(`${field}: "${clip(value)}" is not in this model's vocabulary (${err.message})`, field);
    throw err;
  }
  if (ids.length !== 1) throw badRequest(`${field}: "${clip(value)}" is ${ids.length} tokens, not one; give one token's text or its id`, field);
  return ids[0];
}

/** A layer index in [0, n_layers). */
export function checkLayer(model: HookedTransformer, layer: number, field: string): number {
  const n = model.cfg.n_layers;
  if (!(Number.isInteger(layer) && layer >= 0 && layer < n)) throw badRequest(`${field}: layer ${layer} is out of range: the model has layers 0 to ${n - 1} (n_layers = ${n})`, field);
  return layer;
}

export const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 80)}…` : s);

/** A steered generation's settings from a request (max_tokens, temperature, top_k, top_p, seed), and how its tokens are answered. */
export interface GenerationRequest {
  maxTokens: number;
  seed: number;
  gen: Omit<GenerateOptions, "generator">;
  /** The generated ids as answered: the end-of-text token that ended them is no text and is left out. */
  finish: (ids: number[]) => { tokens: number[]; text: string | null; finish_reason: "stop" | "length" };
}

export function generationRequest(served: ServedModel, body: Json, prompt: readonly number[]): GenerationRequest {
  const { model, tokenizer } = served;
  const maxTokens = Math.min((body.max_tokens as number | undefined) ?? 16, model.cfg.n_ctx - prompt.length);
  const topK = body.top_k as number | undefined;
  const eos = tokenizer?.eosTokenId;
  return {
    maxTokens,
    seed: (body.seed as number | undefined) ?? Math.floor(Math.random() * 2 ** 31),
    gen: {
      maxNewTokens: maxTokens,
      temperature: (body.temperature as number | undefined) ?? 1,
      ...(topK !== undefined && topK > 0 ? { topK } : {}), // vLLM's -1 (or 0): every token
      ...(body.top_p !== undefined ? { topP: body.top_p as number } : {}),
      ...(eos !== undefined ? { stopTokens: [eos] } : {}),
    },
    finish: (ids) => {
      const stopped = eos !== undefined && ids.at(-1) === eos;
      const kept = stopped ? ids.slice(0, -1) : ids;
      return { tokens: kept, text: tokenizer ? tokenizer.decode(kept) : null, finish_reason: stopped ? "stop" : "length" };
    },
  };
}
