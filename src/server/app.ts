// The HTTP server: Fastify with the OpenAI routes and the interpretability routes, and what keeps
// it bounded and safe — a body size limit, request bodies checked against JSON schemas (types are
// never coerced: "max_tokens": "5" is an error), an optional API key, CORS only when asked, every
// error in OpenAI's shape, one log line per request, and a shutdown that lets requests in flight
// finish for a grace period before cancelling them.
import { timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import cors from "@fastify/cors";
import { ApiError } from "./errors.js";
import { interpRoutes } from "./interp.js";
import type { ModelRegistry } from "./models.js";
import { openaiRoutes } from "./openai.js";
import type { ServerLimits } from "./request.js";
import { QueueFullError, TooManySequencesError } from "./scheduler.js";

export interface ServerOptions {
  registry: ModelRegistry;
  /** Requests must carry "Authorization: Bearer <apiKey>". */
  apiKey?: string;
  /** Largest request body in bytes (default 4 MiB). */
  bodyLimit?: number;
  /** Origins allowed by CORS: true for any; off by default. */
  cors?: boolean | string[];
  /** A request running longer is cancelled (ms, default 300 000). */
  timeoutMs?: number;
  /** Where the one line per request goes (default stderr); null for none. */
  log?: ((line: string) => void) | null;
}

export interface Server {
  app: FastifyInstance;
  registry: ModelRegistry;
  /** Stops taking requests; those in flight get `graceMs` to finish, then are cancelled. */
  shutdown(graceMs?: number): Promise<void>;
}

export async function createServer(opts: ServerOptions): Promise<Server> {
  const app = Fastify({
    bodyLimit: opts.bodyLimit ?? 4 * 1024 * 1024,
    logger: false,
    // a wrong type is the client's mistake to hear about, not to have guessed
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
    return503OnClosing: true,
    forceCloseConnections: "idle",
  });
  const shutdownCtl = new AbortController();
  const limits: ServerLimits = { timeoutMs: opts.timeoutMs ?? 300_000 };
  const log = opts.log === undefined ? (line: string) => process.stderr.write(`${line}\n`) : opts.log;

  if (opts.cors) await app.register(cors, { origin: opts.cors === true ? "*" : opts.cors });

  app.addHook("onRequest", async (req, reply) => {
    if (log) {
      const start = performance.now();
      reply.raw.once("close", () => {
        const usage = (req as { usage?: { prompt_tokens: number; completion_tokens: number } }).usage;
        const tokens = usage ? ` tokens=${usage.prompt_tokens}+${usage.completion_tokens}` : "";
        const gone = reply.raw.writableFinished ? "" : " (client left)";
        log(`${new Date().toISOString()} ${req.ip} ${req.method} ${req.url.slice(0, 200)} ${reply.raw.statusCode} ${(performance.now() - start).toFixed(0)}ms${tokens}${gone}`);
      });
    }
    if (opts.apiKey && req.method !== "OPTIONS" && req.url !== "/health") {
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
      if (!sameSecret(given, opts.apiKey)) throw new ApiError(401, "Incorrect or missing API key: send the header \"Authorization: Bearer <key>\" with the key the server was started with", "invalid_request_error", "invalid_api_key");
    }
  });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    const e = toApiError(err, app.initialConfig.bodyLimit ?? 0);
    void reply.code(e.status).headers(e.headers).send(e.toJSON());
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(new ApiError(404, `no route ${req.method} ${req.url.slice(0, 200)}; the API is under /v1 (GET /v1/models lists the models)`, "invalid_request_error", "unknown_route").toJSON());
  });

  app.get("/health", async () => {
    const models = await opts.registry.loaded();
    return { status: "ok", models: models.map((m) => ({ id: m.id, ...m.scheduler.load })) };
  });
  openaiRoutes(app, opts.registry, limits, shutdownCtl.signal);
  interpRoutes(app, opts.registry, limits, shutdownCtl.signal);

  return {
    app,
    registry: opts.registry,
    async shutdown(graceMs = 10_000) {
      const closed = app.close(); // stops listening; requests in flight go on
      const timer = setTimeout(() => shutdownCtl.abort(), graceMs);
      try {
        for (const m of await opts.registry.loaded()) await m.scheduler.idle();
        shutdownCtl.abort(); // anything that still waits for a turn
        await closed;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Any error as the OpenAI-shaped error that answers it. */
export function toApiError(err: unknown, bodyLimit: number): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof TooManySequencesError) return new ApiError(400, err.message, "invalid_request_error", "too_many_sequences", "n");
  if (err instanceof QueueFullError) return new ApiError(429, err.message, "rate_limit_error", "rate_limit_exceeded", null, { "Retry-After": String(err.retryAfterSeconds) });
  const e = err as FastifyError & { validation?: { instancePath: string; message?: string; params?: Record<string, unknown> }[] };
  if (e.validation?.length) {
    const v = e.validation[0];
    const path = v.instancePath.replace(/^\//, "").replace(/\//g, ".");
    const missing = typeof v.params?.missingProperty === "string" ? v.params.missingProperty : null;
    const param = missing ?? (path || null);
    const allowed = Array.isArray(v.params?.allowedValues) ? `: ${(v.params.allowedValues as unknown[]).join(", ")}` : "";
    const message = missing ? `"${missing}" is required` : `${param ?? "the body"} ${v.message ?? "is invalid"}${allowed}`;
    return new ApiError(400, message, "invalid_request_error", null, param?.split(".")[0] ?? null);
  }
  switch (e.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ApiError(400, `the request body is not valid JSON: ${e.message}`, "invalid_request_error", "invalid_json");
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new ApiError(413, `the request body is larger than the server's limit of ${bodyLimit} bytes`, "invalid_request_error", "body_too_large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ApiError(415, "send the body as JSON (Content-Type: application/json)", "invalid_request_error", "unsupported_media_type");
  }
  if (err instanceof SyntaxError) return new ApiError(400, `the request body is not valid JSON: ${err.message}`, "invalid_request_error", "invalid_json");
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) return new ApiError(e.statusCode, e.message);
  // an error of the library (a bad id deep inside an analysis, a shape it refuses) is the request's fault when it names one
  return new ApiError(500, `the server failed: ${(err as Error).message ?? String(err)}`, "server_error");
}
