// GET /openapi.json: one OpenAPI 3.1 document for the whole app. Route groups built with
// createRoute (routes/*.ts on OpenAPIHono) bring their own definitions when mounted; the routes
// that validate by hand are described here. A new route group registers its description in
// `describedElsewhere` below — the one place; test/workers/openapi.test.ts fails until it does.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { describeAudio } from "./audio";
import { describeFleet } from "./fleet";
import { describeClientApi } from "./inference";
import { describeOperations } from "./operations";
import type { Registry } from "./registry";

const describedElsewhere: ((registry: Registry) => void)[] = [
  describeClientApi,
  describeAudio,
  describeFleet,
  describeOperations,
];

function describeSecurity(registry: Registry): void {
  registry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "`Authorization: Bearer sk-…`, an API key of the organization",
  });
  registry.registerComponent("securitySchemes", "apiKeyHeader", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "The same API key, in `X-API-Key` instead of Authorization",
  });
  registry.registerComponent("securitySchemes", "workerToken", {
    type: "http",
    scheme: "bearer",
    description: "`Authorization: Bearer wt-…`, the instance's worker token (POST /deployments answers it)",
  });
}

/** Describes the hand-validated routes and serves the merged document at GET /openapi.json. */
export function serveOpenApi(app: OpenAPIHono<AppEnv>): void {
  describeSecurity(app.openAPIRegistry);
  for (const describe of describedElsewhere) describe(app.openAPIRegistry);
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: {
      title: "Inventiv edge router",
      version: "0.1.0",
      description:
        "OpenAI-compatible inference over a self-hosted GPU fleet, and the operator API. " +
        'Every error is OpenAI\'s body `{"error":{"message","type","param","code"}}` (the `Error` schema).',
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
}
