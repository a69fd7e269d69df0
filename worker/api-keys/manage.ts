// Managing the caller's organization's API keys: create, change, revoke, rotate — the one set of rules
// the admin API (routes/api-keys.ts) and the dashboard's Keys page both run. The secret is returned by
// create and rotate only; Postgres keeps its hash and display prefix. A key never creates or manages a
// key with more power than its own (power.ts). Every change drops the key's memoised lookup here, so
// it holds at once in this isolate (a revoked key's dashboard sessions end with it) and within
// AUTH_CACHE_TTL_MS elsewhere.
import type { ApiKeyRole, Limits } from "../../schema";
import type { Caller } from "../app-env";
import { withDb } from "../db";
import type { Env } from "../env";
import { badRequest, RouterError } from "../errors";
import { forgetApiKeys } from "../middleware/auth";
import { UUID } from "../uuid";
import { canonicalModels } from "./allow-list";
import { exceedingField, type KeyPower } from "./power";
import { newApiKeySecret, storedForm } from "./secret";
import { type ApiKeyRow, findApiKey, insertApiKey, revokeApiKey, updateApiKey } from "./store";

export interface NewKey {
  name: string;
  role: ApiKeyRole;
  /** Unix seconds; null or absent: never. */
  expiresAt?: number | null;
  /** Model names as the caller writes them (uuid, Hugging Face id, offering); null or absent: all. */
  models?: readonly string[] | null;
  limits?: Limits | null;
}

/** What to change; an absent field keeps what is stored, null clears it. */
export interface KeyChange {
  name?: string;
  expiresAt?: number | null;
  models?: readonly string[] | null;
  limits?: Limits | null;
}

export interface KeyWithSecret {
  row: ApiKeyRow;
  /** Shown this once; only its hash is stored. */
  secret: string;
}

const callerPower = (c: Caller): KeyPower => ({
  role: c.role,
  models: c.models ? [...c.models] : null,
  expiresAt: c.expiresAt,
});
const epochMs = (d: Date | null) => (d ? d.getTime() : null);
const rowPower = (r: ApiKeyRow): KeyPower => ({ role: r.role, models: r.models, expiresAt: epochMs(r.expiresAt) });

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

export const apiKeyNotFound = (id: string) =>
  new RouterError(404, {
    message: `No API key \`${id}\` in your organization.`,
    code: "api_key_not_found",
    param: "id",
  });

const revoked = (id: string) =>
  new RouterError(409, { message: `API key \`${id}\` is revoked.`, code: "key_revoked", param: "id" });

/** The key `id` of the caller's organization; 404 for anything else. */
export async function findOwnKey(env: Env, caller: Caller, id: string): Promise<ApiKeyRow> {
  const row = UUID.test(id) ? await withDb(env, (db) => findApiKey(db, caller.organizationId, id)) : undefined;
  if (!row) throw apiKeyNotFound(id);
  return row;
}

/** The key `id` of the caller's organization, which must be within the caller's power. */
async function manageable(env: Env, caller: Caller, id: string): Promise<ApiKeyRow> {
  const row = await findOwnKey(env, caller, id);
  if (row.id !== caller.apiKeyId) assertWithinPower(rowPower(row), caller, "That key");
  return row;
}

export async function createKey(env: Env, caller: Caller, input: NewKey): Promise<KeyWithSecret> {
  const models = input.models ? await canonicalModels(env, input.models, caller.organizationId) : null;
  const expiresAt = futureDate(input.expiresAt) ?? null;
  assertWithinPower({ role: input.role, models, expiresAt: epochMs(expiresAt) }, caller, "The new key");
  const secret = newApiKeySecret();
  const row = await withDb(env, async (db) =>
    insertApiKey(db, {
      organizationId: caller.organizationId,
      name: input.name,
      role: input.role,
      models,
      expiresAt,
      limits: input.limits ?? null,
      ...(await storedForm(secret)),
    }),
  );
  return { row, secret };
}

export async function changeKey(env: Env, caller: Caller, id: string, change: KeyChange): Promise<ApiKeyRow> {
  const row = await manageable(env, caller, id);
  const models =
    change.models === undefined
      ? row.models
      : change.models === null
        ? null
        : await canonicalModels(env, change.models, caller.organizationId);
  const expiresAt = change.expiresAt === undefined ? row.expiresAt : (futureDate(change.expiresAt) ?? null);
  assertWithinPower({ role: row.role, models, expiresAt: epochMs(expiresAt) }, caller, "The changed key");
  const updated = await withDb(env, (db) =>
    updateApiKey(db, caller.organizationId, row.id, {
      name: change.name ?? row.name,
      models,
      expiresAt,
      limits: change.limits === undefined ? row.limits : change.limits,
    }),
  );
  if (!updated) throw revoked(id);
  forgetApiKeys([row.keyHash, row.previousKeyHash]);
  return updated;
}

/** Revoked at once (a second revocation keeps the first time); its secret and its sessions stop working. */
export async function revokeKey(env: Env, caller: Caller, id: string): Promise<ApiKeyRow> {
  const row = await manageable(env, caller, id);
  const done = await withDb(env, (db) => revokeApiKey(db, caller.organizationId, row.id));
  if (!done) throw apiKeyNotFound(id);
  forgetApiKeys([row.keyHash, row.previousKeyHash]);
  return done;
}

/** A new secret; the old one keeps working for `graceSeconds` (0: refused at once). */
export async function rotateKey(env: Env, caller: Caller, id: string, graceSeconds: number): Promise<KeyWithSecret> {
  const row = await manageable(env, caller, id);
  const secret = newApiKeySecret();
  const updated = await withDb(env, async (db) =>
    updateApiKey(db, caller.organizationId, row.id, {
      ...(await storedForm(secret)),
      previousKeyHash: graceSeconds > 0 ? row.keyHash : null,
      previousKeyExpiresAt: graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000) : null,
    }),
  );
  if (!updated) throw revoked(id);
  forgetApiKeys([row.keyHash, row.previousKeyHash]);
  return { row: updated, secret };
}
