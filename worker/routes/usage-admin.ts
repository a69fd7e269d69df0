// The admin API's view of usage that Postgres refused (admin-role keys, scoped to their
// organization): GET /usage/dead-letters lists it, POST /usage/dead-letters/replay puts it back in
// the outbox once the cause is fixed. The events live in the UsageOutbox shards' SQLite, not in
// Postgres, so this is the only way to see them besides the `usage_event_dead_lettered` log line.
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { outboxFor } from "../stubs";
import { shardsOf } from "../usage/shards";
import { parseLimit } from "./limit-param";

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

export const usageAdminRoutes = new Hono<AppEnv>()
  .get("/dead-letters", async (c) => {
    const limit = parseLimit(c.req.query("limit"), DEFAULT_LIMIT, MAX_LIMIT);
    const orgId = c.get("caller").organizationId;
    const perShard = await Promise.all(
      shardsOf(orgId).map((shard) => outboxFor(c.env, shard).deadLetters(orgId, limit + 1)),
    );
    const all = perShard.flat().sort((a, b) => a.failedAt - b.failedAt);
    const data = all.slice(0, limit).map((d) => ({
      object: "usage.dead_letter",
      request_id: d.requestId,
      x_request_id: d.event.clientRequestId,
      error: d.error,
      failed_at: Math.floor(d.failedAt / 1000),
      event: d.event,
    }));
    return c.json({ object: "list", data, has_more: all.length > limit });
  })
  .post("/dead-letters/replay", async (c) => {
    const orgId = c.get("caller").organizationId;
    const moved = await Promise.all(shardsOf(orgId).map((shard) => outboxFor(c.env, shard).replayDeadLetters(orgId)));
    return c.json({ object: "usage.replay", requeued: moved.reduce((a, b) => a + b, 0) });
  });
