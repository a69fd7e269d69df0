// Error bodies in vLLM's shape (>= 0.10.1: nested under "error"), so routers see the real thing.

export interface VllmErrorBody {
  error: { message: string; type: string; param: string | null; code: number };
}

// vLLM names the error type after the HTTP status class it maps to.
const TYPES: Record<number, string> = {
  400: "BadRequestError",
  401: "UnauthorizedError",
  403: "ForbiddenError",
  404: "NotFoundError",
  408: "TimeoutError",
  413: "RequestEntityTooLargeError",
  429: "TooManyRequestsError",
  500: "InternalServerError",
  501: "NotImplementedError",
  502: "BadGatewayError",
  503: "ServiceUnavailableError",
  504: "GatewayTimeoutError",
};

export function errorType(status: number): string {
  return TYPES[status] ?? (status >= 500 ? "InternalServerError" : "BadRequestError");
}

export function vllmError(status: number, message: string, param: string | null = null): VllmErrorBody {
  return { error: { message, type: errorType(status), param, code: status } };
}

export function modelNotFound(model: string): VllmErrorBody {
  return vllmError(404, `The model \`${model}\` does not exist.`, "model");
}

/** Thrown by request parsing; the handler turns it into a JSON error response. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly body: VllmErrorBody,
  ) {
    super(body.error.message);
  }
}

export function badRequest(message: string): RequestError {
  return new RequestError(400, vllmError(400, message));
}
