// Errors in OpenAI's shape, so that clients (the official libraries included) read them as they
// read OpenAI's own:  { "error": { "message", "type", "param", "code" } }  with a matching status.

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = status >= 500 ? "server_error" : "invalid_request_error",
    readonly code: string | null = null,
    readonly param: string | null = null,
    /** Extra response headers (429: Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toJSON(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400: a request field is wrong; `param` names it. */
export const badRequest = (message: string, param: string | null = null, code: string | null = null): ApiError => new ApiError(400, message, "invalid_request_error", code, param);

export const notFound = (message: string, code: string | null = null, param: string | null = null): ApiError => new ApiError(404, message, "invalid_request_error", code, param);
