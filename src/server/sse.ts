// Server-sent events as OpenAI streams them: one "data: {json}" event per chunk, then
// "data: [DONE]". The reply is taken over from Fastify (hijacked) once the stream starts, so
// everything that can fail with a status code (validation, 404, 429) must fail before.
import type { FastifyReply } from "fastify";

export interface Sse {
  send(data: unknown): void;
  /** Sends [DONE] and closes the response. */
  end(): void;
}

export function openSse(reply: FastifyReply): Sse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache",
    Connection: "keep-alive",
    "X-Accel-Buffering": "no", // a proxy in front must not hold the chunks back
    ...(reply.getHeaders() as Record<string, string>), // CORS headers set by hooks before the takeover
  });
  const open = () => !res.destroyed && !res.writableEnded;
  return {
    send(data) {
      if (open()) res.write(`data: ${JSON.stringify(data)}\n\n`);
    },
    end() {
      if (!open()) return;
      res.write("data: [DONE]\n\n");
      res.end();
    },
  };
}
