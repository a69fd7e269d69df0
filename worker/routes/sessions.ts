// GET /v1/sessions and /v1/sessions/{id}: the caller's conversations (X-Inventiv-Session values).
// Counts and tokens come from Postgres; one session's detail adds its live pin and re-pin history
// from its SessionObject, which also answers for a session whose usage has not reached Postgres yet.
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { getCatalog } from "../catalog";
import type { SessionState } from "../contracts";
import { withDb } from "../db";
import { badRequest, RouterError } from "../errors";
import { SESSION_KEY, SESSION_KEY_RULE } from "../sessions/session-key";
import { findSession, listSessions, type SessionRow } from "../sessions/store";
import { sessionFor } from "../stubs";
import { parseLimit } from "./limit-param";

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const unix = (ms: number) => Math.floor(ms / 1000);

function present(row: SessionRow) {
  return {
    id: row.sessionKey,
    object: "chat.session",
    model: row.model,
    instance_id: row.instanceId,
    requests: row.requestCount,
    total_tokens: row.totalTokens,
    created_at: unix(row.createdAt.getTime()),
    last_used_at: unix(row.lastUsedAt.getTime()),
  };
}

export const sessionRoutes = new Hono<AppEnv>()
  .get("/", async (c) => {
    const limit = parseLimit(c.req.query("limit"), DEFAULT_LIMIT, MAX_LIMIT);
    const after = c.req.query("after") ?? null;
    if (after !== null && !SESSION_KEY.test(after)) throw badRequest(`\`after\` must be ${SESSION_KEY_RULE}.`, "after");
    const orgId = c.get("caller").organizationId;
    const { rows, cursorKnown } = await withDb(c.env, async (db) => ({
      rows: await listSessions(db, orgId, limit, after),
      cursorKnown: after === null || (await findSession(db, orgId, after)) !== undefined,
    }));
    if (!cursorKnown) throw badRequest("`after` is not one of your sessions.", "after", "invalid_cursor");
    const data = rows.slice(0, limit).map(present);
    return c.json({
      object: "list",
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: rows.length > limit,
    });
  })
  .get("/:id", async (c) => {
    const id = c.req.param("id");
    if (!SESSION_KEY.test(id)) throw badRequest(`A session id is ${SESSION_KEY_RULE}.`, "id");
    const orgId = c.get("caller").organizationId;
    const session = sessionFor(c.env, orgId, id);
    const [row, live] = await Promise.all([withDb(c.env, (db) => findSession(db, orgId, id)), session.describe()]);
    const base = row ? present(row) : live ? await fromLiveOnly(c.env, id, live) : null;
    if (!base)
      throw new RouterError(404, {
        message: `No session \`${id}\` in your organization.`,
        code: "session_not_found",
        param: "id",
      });
    return c.json({
      ...base,
      // The live pin wins: Postgres learns of a move only when that request's usage lands.
      instance_id: live?.instanceId ?? base.instance_id,
      pin: live
        ? {
            instance_id: live.instanceId,
            pinned_at: unix(live.pinnedAt),
            requests_routed: live.requests,
            repins: live.repins.map((r) => ({ at: unix(r.at), from: r.from, to: r.to, reason: r.reason })),
          }
        : null,
    });
  });

/** A session so new that its usage is still on its way to Postgres. */
async function fromLiveOnly(env: AppEnv["Bindings"], id: string, live: SessionState) {
  const model = (await getCatalog(env)).modelsById.get(live.modelUuid);
  return {
    id,
    object: "chat.session",
    model: model?.hfId ?? null,
    instance_id: live.instanceId,
    requests: live.requests,
    total_tokens: 0,
    created_at: unix(live.createdAt),
    last_used_at: unix(live.lastUsedAt),
  };
}
