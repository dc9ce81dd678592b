// Interpretability over HTTP: the library's analyses as JSON endpoints under /v1/interp, so that
// a notebook in any language can look inside a served model. Each analysis runs alone on the
// model between two decode steps (Scheduler.exclusive) and answers numbers, never tensors that
// outlive the request. A route reads and checks its request first (a mistake is a 400 naming the
// field, before the request waits for its turn), then queues the job that calls the library:
//   tokenize, detokenize                    the model's tokenizer
//   run_with_cache                          interp-cache.ts
//   attention, logit_lens, dla              interp-views.ts
//   patching                                interp-patching.ts
//   steer                                   interp-steer.ts
//   feature_steer (SAE latents)             interp-features.ts
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { badRequest } from "./errors.js";
import { RUN_WITH_CACHE_SCHEMA, runWithCacheJob } from "./interp-cache.js";
import { PATCHING_SCHEMA, patchingJob } from "./interp-patching.js";
import { STEER_SCHEMA, steerJob } from "./interp-steer.js";
import { FEATURE_STEER_SCHEMA, featureSteerJob } from "./interp-features.js";
import { ATTENTION_SCHEMA, attentionJob, DLA_SCHEMA, dlaJob, LOGIT_LENS_SCHEMA, logitLensJob } from "./interp-views.js";
import type { ModelRegistry, ServedModel } from "./models.js";
import { abortError, requestSignal, type ServerLimits } from "./request.js";

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

/** Reads a request and returns the job that answers it (run alone on the model). */
type Prepare = (served: ServedModel, body: Json) => () => Json;

const ANALYSES: [path: string, schema: Json, prepare: Prepare][] = [
  ["/v1/interp/run_with_cache", RUN_WITH_CACHE_SCHEMA, runWithCacheJob],
  ["/v1/interp/attention", ATTENTION_SCHEMA, attentionJob],
  ["/v1/interp/logit_lens", LOGIT_LENS_SCHEMA, logitLensJob],
  ["/v1/interp/dla", DLA_SCHEMA, dlaJob],
  ["/v1/interp/patching", PATCHING_SCHEMA, patchingJob],
  ["/v1/interp/steer", STEER_SCHEMA, steerJob],
];

/** Checks the request, then runs its job in the model's turn; a job still waiting when the client leaves, the time runs out or the server stops is dropped. */
async function analyse(registry: ModelRegistry, limits: ServerLimits, shutdown: AbortSignal, prepare: Prepare, req: FastifyRequest, reply: FastifyReply): Promise<Json> {
  const body = req.body as Json;
  const served = await registry.get(body.model);
  const job = prepare(served, body);
  const sig = requestSignal(req, reply, limits, shutdown);
  try {
    // a job that started runs to its end (it is synchronous); what it answers is then unwanted
    const result = await served.scheduler.exclusive(job, sig.signal);
    const why = sig.reason();
    if (why) throw abortError(why, limits);
    return { model: served.id, ...result };
  } catch (err) {
    const why = sig.reason();
    throw why ? abortError(why, limits) : err;
  } finally {
    sig.done();
  }
}

export function interpRoutes(app: FastifyInstance, registry: ModelRegistry, limits: ServerLimits, shutdown: AbortSignal): void {
  for (const [path, schema, prepare] of ANALYSES) app.post(path, { schema: { body: schema } }, (req, reply) => analyse(registry, limits, shutdown, prepare, req, reply));
  const featureSteer: Prepare = (served, body) => featureSteerJob(served, body, registry.saes);
  app.post("/v1/interp/feature_steer", { schema: { body: FEATURE_STEER_SCHEMA } }, (req, reply) => analyse(registry, limits, shutdown, featureSteer, req, reply));
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
