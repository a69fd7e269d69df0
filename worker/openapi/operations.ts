// The router's own operation routes, described for GET /openapi.json: /health, /metrics, the usage
// dead letters (routes/usage-admin.ts) and the spec itself.
import { z } from "@hono/zod-openapi";
import { bearer, jsonResponse, unixSeconds } from "../routes/openapi-app";
import { errorsFor, type Registry } from "./registry";

const DatabaseHealth = z.object({
  status: z.enum(["ok", "unreachable"]),
  latency_ms: z.number().optional(),
  error: z.string().optional(),
  checked_at: z.string(),
});

const DeadLetter = z
  .object({
    object: z.literal("usage.dead_letter"),
    request_id: z.string(),
    x_request_id: z.string().nullable(),
    error: z.string(),
    failed_at: unixSeconds,
    event: z.record(z.string(), z.unknown()).openapi({ description: "The usage event Postgres refused" }),
  })
  .openapi("DeadLetter");

export function describeOperations(registry: Registry): void {
  registry.registerPath({
    method: "get",
    path: "/health",
    tags: ["Operations"],
    summary: "Is the router up, and can it reach Postgres? (no key)",
    responses: {
      200: jsonResponse(
        z.object({ status: z.enum(["ok", "degraded"]), database: DatabaseHealth }),
        "Up; `degraded` when Postgres is unreachable (inference still served)",
      ),
      ...errorsFor(500),
    },
  });
  registry.registerPath({
    method: "get",
    path: "/openapi.json",
    tags: ["Operations"],
    summary: "This document (OpenAPI 3.1, no key)",
    responses: { 200: jsonResponse(z.record(z.string(), z.unknown()), "The OpenAPI document") },
  });

  registry.registerPath({
    method: "get",
    path: "/metrics",
    tags: ["Operations"],
    summary: "Prometheus text format 0.0.4 (bearer METRICS_TOKEN: every organization; an admin key: its own)",
    security: bearer,
    responses: {
      200: { description: "The metric families", content: { "text/plain": { schema: z.string() } } },
      ...errorsFor(401, 403),
    },
  });

  const tags = ["Usage"];
  registry.registerPath({
    method: "get",
    path: "/usage/dead-letters",
    tags,
    summary: "Usage events Postgres refused, oldest first",
    security: bearer,
    request: { query: z.object({ limit: z.string().optional().openapi({ description: "1–1000, default 100" }) }) },
    responses: {
      200: jsonResponse(
        z.object({ object: z.literal("list"), data: z.array(DeadLetter), has_more: z.boolean() }),
        "The dead letters",
      ),
      ...errorsFor(400, 401, 403),
    },
  });
  registry.registerPath({
    method: "post",
    path: "/usage/dead-letters/replay",
    tags,
    summary: "Put the organization's dead letters back in the outbox",
    security: bearer,
    responses: {
      200: jsonResponse(
        z.object({ object: z.literal("usage.replay"), requeued: z.number().int() }),
        "How many were requeued",
      ),
      ...errorsFor(401, 403),
    },
  });
}
