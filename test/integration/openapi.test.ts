// The served OpenAPI document passes a maintained OpenAPI 3.1 validator, and a zod-described body
// or query that breaks its schema is OpenAI's 400 with `param` naming the field.
import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support/stack";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ hosts: 0 });
}, 60_000);
afterAll(() => stack?.dispose());

async function errorOf(res: Response, status: number) {
  const body = await res.text();
  expect(res.status, body).toBe(status);
  return (JSON.parse(body) as { error: { type: string; param: string | null; code: string | null } }).error;
}

describe("GET /openapi.json", () => {
  it("needs no key and is a valid OpenAPI 3.1 document", async () => {
    const res = await fetch(`${stack.router.url}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Parameters<typeof SwaggerParser.validate>[0] & {
      openapi: string;
      servers: { url: string }[];
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.servers).toEqual([{ url: new URL(stack.router.url).origin }]);
    // validate() dereferences in place; keep the served document intact.
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toMatchObject({ openapi: "3.1.0" });
  });

  it("is what a validator refuses when broken (the check can fail)", async () => {
    const doc = (await (await fetch(`${stack.router.url}/openapi.json`)).json()) as Record<string, unknown>;
    await expect(SwaggerParser.validate({ ...doc, info: { title: "no version" } } as never)).rejects.toThrow();
  });
});

describe("zod-described routes", () => {
  it("answer a bad body with 400 and the field as param", async () => {
    const error = await errorOf(await stack.call("POST", "/api-keys", { body: { name: "k", role: "owner" } }), 400);
    expect(error).toMatchObject({ type: "invalid_request_error", param: "role" });
    const nested = await errorOf(await stack.call("POST", "/api-keys", { body: { name: "k", models: [""] } }), 400);
    expect(nested.param).toBe("models.0");
  });

  it("answer a bad query with 400 and the parameter as param", async () => {
    const error = await errorOf(await stack.call("GET", "/usage?from=0&to=1&group_by=planet"), 400);
    expect(error).toMatchObject({ type: "invalid_request_error", param: "group_by" });
  });
});
