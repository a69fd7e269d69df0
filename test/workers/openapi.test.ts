// GET /openapi.json against the app's own route table: every route is described, every error
// response is OpenAI's error body, and every keyed route names both ways to present the key.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import app from "../../worker/index";

interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}
interface Document {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string }> };
}

/** Not part of the API (static pages); none yet. */
const notApi = new Set<string>([]);
/** Routes anyone may call: no API key. */
const unkeyed = new Set(["get /health", "get /openapi.json"]);

/** Hono's `:id` and `:id{.+}` → OpenAPI's `{id}`. */
const openApiPath = (path: string) => path.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}");

async function spec(): Promise<Document> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request("http://router.test/openapi.json"), env, ctx);
  await waitOnExecutionContext(ctx);
  expect(res.status).toBe(200);
  return (await res.json()) as Document;
}

/** `method path` of every handler in the route table (middleware-only entries are ALL). */
function routeTable(): string[] {
  const routes = app.routes
    .filter((r) => r.method !== "ALL" && r.method !== "USE")
    .map((r) => `${r.method.toLowerCase()} ${openApiPath(r.path)}`)
    // The dashboard's HTML pages are not API.
    .filter((r) => !notApi.has(r) && !r.includes(" /dashboard"));
  return [...new Set(routes)].sort();
}

const described = (doc: Document) =>
  Object.entries(doc.paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`))
    .sort();

describe("GET /openapi.json", () => {
  it("is OpenAPI 3.1 with the request's origin as server, both key schemes and the Error schema", async () => {
    const doc = await spec();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: "http://router.test" }]);
    expect(doc.components.securitySchemes).toMatchObject({
      bearerAuth: { type: "http" },
      apiKeyHeader: { type: "apiKey" },
    });
    expect(doc.components.schemas.Error).toMatchObject({ properties: { error: { type: "object" } } });
  });

  it("describes exactly the routes of the route table", async () => {
    const table = routeTable();
    // The walk sees the app's routes (not an empty table that would pass anything).
    expect(table).toEqual(
      expect.arrayContaining([
        "post /v1/chat/completions",
        "get /v1/models/{id}",
        "delete /instances/{id}",
        "post /internal/worker/heartbeat",
        "post /api-keys/{id}/rotate",
      ]),
    );
    expect(described(await spec())).toEqual(table);
  });

  it("answers every error with OpenAI's error body and keys every route but the public ones", async () => {
    const doc = await spec();
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops)) {
        const route = `${method} ${path}`;
        const errors = Object.entries(op.responses).filter(([status]) => Number(status) >= 400);
        if (!unkeyed.has(route)) expect(errors.length, route).toBeGreaterThan(0);
        for (const [status, response] of errors)
          expect(response.content?.["application/json"]?.schema?.$ref, `${route} ${status}`).toBe(
            "#/components/schemas/Error",
          );
        const schemes = (op.security ?? []).flatMap(Object.keys).sort();
        if (unkeyed.has(route)) expect(schemes, route).toEqual([]);
        else if (path.startsWith("/internal/worker/")) expect(schemes, route).toEqual(["workerToken"]);
        else expect(schemes, route).toEqual(["apiKeyHeader", "bearerAuth"]);
      }
  });
});
