// OpenAI's API over the models served here: GET /v1/models, POST /v1/completions and
// POST /v1/chat/completions, whole or streamed as server-sent events, with OpenAI's field names,
// defaults and error shapes, so that the official client libraries work unchanged. Extensions
// OpenAI lacks (top_k, repetition_penalty) use vLLM's names.
import { randomBytes, randomInt } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Generator } from "../tensor/random.js";
import type { EncodeOptions, Tokenizer } from "../tokenizers/types.js";
import { utf8 } from "../tokenizers/bytes.js";
import type { ChatMessage } from "./chat.js";
import { ApiError, badRequest } from "./errors.js";
import type { ModelRegistry, ServedModel } from "./models.js";
import type { SamplingOptions, TokenLogprob } from "./sampling.js";
import type { FinishReason, SequenceResult } from "./scheduler.js";
import { abortError, requestSignal, type RequestSignal, type ServerLimits } from "./request.js";
import { openSse, type Sse } from "./sse.js";
import { CompletionText } from "./text.js";

type Json = Record<string, unknown>;

// ---------------------------------------------------------------- request schemas (Fastify checks them; types are not coerced)

const nullable = (schema: Json): Json => ({ anyOf: [schema, { type: "null" }] });
const SAMPLING: Json = {
  model: { type: "string", maxLength: 300 },
  max_tokens: nullable({ type: "integer", minimum: 0 }),
  temperature: nullable({ type: "number", minimum: 0, maximum: 2 }),
  top_p: nullable({ type: "number", exclusiveMinimum: 0, maximum: 1 }),
  top_k: nullable({ type: "integer", minimum: -1 }),
  n: nullable({ type: "integer", minimum: 1, maximum: 16 }),
  stream: nullable({ type: "boolean" }),
  stream_options: nullable({ type: "object", properties: { include_usage: { type: "boolean" } } }),
  stop: nullable({ anyOf: [{ type: "string", maxLength: 200 }, { type: "array", items: { type: "string", minLength: 1, maxLength: 200 }, maxItems: 4 }] }),
  seed: nullable({ type: "integer" }),
  presence_penalty: nullable({ type: "number", minimum: -2, maximum: 2 }),
  frequency_penalty: nullable({ type: "number", minimum: -2, maximum: 2 }),
  repetition_penalty: nullable({ type: "number", exclusiveMinimum: 0, maximum: 10 }),
  logit_bias: nullable({ type: "object", maxProperties: 300, additionalProperties: { type: "number", minimum: -100, maximum: 100 } }),
  user: { type: "string" },
};

export const COMPLETION_SCHEMA: Json = {
  type: "object",
  required: ["model", "prompt"],
  properties: {
    ...SAMPLING,
    prompt: {
      anyOf: [
        { type: "string" },
        { type: "array", items: { type: "string" }, minItems: 1, maxItems: 64 },
        { type: "array", items: { type: "integer" }, minItems: 1 },
        { type: "array", items: { type: "array", items: { type: "integer" }, minItems: 1 }, minItems: 1, maxItems: 64 },
      ],
    },
    echo: nullable({ type: "boolean" }),
    logprobs: nullable({ type: "integer", minimum: 0, maximum: 20 }),
    best_of: nullable({ type: "integer", minimum: 1, maximum: 1 }),
    suffix: { type: "null" },
  },
};

const CONTENT_PART: Json = { type: "object", required: ["type"], properties: { type: { type: "string" }, text: { type: "string" } } };
export const CHAT_SCHEMA: Json = {
  type: "object",
  required: ["model", "messages"],
  properties: {
    ...SAMPLING,
    max_completion_tokens: nullable({ type: "integer", minimum: 0 }),
    messages: {
      type: "array",
      minItems: 1,
      maxItems: 1000,
      items: {
        type: "object",
        required: ["role"],
        properties: {
          role: { type: "string", enum: ["system", "developer", "user", "assistant", "tool"] },
          content: nullable({ anyOf: [{ type: "string" }, { type: "array", items: CONTENT_PART }] }),
          name: { type: "string" },
        },
      },
    },
    logprobs: nullable({ type: "boolean" }),
    top_logprobs: nullable({ type: "integer", minimum: 0, maximum: 20 }),
  },
};

// ---------------------------------------------------------------- the parts both endpoints share


/** What one generation request asks, read and checked. */
interface Plan {
  served: ServedModel;
  tokenizer: Tokenizer;
  prompts: number[][];
  n: number;
  maxTokens: (promptLength: number) => number;
  sampling: SamplingOptions;
  seed: number | null;
  stops: string[];
  /** Alternatives per token for logprobs, or null for no logprobs. */
  logprobs: number | null;
  stream: boolean;
  includeUsage: boolean;
}

interface Choice {
  index: number;
  prompt: number[];
  text: CompletionText;
  tokens: (TokenLogprob & { top?: TokenLogprob[] })[];
  result?: SequenceResult;
}

function sampling(body: Json, tokenizer: Tokenizer, served: ServedModel): SamplingOptions {
  const num = (k: string): number | undefined => (typeof body[k] === "number" ? (body[k] as number) : undefined);
  const topK = num("top_k");
  const bias = new Map<number, number>();
  for (const [key, value] of Object.entries((body.logit_bias as Json | null) ?? {})) {
    const id = Number(key);
    if (!/^\d+$/.test(key) || id >= served.model.cfg.d_vocab) throw badRequest(`logit_bias: "${key}" is no token id of this model (0 … ${served.model.cfg.d_vocab - 1})`, "logit_bias");
    bias.set(id, value as number);
  }
  void tokenizer;
  return {
    temperature: num("temperature") ?? 1,
    topP: num("top_p"),
    topK: topK === undefined || topK <= 0 ? undefined : topK, // vLLM: -1 (or 0) means every token
    presencePenalty: num("presence_penalty"),
    frequencyPenalty: num("frequency_penalty"),
    repetitionPenalty: num("repetition_penalty"),
    logitBias: bias,
  };
}

function planFor(served: ServedModel, body: Json, prompts: number[][], defaultMax: number | null, logprobs: number | null, maxTokensField: unknown): Plan {
  const { n_ctx, d_vocab } = served.model.cfg;
  for (const p of prompts) {
    for (const id of p) if (!(Number.isInteger(id) && id >= 0 && id < d_vocab)) throw badRequest(`token id ${id} is outside this model's vocabulary [0, ${d_vocab})`, "prompt");
    if (p.length === 0) throw badRequest("the prompt has no tokens", "prompt");
    if (p.length > n_ctx) throw badRequest(`this model's maximum context length is ${n_ctx} tokens, but the prompt has ${p.length}`, "prompt", "context_length_exceeded");
  }
  const asked = typeof maxTokensField === "number" ? maxTokensField : defaultMax;
  const stop = body.stop;
  const streamOptions = body.stream_options as { include_usage?: boolean } | null | undefined;
  return {
    served,
    tokenizer: served.tokenizer!,
    prompts,
    n: (body.n as number | null) ?? 1,
    // clamped to the context left after the prompt
    maxTokens: (len) => Math.min(asked ?? n_ctx, n_ctx - len),
    sampling: sampling(body, served.tokenizer!, served),
    seed: (body.seed as number | null) ?? null,
    stops: typeof stop === "string" ? [stop].filter((s) => s !== "") : ((stop as string[] | null) ?? []),
    logprobs,
    stream: body.stream === true,
    includeUsage: streamOptions?.include_usage === true,
  };
}

/**
 * Runs every choice of a plan through the model's scheduler; `onText` sees each choice's new text
 * as it is released (streaming). Resolves when all are done; rejects with 408 on the time limit.
 */
async function runPlan(plan: Plan, signal: AbortSignal, onToken?: (c: Choice, text: string, token: TokenLogprob & { top?: TokenLogprob[] }) => void, promptLogprobs = false): Promise<Choice[]> {
  const { scheduler } = plan.served;
  const eos = plan.tokenizer.eosTokenId;
  const choices: Choice[] = [];
  const runs: Promise<unknown>[] = [];
  for (const [pi, prompt] of plan.prompts.entries()) {
    for (let j = 0; j < plan.n; j++) {
      const c: Choice = { index: pi * plan.n + j, prompt, text: new CompletionText(plan.tokenizer, prompt, plan.stops), tokens: [] };
      choices.push(c);
      const seed = plan.seed === null ? randomInt(2 ** 31) : plan.seed + c.index;
      runs.push(
        scheduler
          .generate({
            prompt,
            maxTokens: plan.maxTokens(prompt.length),
            sampling: plan.sampling,
            generator: new Generator(seed),
            stopTokens: eos === undefined ? [] : [eos],
            logprobs: plan.logprobs,
            promptLogprobs,
            signal,
            onToken: (token) => {
              const text = c.text.push(token.id);
              if (plan.logprobs !== null) c.tokens.push(token);
              onToken?.(c, text, token);
              return c.text.stopped;
            },
          })
          .then((r) => {
            c.result = r;
            if (r.finishReason !== "stop" || !c.text.stopped) {
              const rest = c.text.flush();
              if (rest) onToken?.(c, rest, { id: -1, logprob: NaN });
            }
          }),
      );
    }
  }
  const settled = await Promise.allSettled(runs);
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return choices;
}

const finishReason = (c: Choice): FinishReason => c.result?.finishReason ?? "cancelled";

function usage(choices: Choice[]): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  // a prompt shared by n choices is counted once, as OpenAI counts it
  const prompts = new Set(choices.map((c) => c.prompt));
  const prompt = [...prompts].reduce((s, p) => s + p.length, 0);
  const completion = choices.reduce((s, c) => s + (c.result?.completionTokens ?? c.tokens.length), 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function ensureTokenizer(served: ServedModel): Tokenizer {
  if (!served.tokenizer) throw badRequest(`the model "${served.id}" has no tokenizer (tokenizer.json), so it cannot read or write text`, "model");
  return served.tokenizer;
}

const newId = (prefix: string): string => `${prefix}-${randomBytes(12).toString("hex")}`;
const now = (): number => Math.floor(Date.now() / 1000);

/** A text's token ids; a text the tokenizer cannot encode (a character outside its vocabulary) is the request's mistake. */
function encodeText(tok: Tokenizer, text: string, param: string, options: EncodeOptions): number[] {
  try {
    return (tok.encode as (t: string, o: EncodeOptions) => number[])(text, options);
  } catch (err) {
    throw badRequest(`${param}: ${(err as Error).message}`, param);
  }
}

function tokenText(tok: Tokenizer, id: number): string {
  return tok.decode([id]);
}

// ---------------------------------------------------------------- /v1/completions

/** The legacy completions logprobs object: tokens, their log-probabilities, alternatives, offsets. */
function completionLogprobs(tok: Tokenizer, entries: ((TokenLogprob & { top?: TokenLogprob[] }) | null)[], ids: number[], start: number) {
  const tokens = ids.map((id) => tokenText(tok, id));
  const text_offset: number[] = [];
  let at = start;
  for (const t of tokens) {
    text_offset.push(at);
    at += t.length;
  }
  return {
    tokens,
    token_logprobs: entries.map((e) => (e ? e.logprob : null)),
    top_logprobs: entries.map((e) => (e?.top ? Object.fromEntries(e.top.map((t) => [tokenText(tok, t.id), t.logprob])) : null)),
    text_offset,
  };
}

async function completions(registry: ModelRegistry, limits: ServerLimits, shutdown: AbortSignal, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = req.body as Json;
  const served = await registry.get(body.model);
  const tok = ensureTokenizer(served);
  const p = body.prompt;
  // as Hugging Face's tokenizer(text) does: with the tokens its post-processor adds (Llama's <s>; GPT-2's none)
  const encode = (text: string) => encodeText(tok, text, "prompt", { addSpecialTokens: true });
  const prompts: number[][] = typeof p === "string" ? [encode(p)] : typeof (p as unknown[])[0] === "string" ? (p as string[]).map(encode) : typeof (p as unknown[])[0] === "number" ? [p as number[]] : (p as number[][]);
  const echo = body.echo === true;
  const logprobs = typeof body.logprobs === "number" ? body.logprobs : null;
  const plan = planFor(served, body, prompts, 16, logprobs, body.max_tokens);
  const id = newId("cmpl");
  const created = now();
  const model = served.id;
  served.scheduler.reserve(plan.prompts.length * plan.n); // 429 now, before any answer starts
  const sig = requestSignal(req, reply, limits, shutdown);
  try {
    if (plan.stream) {
      const sse = openSse(reply);
      const send = (c: Choice, text: string, lp: object | null, finish: FinishReason | null) => sse.send({ id, object: "text_completion", created, model, choices: [{ index: c.index, text, logprobs: lp, finish_reason: finish }] });
      if (echo) for (let i = 0; i < plan.prompts.length * plan.n; i++) sse.send({ id, object: "text_completion", created, model, choices: [{ index: i, text: tok.decode(plan.prompts[Math.floor(i / plan.n)]), logprobs: null, finish_reason: null }] });
      const choices = await runStream(sse, sig, limits, () =>
        runPlan(plan, sig.signal, (c, text, token) => {
          if (!text && token.id < 0) return;
          send(c, text, token.id >= 0 && logprobs !== null ? completionLogprobs(tok, [token], [token.id], 0) : null, null);
        }),
      );
      if (!choices) return reply;
      for (const c of choices) send(c, "", null, apiFinish(c));
      const u = usage(choices);
      (req as { usage?: unknown }).usage = u;
      if (plan.includeUsage) sse.send({ id, object: "text_completion", created, model, choices: [], usage: u });
      sse.end();
      return reply;
    }
    const { choices, u } = await runWhole(req, plan, sig, limits, echo && logprobs !== null);
    return {
      id,
      object: "text_completion",
      created,
      model,
      system_fingerprint: null,
      choices: choices.map((c) => {
        const promptText = echo ? tok.decode(c.prompt) : "";
        let lp = null;
        if (logprobs !== null) {
          const gen = completionLogprobs(tok, c.tokens, c.tokens.map((t) => t.id), promptText.length);
          if (echo) {
            const promptEntries = [null, ...(c.result?.promptLogprobs ?? [])];
            const pl = completionLogprobs(tok, promptEntries, c.prompt, 0);
            lp = { tokens: [...pl.tokens, ...gen.tokens], token_logprobs: [...pl.token_logprobs, ...gen.token_logprobs], top_logprobs: [...pl.top_logprobs, ...gen.top_logprobs], text_offset: [...pl.text_offset, ...gen.text_offset] };
          } else lp = gen;
        }
        return { index: c.index, text: promptText + c.text.text, logprobs: lp, finish_reason: apiFinish(c) };
      }),
      usage: u,
    };
  } finally {
    sig.done();
  }
}

/** Runs a plan to its end for an answer in one piece; the usage also goes to the request's log line. */
async function runWhole(req: FastifyRequest, plan: Plan, sig: RequestSignal, limits: ServerLimits, promptLogprobs = false): Promise<{ choices: Choice[]; u: ReturnType<typeof usage> }> {
  const choices = await runPlan(plan, sig.signal, undefined, promptLogprobs);
  const why = sig.reason();
  if (why) throw abortError(why, limits);
  const u = usage(choices);
  (req as { usage?: unknown }).usage = u;
  return { choices, u };
}

/** OpenAI knows "stop" and "length" (a cancelled choice is never answered). */
const apiFinish = (c: Choice): "stop" | "length" => (finishReason(c) === "length" ? "length" : "stop");

/** Runs a streamed plan; a failure after the stream began is sent as an error event before the end. Null when the stream ended early. */
async function runStream(sse: Sse, sig: RequestSignal, limits: ServerLimits, run: () => Promise<Choice[]>): Promise<Choice[] | null> {
  try {
    const choices = await run();
    const why = sig.reason();
    if (why) throw abortError(why, limits);
    return choices;
  } catch (err) {
    const e = err instanceof ApiError ? err : new ApiError(500, (err as Error).message);
    sse.send(e.toJSON());
    sse.end();
    return null;
  }
}

// ---------------------------------------------------------------- /v1/chat/completions

function messageText(m: Json, i: number): string {
  const c = m.content;
  if (c === null || c === undefined) return "";
  if (typeof c === "string") return c;
  return (c as Json[])
    .map((part, j) => {
      if (part.type !== "text" || typeof part.text !== "string") throw badRequest(`messages[${i}].content[${j}]: only text parts are supported (type "text"), got type "${String(part.type)}"`, `messages[${i}].content`);
      return part.text;
    })
    .join("");
}

function chatLogprobs(tok: Tokenizer, tokens: (TokenLogprob & { top?: TokenLogprob[] })[]) {
  const entry = (t: TokenLogprob) => {
    const text = tokenText(tok, t.id);
    return { token: text, logprob: t.logprob, bytes: [...utf8(text)] };
  };
  return { content: tokens.map((t) => ({ ...entry(t), top_logprobs: (t.top ?? []).map(entry) })) };
}

async function chatCompletions(registry: ModelRegistry, limits: ServerLimits, shutdown: AbortSignal, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = req.body as Json;
  const served = await registry.get(body.model);
  const tok = ensureTokenizer(served);
  if (!served.chat) throw badRequest(`the model "${served.id}" has no chat template (tokenizer_config.json "chat_template"); use /v1/completions, or start the server with --chat-template FILE`, "model", "no_chat_template");
  const messages: ChatMessage[] = (body.messages as Json[]).map((m, i) => ({ role: m.role as string, content: messageText(m, i), ...(typeof m.name === "string" ? { name: m.name } : {}) }));
  // the template writes any special tokens itself (a BOS at the start), so none are added here
  const prompt = encodeText(tok, served.chat.render(messages), "messages", {});
  const logprobs = body.logprobs === true ? ((body.top_logprobs as number | null) ?? 0) : null;
  if (body.logprobs !== true && typeof body.top_logprobs === "number" && body.top_logprobs > 0) throw badRequest("top_logprobs needs logprobs: true", "top_logprobs");
  const plan = planFor(served, body, [prompt], null, logprobs, body.max_completion_tokens ?? body.max_tokens);
  const id = newId("chatcmpl");
  const created = now();
  const model = served.id;
  served.scheduler.reserve(plan.n);
  const sig = requestSignal(req, reply, limits, shutdown);
  try {
    if (plan.stream) {
      const sse = openSse(reply);
      const chunk = (index: number, delta: Json, lp: object | null, finish: FinishReason | null) => sse.send({ id, object: "chat.completion.chunk", created, model, system_fingerprint: null, choices: [{ index, delta, logprobs: lp, finish_reason: finish }] });
      for (let i = 0; i < plan.n; i++) chunk(i, { role: "assistant", content: "" }, null, null);
      const choices = await runStream(sse, sig, limits, () =>
        runPlan(plan, sig.signal, (c, text, token) => {
          if (!text && token.id < 0) return;
          chunk(c.index, { content: text }, token.id >= 0 && logprobs !== null ? chatLogprobs(tok, [token]) : null, null);
        }),
      );
      if (!choices) return reply;
      for (const c of choices) chunk(c.index, {}, null, apiFinish(c));
      const u = usage(choices);
      (req as { usage?: unknown }).usage = u;
      if (plan.includeUsage) sse.send({ id, object: "chat.completion.chunk", created, model, system_fingerprint: null, choices: [], usage: u });
      sse.end();
      return reply;
    }
    const { choices, u } = await runWhole(req, plan, sig, limits);
    return {
      id,
      object: "chat.completion",
      created,
      model,
      system_fingerprint: null,
      choices: choices.map((c) => ({
        index: c.index,
        message: { role: "assistant", content: c.text.text, refusal: null },
        logprobs: logprobs === null ? null : chatLogprobs(tok, c.tokens),
        finish_reason: apiFinish(c),
      })),
      usage: u,
    };
  } finally {
    sig.done();
  }
}

// ---------------------------------------------------------------- routes

export function openaiRoutes(app: FastifyInstance, registry: ModelRegistry, limits: ServerLimits, shutdown: AbortSignal): void {
  const describe = (m: { id: string; created: number }) => ({ id: m.id, object: "model", created: m.created, owned_by: "decoding-gpt" });
  app.get("/v1/models", async () => ({ object: "list", data: registry.list().map(describe) }));
  app.get("/v1/models/*", async (req) => describe(await registry.get((req.params as { "*": string })["*"])));
  app.post("/v1/completions", { schema: { body: COMPLETION_SCHEMA } }, (req, reply) => completions(registry, limits, shutdown, req, reply));
  app.post("/v1/chat/completions", { schema: { body: CHAT_SCHEMA } }, (req, reply) => chatCompletions(registry, limits, shutdown, req, reply));
}
