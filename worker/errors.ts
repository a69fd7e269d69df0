// Every error the router itself produces, in OpenAI's shape, so the official SDKs raise typed errors.
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "conflict_error"
  | "rate_limit_error"
  | "upstream_error"
  | "timeout_error"
  | "service_unavailable";

export interface OpenAIErrorBody {
  error: { message: string; type: ErrorType | string; param: string | null; code: string | null };
}

const typeByStatus: Record<number, ErrorType> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  409: "conflict_error",
  413: "invalid_request_error",
  429: "rate_limit_error",
  502: "upstream_error",
  503: "service_unavailable",
  504: "timeout_error",
};

export class RouterError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  body(): OpenAIErrorBody {
    const type = typeByStatus[this.status] ?? (this.status >= 500 ? "api_error" : "invalid_request_error");
    return { error: { message: this.message, type, param: this.param, code: this.code } };
  }

  toResponse(extraHeaders: Record<string, string> = {}): Response {
    return Response.json(this.body(), {
      status: this.status,
      headers: { ...this.headers, ...extraHeaders },
    });
  }
}

export const badRequest = (message: string, param: string | null = null, code = "invalid_request") =>
  new RouterError(400, message, code, param);
