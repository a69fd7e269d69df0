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
  | "service_unavailable"
  | "api_error";

export interface OpenAIErrorBody {
  error: { message: string; type: ErrorType | string; param: string | null; code: string | number | null };
}

const typeByStatus: Record<number, ErrorType> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  408: "invalid_request_error",
  409: "conflict_error",
  413: "invalid_request_error",
  429: "rate_limit_error",
  502: "upstream_error",
  503: "service_unavailable",
  504: "timeout_error",
};

/** The OpenAI error type for a status. */
export const errorTypeFor = (status: number): ErrorType =>
  typeByStatus[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");

const text = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);

/**
 * The one builder of OpenAI's error body. Fields may come from a host's body, so anything but a
 * non-empty string is dropped (null), except a numeric `code` (vLLM sends its HTTP status there);
 * a missing `type` is the status's.
 */
export function openAIError(
  status: number,
  fields: { message: string; type?: unknown; param?: unknown; code?: unknown },
): OpenAIErrorBody {
  return {
    error: {
      message: fields.message,
      type: text(fields.type) ?? errorTypeFor(status),
      param: text(fields.param),
      code: typeof fields.code === "number" ? fields.code : text(fields.code),
    },
  };
}

export interface RouterErrorOptions {
  message: string;
  /** Machine-readable, e.g. `invalid_api_key`; part of the public API. */
  code?: string | null;
  /** The request field at fault. */
  param?: string | null;
  /** OpenAI's `type` when it is not the status's (e.g. `insufficient_quota`, `requests`, `tokens` on a 429). */
  type?: string;
  headers?: Record<string, string>;
  cause?: unknown;
}

export class RouterError extends Error {
  readonly code: string | null;
  readonly param: string | null;
  readonly type: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    readonly status: ContentfulStatusCode,
    options: RouterErrorOptions,
  ) {
    super(options.message, { cause: options.cause });
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.type = options.type;
    this.headers = options.headers ?? {};
  }

  body(): OpenAIErrorBody {
    return openAIError(this.status, this);
  }

  toResponse(extraHeaders: Record<string, string> = {}): Response {
    return Response.json(this.body(), {
      status: this.status,
      headers: { ...this.headers, ...extraHeaders },
    });
  }
}

export const badRequest = (message: string, param: string | null = null, code = "invalid_request") =>
  new RouterError(400, { message, code, param });
