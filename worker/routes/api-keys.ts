// The organization's API keys (admin keys): create, list, show, change, revoke, rotate. The secret
// is in the answer to create and rotate only; Postgres keeps its hash and display prefix. A key
// never creates or manages a key with more power than its own (see api-keys/power.ts). The
// schemas and route definitions are in api-keys-spec.ts.
import type { Context } from "hono";
import { canonicalModels } from "../api-keys/allow-list";
import { exceedingField, type KeyPower } from "../api-keys/power";
import { newApiKeySecret, storedForm } from "../api-keys/secret";
import { type ApiKeyRow, findApiKey, insertApiKey, listApiKeys, revokeApiKey, updateApiKey } from "../api-keys/store";
import type { AppEnv, Caller } from "../app-env";
import { withDb } from "../db";
import { badRequest, RouterError } from "../errors";
import { forgetApiKeys } from "../middleware/auth";
import { createKey, deleteKey, getKey, listKeys, patchKey, presentApiKey, rotateKey } from "./api-keys-spec";
import { parseLimit } from "./limit-param";
import { limitsToStore } from "./limits-spec";
import { openApiRoutes, UUID } from "./openapi-app";

const callerPower = (c: Caller): KeyPower => ({
  role: c.role,
  models: c.models ? [...c.models] : null,
  expiresAt: c.expiresAt,
});
const rowPower = (r: ApiKeyRow): KeyPower => ({ role: r.role, models: r.models, expiresAt: epochMs(r.expiresAt) });
const epochMs = (d: Date | null) => (d ? d.getTime() : null);

function assertWithinPower(wanted: KeyPower, caller: Caller, what: string): void {
  const field = exceedingField(wanted, callerPower(caller));
  if (field)
    throw new RouterError(403, {
      message: `${what} would have more power than your own key (\`${field}\`).`,
      code: "key_power_exceeded",
      param: field,
    });
}

function futureDate(expiresAt: number | null | undefined): Date | null | undefined {
  if (expiresAt === undefined || expiresAt === null) return expiresAt;
  if (expiresAt * 1000 <= Date.now()) throw badRequest("`expires_at` must be in the future.", "expires_at");
  return new Date(expiresAt * 1000);
}

const notFound = (id: string) =>
  new RouterError(404, {
    message: `No API key \`${id}\` in your organization.`,
    code: "api_key_not_found",
    param: "id",
  });

/** The key `id` of the caller's organization, which must be within the caller's power. */
async function manageable(c: Context<AppEnv>, id: string): Promise<ApiKeyRow> {
  const caller = c.get("caller");
  const row = UUID.test(id) ? await withDb(c.env, (db) => findApiKey(db, caller.organizationId, id)) : undefined;
  if (!row) throw notFound(id);
  if (row.id !== caller.apiKeyId) assertWithinPower(rowPower(row), caller, "That key");
  return row;
}

export const apiKeyRoutes = openApiRoutes()
  .openapi(createKey, async (c) => {
    const body = c.req.valid("json");
    const caller = c.get("caller");
    const models = body.models ? await canonicalModels(c.env, body.models, caller.organizationId) : null;
    const expiresAt = futureDate(body.expires_at) ?? null;
    assertWithinPower({ role: body.role, models, expiresAt: epochMs(expiresAt) }, caller, "The new key");
    const secret = newApiKeySecret();
    const row = await withDb(c.env, async (db) =>
      insertApiKey(db, {
        organizationId: caller.organizationId,
        name: body.name,
        role: body.role,
        models,
        expiresAt,
        limits: limitsToStore(body.limits, null),
        ...(await storedForm(secret)),
      }),
    );
    return c.json({ ...presentApiKey(row), key: secret }, 201);
  })
  .openapi(listKeys, async (c) => {
    const { limit: rawLimit, after } = c.req.valid("query");
    const limit = parseLimit(rawLimit, 20, 100);
    const orgId = c.get("caller").organizationId;
    if (after !== undefined && !UUID.test(after))
      throw badRequest("`after` is not one of your keys.", "after", "invalid_cursor");
    const { rows, cursorKnown } = await withDb(c.env, async (db) => ({
      rows: await listApiKeys(db, orgId, limit, after ?? null),
      cursorKnown: after === undefined || (await findApiKey(db, orgId, after)) !== undefined,
    }));
    if (!cursorKnown) throw badRequest("`after` is not one of your keys.", "after", "invalid_cursor");
    const data = rows.slice(0, limit).map(presentApiKey);
    return c.json(
      {
        object: "list" as const,
        data,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
        has_more: rows.length > limit,
      },
      200,
    );
  })
  .openapi(getKey, async (c) => {
    const { id } = c.req.valid("param");
    const row = UUID.test(id)
      ? await withDb(c.env, (db) => findApiKey(db, c.get("caller").organizationId, id))
      : undefined;
    if (!row) throw notFound(id);
    return c.json(presentApiKey(row), 200);
  })
  .openapi(patchKey, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const caller = c.get("caller");
    const row = await manageable(c, id);
    const models =
      body.models === undefined
        ? row.models
        : body.models === null
          ? null
          : await canonicalModels(c.env, body.models, caller.organizationId);
    const expiresAt = body.expires_at === undefined ? row.expiresAt : (futureDate(body.expires_at) ?? null);
    assertWithinPower({ role: row.role, models, expiresAt: epochMs(expiresAt) }, caller, "The changed key");
    const updated = await withDb(c.env, (db) =>
      updateApiKey(db, caller.organizationId, row.id, {
        name: body.name ?? row.name,
        models,
        expiresAt,
        limits: limitsToStore(body.limits, row.limits),
      }),
    );
    if (!updated)
      throw new RouterError(409, { message: `API key \`${id}\` is revoked.`, code: "key_revoked", param: "id" });
    forgetApiKeys([row.keyHash, row.previousKeyHash]);
    return c.json(presentApiKey(updated), 200);
  })
  .openapi(deleteKey, async (c) => {
    const { id } = c.req.valid("param");
    const row = await manageable(c, id);
    const revoked = await withDb(c.env, (db) => revokeApiKey(db, c.get("caller").organizationId, row.id));
    if (!revoked) throw notFound(id);
    forgetApiKeys([row.keyHash, row.previousKeyHash]);
    return c.json(presentApiKey(revoked), 200);
  })
  .openapi(rotateKey, async (c) => {
    const { id } = c.req.valid("param");
    const { grace_seconds: grace } = c.req.valid("json");
    const row = await manageable(c, id);
    const secret = newApiKeySecret();
    const updated = await withDb(c.env, async (db) =>
      updateApiKey(db, c.get("caller").organizationId, row.id, {
        ...(await storedForm(secret)),
        previousKeyHash: grace > 0 ? row.keyHash : null,
        previousKeyExpiresAt: grace > 0 ? new Date(Date.now() + grace * 1000) : null,
      }),
    );
    if (!updated)
      throw new RouterError(409, { message: `API key \`${id}\` is revoked.`, code: "key_revoked", param: "id" });
    forgetApiKeys([row.keyHash, row.previousKeyHash]);
    return c.json({ ...presentApiKey(updated), key: secret }, 200);
  });
