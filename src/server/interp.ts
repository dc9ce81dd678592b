// Interpretability over HTTP: the library's analyses as JSON endpoints under /v1/interp, so that
// a notebook in any language can look inside a served model. Each analysis runs alone on the
// model between two decode steps (Scheduler.exclusive) and answers numbers, never tensors that
// outlive the request.
import type { FastifyInstance } from "fastify";
import { badRequest } from "./errors.js";
import type { ModelRegistry, ServedModel } from "./models.js";

type Json = Record<string, unknown>;

const TOKENIZE_SCHEMA = {
  type: "object",
  required: ["model", "text"],
  properties: { model: { type: "string" }, text: { type: "string" }, add_special_tokens: { type: "boolean" } },
};
const DETOKENIZE_SCHEMA = {
  type: "object",
  required: ["model", "tokens"],
  properties: { model: { type: "string" }, tokens: { type: "array", items: { type: "integer" } } },
};

function tokenizerOf(served: ServedModel) {
  if (!served.tokenizer) throw badRequest(`the model "${served.id}" has no tokenizer (tokenizer.json)`, "model");
  return served.tokenizer;
}

export function interpRoutes(app: FastifyInstance, registry: ModelRegistry, shutdown: AbortSignal): void {
  void shutdown;
  app.post("/v1/interp/tokenize", { schema: { body: TOKENIZE_SCHEMA } }, async (req) => {
    const body = req.body as Json;
    const served = await registry.get(body.model);
    const tok = tokenizerOf(served);
    const text = body.text as string;
    const withSpecial = body.add_special_tokens === true;
    const ids = (tok.encode as (t: string, o: object) => number[])(text, { addSpecialTokens: withSpecial });
    return { model: served.id, tokens: ids, pieces: ids.map((id) => tok.idToToken(id)), count: ids.length };
  });
  app.post("/v1/interp/detokenize", { schema: { body: DETOKENIZE_SCHEMA } }, async (req) => {
    const body = req.body as Json;
    const served = await registry.get(body.model);
    const tok = tokenizerOf(served);
    const ids = body.tokens as number[];
    const V = served.model.cfg.d_vocab;
    const bad = ids.find((id) => id < 0 || id >= V);
    if (bad !== undefined) throw badRequest(`token id ${bad} is outside this model's vocabulary [0, ${V})`, "tokens");
    return { model: served.id, text: tok.decode(ids) };
  });
}
