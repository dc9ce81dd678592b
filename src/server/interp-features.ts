// POST /v1/interp/feature_steer: generation with an SAE latent pushed, clamped or ablated while
// the model runs (src/sae/steer.ts, as `dgpt sae steer` runs it), beside the same generation
// without it from the same seed, so the two differ only by the intervention. The SAEs are the
// ones `dgpt serve --sae DIR` loaded; a request names one by its folder name, never by a path.
import { INTERVENTION_MODES, type Intervention, checkIntervention, steerGenerations } from "../sae/steer.js";
import type { SparseAutoencoder } from "../sae/sae.js";
import { hookShape } from "../models/gpt/hook-shapes.js";
import { badRequest, notFound } from "./errors.js";
import { generationRequest, PROMPT_VALUE, pieceOf, promptIds } from "./interp-inputs.js";
import type { ServedModel } from "./models.js";

type Json = Record<string, unknown>;

export const FEATURE_STEER_SCHEMA: Json = {
  type: "object",
  required: ["model", "prompt", "sae", "latent"],
  properties: {
    model: { type: "string", maxLength: 300 },
    prompt: PROMPT_VALUE,
    prepend_bos: { type: "boolean" },
    sae: { type: "string", maxLength: 300 },
    latent: { type: "integer", minimum: 0 },
    mode: { type: "string", enum: [...INTERVENTION_MODES] },
    /** add: α, the multiple of W_dec[latent] added; clamp: the value the latent is set to. */
    value: { type: "number" },
    positions: { type: "array", items: { type: "integer", minimum: 0 }, maxItems: 4096 },
    max_tokens: { type: "integer", minimum: 0 },
    temperature: { type: "number", minimum: 0, maximum: 2 },
    top_k: { type: "integer", minimum: -1 },
    top_p: { type: "number", exclusiveMinimum: 0, maximum: 1 },
    seed: { type: "integer" },
  },
};

export function featureSteerJob(served: ServedModel, body: Json, saes: ReadonlyMap<string, SparseAutoencoder>): () => Json {
  const { model } = served;
  const name = body.sae as string;
  const sae = saes.get(name);
  if (!sae) throw notFound(`no SAE "${name}" is loaded${saes.size ? ` (loaded: ${[...saes.keys()].join(", ")})` : "; start the server with --sae DIR"}`, "sae_not_found", "sae");
  const shape = hookShape(model.cfg, sae.cfg.hook_name, 1, 1);
  if (!shape) throw badRequest(`the SAE "${name}" reads ${sae.cfg.hook_name}, which the model "${served.id}" does not have`, "sae");
  const width = sae.cfg.hook_head_index === null ? shape[shape.length - 1] * (shape.length === 4 ? shape[2] : 1) : shape[shape.length - 1];
  if (width !== sae.cfg.d_in) throw badRequest(`the SAE "${name}" reads ${sae.cfg.d_in} numbers at ${sae.cfg.hook_name}, but the model "${served.id}" has ${width} there`, "sae");
  const mode = (body.mode as Intervention["mode"] | undefined) ?? "add";
  const iv: Intervention = { latent: body.latent as number, mode, value: body.value as number | undefined, positions: body.positions as number[] | undefined };
  try {
    checkIntervention(sae, iv);
  } catch (err) {
    throw badRequest((err as Error).message.replace(/^intervention: /, ""), /latent/.test((err as Error).message) ? "latent" : "value");
  }
  const bos = body.prepend_bos !== false;
  const prompt = promptIds(served, body.prompt as string | number[], "prompt", bos);
  const { maxTokens, seed, gen, finish } = generationRequest(served, body, prompt);
  const piece = pieceOf(served);
  return () => {
    const { before, after } = steerGenerations(model, sae, prompt, iv, { ...gen, seed });
    return { prompt: { tokens: prompt, pieces: prompt.map(piece) }, sae: name, hook: sae.cfg.hook_name, intervention: { latent: iv.latent, mode, value: iv.value ?? null, positions: iv.positions ?? null }, seed, max_tokens: maxTokens, steered: finish(after), unsteered: finish(before) };
  };
}
