// API-key authentication. Keys are looked up by SHA-256 and memoised per isolate; an expired
// entry is re-read behind the request, so a warm router never authenticates through a database
// round trip. Expiry, a rotated-out secret's grace and the model allow-list travel in the memoised
// entry, so checking them costs no query. A revocation takes effect at once in the isolate that
// made it (forgetApiKeys) and within AUTH_CACHE_TTL_MS plus one request elsewhere, once Postgres
// is reachable (known keys outlive an outage: stale-if-error). The key's and its organization's
// limits travel in the entry too, so admission (routes/admission.ts) reads no Postgres.
import { eq, or } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { apiKeys, organizations } from "../../schema";
import { markUsed } from "../api-keys/last-used";
import type { AppEnv, Caller } from "../app-env";
import { configOf } from "../config";
import { withDb } from "../db";
import type { Env } from "../env";
import { RouterError } from "../errors";
import { sha256Hex } from "../hash";
import { memoPolicy, StaleIfErrorMemo } from "../stale-if-error";
import { TtlCache } from "../ttl-cache";

interface KeyRecord extends Caller {
  /** Set when this secret is the old one of a rotated key: refused after this epoch ms. */
  graceEndsAt: number | null;
}

const records = new StaleIfErrorMemo<KeyRecord>();

export function presentedKey(headers: Headers): string | undefined {
  const bearer = headers
    .get("authorization")
    ?.match(/^Bearer\s+(.+)$/i)?.[1]
    ?.trim();
  return bearer || headers.get("x-api-key")?.trim() || undefined;
}

const epochMs = (d: Date | null) => (d ? d.getTime() : null);

async function lookUp(env: Env, hash: string): Promise<KeyRecord | undefined> {
  const [row] = await withDb(env, (db) =>
    db
      .select({
        key: apiKeys,
        organizationSlug: organizations.slug,
        platform: organizations.isPlatform,
        orgLimits: organizations.limits,
      })
      .from(apiKeys)
      .innerJoin(organizations, eq(organizations.id, apiKeys.organizationId))
      .where(or(eq(apiKeys.keyHash, hash), eq(apiKeys.previousKeyHash, hash)))
      .limit(1),
  );
  if (!row || row.key.revokedAt) return undefined;
  const k = row.key;
  return {
    apiKeyId: k.id,
    organizationId: k.organizationId,
    organizationSlug: row.organizationSlug,
    role: k.role,
    platform: row.platform,
    models: k.models ? new Set(k.models) : null,
    expiresAt: epochMs(k.expiresAt),
    keyLimits: k.limits,
    orgLimits: row.orgLimits,
    graceEndsAt: k.keyHash === hash ? null : (epochMs(k.previousKeyExpiresAt) ?? 0),
  };
}

/** Drops these secrets' memoised entries: a revocation or rotation holds at once in this isolate. */
export function forgetApiKeys(hashes: readonly (string | null)[]): void {
  for (const hash of hashes) if (hash) records.delete(hash);
}

/** Drops the entries of an organization's keys (its limits changed): at once in this isolate. */
export function forgetOrganizationKeys(organizationId: string): void {
  records.deleteWhere((r) => r.organizationId === organizationId);
}

/**
 * The SHA-256 of secrets that authenticated in this isolate (hashing is an async runtime call, and it ran
 * on every request). A hash never changes, so nothing here needs invalidating: revocation acts on `records`.
 * Only keys that were accepted enter, so made-up keys cannot fill it. It holds secrets in the isolate's
 * memory, as every request that carries one does while it runs; the TTL bounds how long after the last one.
 */
const acceptedHashes = new TtlCache<string>(10 * 60_000, 1024);

export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const key = presentedKey(c.req.raw.headers);
  if (!key) {
    throw new RouterError(401, {
      message: "Missing API key: send `Authorization: Bearer sk-…` or `X-API-Key`.",
      code: "missing_api_key",
    });
  }
  const known = acceptedHashes.get(key);
  const hash = known ?? (await sha256Hex(key));
  c.set("caller", await callerForKeyHash(c, hash));
  if (known === undefined) acceptedHashes.set(key, hash);
  await next();
});

/**
 * The caller behind a key's SHA-256, through the per-isolate memo (no query while it is fresh);
 * 401 unknown, revoked, expired or past its rotation grace, 503 when it cannot be verified.
 * The dashboard re-checks its sessions here.
 */
export async function callerForKeyHash(c: Context<AppEnv>, hash: string): Promise<Caller> {
  const config = configOf(c.env);
  const policy = memoPolicy(config.AUTH_CACHE_TTL_MS, config.STALE_IF_ERROR_MS);
  let record: KeyRecord | undefined;
  try {
    // Known keys keep working from memory while Postgres is unreachable (stale-if-error).
    record = await records.get(hash, () => lookUp(c.env, hash), policy, {
      background: (work) => c.executionCtx.waitUntil(work),
    });
  } catch (err) {
    console.error(JSON.stringify({ msg: "auth_unavailable", error: String(err) }));
    throw new RouterError(503, {
      message: "API keys cannot be verified right now; retry shortly.",
      code: "auth_unavailable",
      headers: {
        "retry-after": "5",
      },
    });
  }
  // An unknown key's miss is remembered by the memo (5 s): made-up keys cannot each cost a query.
  if (!record) throw new RouterError(401, { message: "Invalid or revoked API key.", code: "invalid_api_key" });
  const now = Date.now();
  if (record.graceEndsAt !== null && record.graceEndsAt <= now)
    throw new RouterError(401, {
      message: "This API key was rotated and its grace period is over.",
      code: "invalid_api_key",
    });
  if (record.expiresAt !== null && record.expiresAt <= now)
    throw new RouterError(401, { message: "This API key has expired.", code: "key_expired" });
  markUsed(c.env, record.apiKeyId, (work) => c.executionCtx.waitUntil(work));
  const { graceEndsAt: _grace, ...caller } = record;
  return caller;
}

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("caller").role !== "admin") {
    throw new RouterError(403, { message: "This endpoint needs an admin API key.", code: "admin_required" });
  }
  await next();
});

export const requirePlatform = createMiddleware<AppEnv>(async (c, next) => {
  const caller = c.get("caller");
  if (caller.role !== "admin" || !caller.platform) {
    throw new RouterError(403, {
      message: "This endpoint needs an admin key of the platform organization.",
      code: "platform_required",
    });
  }
  await next();
});

/** 403 `model_not_allowed` unless the key's allow-list names this model or offering: two Set lookups. */
export function assertModelAllowed(caller: Caller, hfId: string, offeringKey: string | null, requested: string): void {
  const allowed = caller.models;
  if (allowed === null || allowed.has(hfId) || (offeringKey !== null && allowed.has(offeringKey))) return;
  throw new RouterError(403, {
    message: `This API key may not use the model \`${requested}\`.`,
    code: "model_not_allowed",
    param: "model",
  });
}
