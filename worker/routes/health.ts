// GET /health, unauthenticated: is the router up, and can it reach Postgres?
// The database probe is shared for a second per isolate: load balancers and monitors poll this
// endpoint hard, and each probe is a Postgres connection.
import { sql } from "drizzle-orm";
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { type DbConfig, withDb } from "../db";
import { TtlCache } from "../ttl-cache";

type DatabaseHealth =
  | { status: "ok"; latency_ms: number; checked_at: string }
  | { status: "unreachable"; error: string; checked_at: string };

const PROBE_FOR_MS = 1_000;
const probes = new TtlCache<DatabaseHealth>(PROBE_FOR_MS, 1);

async function probeDatabase(config: DbConfig): Promise<DatabaseHealth> {
  const started = Date.now();
  const checked_at = new Date(started).toISOString();
  return withDb(config, (db) => db.execute(sql`select 1`))
    .then((): DatabaseHealth => ({ status: "ok", latency_ms: Date.now() - started, checked_at }))
    .catch((err: unknown): DatabaseHealth => ({ status: "unreachable", error: String(err), checked_at }));
}

export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  let database = probes.get("db");
  if (!database) {
    database = await probeDatabase(c.env);
    probes.set("db", database);
  }
  // The router serves inference without Postgres (usage waits in the outbox): still 200, but say so.
  return c.json({ status: database.status === "ok" ? "ok" : "degraded", database });
});
