// API-key authentication. Keys are looked up by SHA-256 and memoised per isolate; an expired
// entry is re-read behind the request, so a warm router never authenticates through a database
// round trip. A revocation takes effect within AUTH_CACHE_TTL_MS plus one request, once Postgres
// is reachable (known keys outlive an outage: stale-if-error).
import { and, eq, isNull } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { apiKeys, organizations } from "../../schema";
import type { AppEnv, Caller } from "../app-env";
import { configOf } from "../config";
import { withDb } from "../db";
import type { Env } from "../env";
import { RouterError } from "../errors";
import { sha256Hex } from "../hash";
import { memoPolicy, StaleIfErrorMemo } from "../stale-if-error";

const LAST_USED_EVERY_MS = 60_000;
const callers = new StaleIfErrorMemo<Caller & { lastUsedWrittenAt: number }>();

export function presentedKey(headers: Headers): string | undefined {
  const bearer = headers
    .get("authorization")
    ?.match(/^Bearer\s+(.+)$/i)?.[1]
    ?.trim();
  return bearer || headers.get("x-api-key")?.trim() || undefined;
}

async function lookUp(env: Env, hash: string): Promise<(Caller & { lastUsedWrittenAt: number }) | undefined> {
  const found = await withDb(env, (db) =>
    db
      .select({
        apiKeyId: apiKeys.id,
        organizationId: apiKeys.organizationId,
        organizationSlug: organizations.slug,
        role: apiKeys.role,
      })
      .from(apiKeys)
      .innerJoin(organizations, eq(organizations.id, apiKeys.organizationId))
      .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)))
      .limit(1),
  );
  return found[0] && { ...found[0], lastUsedWrittenAt: 0 };
}

export const requireApiKey = createMiddleware<AppEnv>(async (c, next) => {
  const key = presentedKey(c.req.raw.headers);
  if (!key) {
    throw new RouterError(401, {
      message: "Missing API key: send `Authorization: Bearer sk-…` or `X-API-Key`.",
      code: "missing_api_key",
    });
  }
  const hash = await sha256Hex(key);
  const config = configOf(c.env);
  const policy = memoPolicy(config.AUTH_CACHE_TTL_MS, config.STALE_IF_ERROR_MS);
  let caller: (Caller & { lastUsedWrittenAt: number }) | undefined;
  try {
    // Known keys keep working from memory while Postgres is unreachable (stale-if-error).
    caller = await callers.get(hash, () => lookUp(c.env, hash), policy, {
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
  if (!caller) throw new RouterError(401, { message: "Invalid or revoked API key.", code: "invalid_api_key" });
  const now = Date.now();
  if (now - caller.lastUsedWrittenAt > LAST_USED_EVERY_MS) {
    caller.lastUsedWrittenAt = now;
    const id = caller.apiKeyId;
    c.executionCtx.waitUntil(
      withDb(c.env, (db) => db.update(apiKeys).set({ lastUsedAt: new Date() }).where(eq(apiKeys.id, id))).catch(
        () => {},
      ),
    );
  }
  const { lastUsedWrittenAt: _ignored, ...publicCaller } = caller;
  c.set("caller", publicCaller);
  await next();
});

export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("caller").role !== "admin") {
    throw new RouterError(403, { message: "This endpoint needs an admin API key.", code: "admin_required" });
  }
  await next();
});
