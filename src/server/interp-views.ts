// The one-prompt views of `dgpt interp attention | lens | dla` as endpoints, calling the same
// library functions the CLI calls and answering their results as JSON (the library's field names):
//   POST /v1/interp/attention    patterns [query][key] of every head, head detector scores, pattern statistics
//   POST /v1/interp/logit_lens   logitLens: per layer the top-k tokens, the next token's probability and rank, KL to the output
//   POST /v1/interp/dla          directLogitAttribution: per component and per head, what each adds to one logit
import { detectHead, HEAD_NAMES, attentionPatternRows, type HeadName } from "../interp/attention.js";
import { patternStats } from "../interp/attention-stats.js";
import { directLogitAttribution } from "../interp/dla.js";
import { logitLens } from "../interp/lens.js";
import { badRequest } from "./errors.js";
import { checkLayer, oneToken, pieceOf, PROMPT_FIELDS, requestPrompt, TOKEN_VALUE } from "./interp-inputs.js";
import type { ServedModel } from "./models.js";

type Json = Record<string, unknown>;

// ---------------------------------------------------------------- attention

/** Pattern entries one answer may hold (as the CLI's --json: about 120 MB of JSON). */
export const MAX_PATTERN_CELLS = 4_000_000;

export const ATTENTION_SCHEMA: Json = {
  type: "object",
  required: ["model"],
  properties: {
    ...PROMPT_FIELDS,
    layers: { type: "array", items: { type: "integer" }, minItems: 1, maxItems: 1000 },
    exclude_bos: { type: "boolean" },
    exclude_current_token: { type: "boolean" },
    error_measure: { type: "string", enum: ["mul", "abs"] },
  },
};

export function attentionJob(served: ServedModel, body: Json): () => Json {
  const { model } = served;
  const { ids, pieces } = requestPrompt(served, body);
  const { n_layers: L, n_heads: H } = model.cfg;
  const layers = body.layers === undefined ? Array.from({ length: L }, (_, l) => l) : [...new Set((body.layers as number[]).map((l, i) => checkLayer(model, l, `layers[${i}]`)))];
  const n = ids.length;
  const cells = layers.length * H * n * n;
  if (cells > MAX_PATTERN_CELLS) {
    throw badRequest(
      `${layers.length} layers × ${H} heads of ${n} × ${n} patterns are ${cells.toLocaleString("en-US")} numbers, more than the ${MAX_PATTERN_CELLS.toLocaleString("en-US")} an answer may hold: ` +
        `ask for fewer "layers" (at most ${Math.floor(MAX_PATTERN_CELLS / (H * n * n))} at ${n} tokens) or a shorter prompt`,
      "layers",
      "too_large",
    );
  }
  const detect = { excludeBos: body.exclude_bos === true, excludeCurrentToken: body.exclude_current_token === true, errorMeasure: (body.error_measure as "mul" | "abs" | undefined) ?? "mul" };
  return () => {
    // one forward pass, as `dgpt interp attention`: the detectors score the patterns returned
    const { cache } = model.runWithCache([ids], { namesFilter: model.blocks.map((_, l) => `blocks.${l}.attn.hook_pattern`) });
    const patterns = attentionPatternRows(model, ids, cache);
    // a one-token prompt has no earlier token to detect anything with: no scores
    const scores: Partial<Record<HeadName, number[][]>> = {};
    if (n >= 2) for (const name of HEAD_NAMES) scores[name] = detectHead(model, ids, name, { patterns, ...detect });
    return {
      tokens: ids,
      pieces,
      scoreNames: HEAD_NAMES,
      layers: layers.map((l) => ({
        layer: l,
        heads: patterns[l].map((rows, h) => ({
          head: h,
          pattern: rows.map((row) => Array.from(row)),
          scores: n >= 2 ? Object.fromEntries(HEAD_NAMES.map((name) => [name, scores[name]![l][h]])) : null,
          stats: patternStats(rows),
        })),
      })),
    };
  };
}

// ---------------------------------------------------------------- logit lens

export const LOGIT_LENS_SCHEMA: Json = {
  type: "object",
  required: ["model"],
  properties: { ...PROMPT_FIELDS, k: { type: "integer", minimum: 1, maximum: 50 } },
};

export function logitLensJob(served: ServedModel, body: Json): () => Json {
  const { ids, pieces } = requestPrompt(served, body);
  const k = (body.k as number | undefined) ?? 5;
  const piece = pieceOf(served);
  return () => {
    const r = logitLens(served.model, ids, { k });
    // NaN (the last position has no next token to follow) is null in JSON
    return { ...r, pieces, topText: r.topTokens.map((row) => row.map((top) => top.map(piece))) };
  };
}

// ---------------------------------------------------------------- direct logit attribution

export const DLA_SCHEMA: Json = {
  type: "object",
  required: ["model"],
  properties: { ...PROMPT_FIELDS, target: TOKEN_VALUE, incorrect: TOKEN_VALUE, pos: { type: "integer" } },
};

export function dlaJob(served: ServedModel, body: Json): () => Json {
  const { ids, pieces } = requestPrompt(served, body);
  const target = body.target === undefined ? undefined : oneToken(served, body.target as string | number, "target");
  const incorrect = body.incorrect === undefined ? undefined : oneToken(served, body.incorrect as string | number, "incorrect");
  const pos = (body.pos as number | undefined) ?? -1;
  if (!(pos >= -ids.length && pos < ids.length)) throw badRequest(`pos: ${pos} is outside the prompt's ${ids.length} positions (0 to ${ids.length - 1}, or -1 to -${ids.length} from the end)`, "pos");
  const piece = pieceOf(served);
  return () => {
    const r = directLogitAttribution(served.model, ids, { target, incorrect, pos });
    return { ...r, pieces, targetText: piece(r.target), ...(r.incorrect !== undefined ? { incorrectText: piece(r.incorrect) } : {}) };
  };
}
