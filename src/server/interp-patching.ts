// POST /v1/interp/patching: activation patching between a clean and a corrupted prompt of the
// same length, as `dgpt interp patch` runs it (patchResidComponent for a residual-stream-shaped
// activation, [layer][position]; patchHeadsAllPos for every head's output, [layer][head]). The
// result is the library's: the metric after each patch and
//   normalized = (patched − corrupted) / (clean − corrupted)      (1 = clean behaviour, 0 = corrupted).
import { logitDiffMetric, logitMetric, type Metric, probMetric } from "../interp/patching-core.js";
import { patchHeadsAllPos, patchResidComponent, type StreamComponent } from "../interp/patching.js";
import { badRequest } from "./errors.js";
import { oneToken, pieceOf, PROMPT_VALUE, promptIds, TOKEN_VALUE } from "./interp-inputs.js";
import type { ServedModel } from "./models.js";

type Json = Record<string, unknown>;

const WHAT = ["resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out", "heads"] as const;

/** Patched runs one request may ask for (layers × positions, or layers × heads). */
export const MAX_PATCH_RUNS = 4096;

export const PATCHING_SCHEMA: Json = {
  type: "object",
  required: ["model", "clean", "corrupted", "metric", "what"],
  properties: {
    model: { type: "string", maxLength: 300 },
    clean: PROMPT_VALUE,
    corrupted: PROMPT_VALUE,
    prepend_bos: { type: "boolean" },
    metric: {
      type: "object",
      required: ["type"],
      properties: { type: { type: "string", enum: ["logit_diff", "logit", "prob"] }, correct: TOKEN_VALUE, incorrect: TOKEN_VALUE, token: TOKEN_VALUE },
    },
    what: { type: "string", enum: WHAT },
    direction: { type: "string", enum: ["denoise", "noise"] },
  },
};

/** The metric a request names, its tokens checked, as the library's Metric and as JSON. */
function requestMetric(served: ServedModel, spec: Json): { metric: Metric; json: Json } {
  const need = (field: string): number => {
    if (spec[field] === undefined) throw badRequest(`metric: type "${String(spec.type)}" needs "${field}" (a token's text or id)`, "metric");
    return oneToken(served, spec[field] as string | number, `metric.${field}`);
  };
  if (spec.type === "logit_diff") {
    const [correct, incorrect] = [need("correct"), need("incorrect")];
    return { metric: logitDiffMetric(correct, incorrect), json: { type: "logit_diff", correct, incorrect } };
  }
  const token = need("token");
  return { metric: spec.type === "prob" ? probMetric(token) : logitMetric(token), json: { type: spec.type, token } };
}

export function patchingJob(served: ServedModel, body: Json): () => Json {
  const { model } = served;
  const bos = body.prepend_bos !== false;
  const clean = promptIds(served, body.clean as string | number[], "clean", bos);
  const corrupted = promptIds(served, body.corrupted as string | number[], "corrupted", bos);
  if (clean.length !== corrupted.length) throw badRequest(`the clean prompt has ${clean.length} tokens and the corrupted one ${corrupted.length}; patching needs the same length`, "corrupted");
  const { metric, json: metricJson } = requestMetric(served, body.metric as Json);
  const what = body.what as (typeof WHAT)[number];
  if (what === "mlp_out" && model.cfg.attn_only) throw badRequest('what: this model is attention-only: it has no "mlp_out"', "what");
  const direction = (body.direction as "denoise" | "noise" | undefined) ?? "denoise";
  const { n_layers: L, n_heads: H } = model.cfg;
  const p = clean.length;
  const runs = what === "heads" ? L * H : L * p;
  if (runs > MAX_PATCH_RUNS) throw badRequest(`patching ${what} takes ${L} layers × ${what === "heads" ? `${H} heads` : `${p} positions`} = ${runs} patched runs, more than the ${MAX_PATCH_RUNS} a request may take; use a shorter prompt`, "clean", "too_large");
  const piece = pieceOf(served);
  // a position's label: its token, or clean/corrupted where the two prompts differ (as the CLI labels them)
  const positions = clean.map((id, i) => (id === corrupted[i] ? piece(id) : `${piece(id)}/${piece(corrupted[i])}`));
  return () => {
    const opts = { clean: [clean], corrupted: [corrupted], metric, direction };
    const result = what === "heads" ? patchHeadsAllPos(model, opts) : patchResidComponent(model, { ...opts, component: what as StreamComponent });
    return {
      what,
      direction,
      metric: metricJson,
      clean: { tokens: clean, pieces: clean.map(piece) },
      corrupted: { tokens: corrupted, pieces: corrupted.map(piece) },
      rows: { name: "layer", labels: Array.from({ length: L }, (_, l) => String(l)) },
      columns: what === "heads" ? { name: "head", labels: Array.from({ length: H }, (_, h) => `H${h}`) } : { name: "position", labels: positions },
      result,
    };
  };
}
