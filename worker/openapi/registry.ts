// What the description modules share: the registry they write to and the error responses every
// route may answer with (OpenAI's error body, the `Error` component).
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { errorResponse } from "../routes/openapi-app";

export type Registry = OpenAPIHono<AppEnv>["openAPIRegistry"];

export const errors = {
  400: errorResponse("Invalid request (param names the field)"),
  401: errorResponse("Missing, invalid, expired or revoked key"),
  403: errorResponse("The key may not do this"),
  404: errorResponse("Not found"),
  409: errorResponse("Conflicts with the current state"),
  413: errorResponse("Body too large"),
  429: errorResponse(
    "Over the key's or organization's limits: rate_limit_exceeded (rpm, tpm, max_concurrent) or insufficient_quota (budget); see Retry-After",
  ),
  500: errorResponse("Internal error or invalid configuration"),
  502: errorResponse("The GPU host failed or answered badly"),
  503: errorResponse("No host available, or a dependency (limits included) is down; see Retry-After"),
  504: errorResponse("The GPU host did not answer in time"),
} as const;

/** The given statuses' error responses. */
export const errorsFor = (...statuses: (keyof typeof errors)[]) =>
  Object.fromEntries(statuses.map((s) => [s, errors[s]])) as Partial<typeof errors>;
