// The API-key routes as OpenAPI describes them: the wire form of a key, the request bodies and the
// route definitions. The handlers that serve them are in api-keys.ts.
import { createRoute, z } from "@hono/zod-openapi";
import { apiKeyRoles } from "../../schema";
import type { ApiKeyRow } from "../api-keys/store";
import { LimitsSchema, limitsField, presentLimits } from "./limits-spec";
import { adminErrors, bearer, jsonBody, jsonResponse, pageOf, pageQuery, unixSeconds } from "./openapi-app";

const MAX_GRACE_SECONDS = 30 * 86_400;
const seconds = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null);

const ApiKeySchema = z
  .object({
    id: z.string(),
    object: z.literal("api_key"),
    name: z.string(),
    role: z.enum(apiKeyRoles),
    prefix: z.string().openapi({ description: "First characters of the secret, for humans" }),
    models: z.array(z.string()).nullable().openapi({ description: "Allow-list; null: every model" }),
    limits: LimitsSchema.nullable().openapi({
      description: "The key's own limits; null: none beyond its organization's",
    }),
    created_at: unixSeconds,
    expires_at: unixSeconds.nullable(),
    last_used_at: unixSeconds.nullable().openapi({ description: "Written in batches, up to a minute late" }),
    revoked_at: unixSeconds.nullable(),
    previous_key_expires_at: unixSeconds
      .nullable()
      .openapi({ description: "After a rotation with grace: when the old secret stops working" }),
  })
  .openapi("ApiKey");

export const ApiKeyWithSecretSchema = ApiKeySchema.extend({
  key: z.string().openapi({ description: "The secret, shown this once" }),
}).openapi("ApiKeyWithSecret");

const modelsField = z
  .array(z.string().min(1))
  .min(1)
  .max(100)
  .nullable()
  .openapi({ description: "Model uuids, Hugging Face ids or offerings (`org/code`) the key may call; null: all" });
const expiresField = z.number().int().positive().nullable().openapi({ description: "Unix seconds; null: never" });

/** Also what the dashboard's create form is checked against (dashboard/key-form.ts). */
export const CreateBody = z
  .object({
    name: z.string().min(1).max(200),
    role: z.enum(apiKeyRoles).default("member"),
    expires_at: expiresField.optional(),
    models: modelsField.optional(),
    limits: limitsField,
  })
  .openapi("CreateApiKey");

const PatchBody = z
  .object({
    name: z.string().min(1).max(200).optional(),
    expires_at: expiresField.optional(),
    models: modelsField.optional(),
    limits: limitsField,
  })
  .openapi("UpdateApiKey");

export const RotateBody = z
  .object({ grace_seconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).default(0) })
  .openapi("RotateApiKey");

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

export function presentApiKey(row: ApiKeyRow) {
  return {
    id: row.id,
    object: "api_key" as const,
    name: row.name,
    role: row.role,
    prefix: row.keyPrefix,
    models: row.models,
    limits: presentLimits(row.limits),
    created_at: seconds(row.createdAt) ?? 0,
    expires_at: seconds(row.expiresAt),
    last_used_at: seconds(row.lastUsedAt),
    revoked_at: seconds(row.revokedAt),
    previous_key_expires_at: row.previousKeyHash ? seconds(row.previousKeyExpiresAt) : null,
  };
}

const tags = ["API keys"];

export const createKey = createRoute({
  method: "post",
  path: "/api-keys",
  tags,
  summary: "Create an API key (the secret is shown once)",
  security: bearer,
  request: { body: jsonBody(CreateBody) },
  responses: { 201: jsonResponse(ApiKeyWithSecretSchema, "The new key, with its secret"), ...adminErrors },
});

export const listKeys = createRoute({
  method: "get",
  path: "/api-keys",
  tags,
  summary: "List the organization's API keys, newest first",
  security: bearer,
  request: {
    query: pageQuery,
  },
  responses: {
    200: jsonResponse(pageOf(ApiKeySchema), "A page of keys"),
    ...adminErrors,
  },
});

export const getKey = createRoute({
  method: "get",
  path: "/api-keys/{id}",
  tags,
  summary: "Show an API key",
  security: bearer,
  request: { params: IdParam },
  responses: { 200: jsonResponse(ApiKeySchema, "The key"), ...adminErrors },
});

export const patchKey = createRoute({
  method: "patch",
  path: "/api-keys/{id}",
  tags,
  summary: "Change a key's name, models, expiry or limits",
  security: bearer,
  request: { params: IdParam, body: jsonBody(PatchBody) },
  responses: { 200: jsonResponse(ApiKeySchema, "The changed key"), ...adminErrors },
});

export const deleteKey = createRoute({
  method: "delete",
  path: "/api-keys/{id}",
  tags,
  summary: "Revoke a key",
  security: bearer,
  request: { params: IdParam },
  responses: { 200: jsonResponse(ApiKeySchema, "The revoked key"), ...adminErrors },
});

export const rotateKey = createRoute({
  method: "post",
  path: "/api-keys/{id}/rotate",
  tags,
  summary: "Give a key a new secret; the old one works for grace_seconds more",
  security: bearer,
  request: { params: IdParam, body: jsonBody(RotateBody) },
  responses: {
    200: jsonResponse(ApiKeyWithSecretSchema, "The key with its new secret"),
    409: adminErrors[404],
    ...adminErrors,
  },
});
