// What every request that runs on a model shares: its limits, and one abort signal for the three
// ways it can be cut short — the client leaving, the time limit, the server shutting down — with
// the error that answers each.
import type { FastifyReply, FastifyRequest } from "fastify";
import { ApiError } from "./errors.js";

export interface ServerLimits {
  /** A request that takes longer is cancelled (ms). */
  timeoutMs: number;
}

type AbortReason = "timeout" | "shutdown" | "client";

export interface RequestSignal {
  signal: AbortSignal;
  /** Why the request was cancelled, or null while it runs. */
  reason: () => AbortReason | null;
  done: () => void;
}

/** An abort signal for one request: the client leaving, the time limit, or shutdown. */
export function requestSignal(req: FastifyRequest, reply: FastifyReply, limits: ServerLimits, shutdown: AbortSignal): RequestSignal {
  const ctl = new AbortController();
  let reason: AbortReason | null = null;
  let finished = false;
  const abort = (why: AbortReason) => {
    if (finished || reason) return;
    reason = why;
    ctl.abort();
  };
  const timer = setTimeout(() => abort("timeout"), limits.timeoutMs);
  // the response closing before it was complete: the client left (or its connection broke)
  const onClose = () => {
    if (!reply.raw.writableFinished) abort("client");
  };
  reply.raw.once("close", onClose);
  const onShutdown = () => abort("shutdown");
  if (shutdown.aborted) onShutdown();
  shutdown.addEventListener("abort", onShutdown, { once: true });
  return {
    signal: ctl.signal,
    reason: () => reason,
    done: () => {
      finished = true;
      clearTimeout(timer);
      reply.raw.off("close", onClose);
      shutdown.removeEventListener("abort", onShutdown);
    },
  };
}

/** The error that answers a cancelled request (nobody reads it when the client left). */
export function abortError(why: AbortReason, limits: ServerLimits): ApiError {
  if (why === "timeout") return new ApiError(408, `the request took longer than the server's limit of ${limits.timeoutMs / 1000} s`, "timeout", "timeout");
  if (why === "shutdown") return new ApiError(503, "the server is shutting down", "server_error", "shutting_down");
  return new ApiError(499, "the client closed the request", "invalid_request_error", "client_closed");
}
