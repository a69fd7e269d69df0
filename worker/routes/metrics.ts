// GET /metrics: Prometheus text format 0.0.4. With the METRICS_TOKEN bearer (an operator's
// Prometheus): every organization. With an admin API key: that key's organization only. Counters
// come from the ledger's aggregates in Postgres, gauges from the live objects: nothing is counted
// per isolate, so every scrape sees the same numbers whichever isolate answers it.

import type { Context } from "hono";
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { withDb } from "../db";
import { CONTENT_TYPE, render } from "../metrics/exposition";
import { ledgerFamilies } from "../metrics/ledger-metrics";
import { limitFamilies } from "../metrics/limit-metrics";
import { liveFamilies } from "../metrics/live-metrics";
import { presentedKey, requireAdmin, requireApiKey } from "../middleware/auth";

async function sameSecret(a: string, b: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [x, y] = await Promise.all([a, b].map((s) => crypto.subtle.digest("SHA-256", enc.encode(s))));
  return crypto.subtle.timingSafeEqual(x as ArrayBuffer, y as ArrayBuffer);
}

async function scrape(c: Context<AppEnv>, organizationId: string | null): Promise<Response> {
  const families = await withDb(c.env, async (db) => {
    const [ledger, live, limits] = await Promise.all([
      ledgerFamilies(db, organizationId),
      liveFamilies(db, c.env, organizationId),
      limitFamilies(db, c.env, organizationId),
    ]);
    return [...ledger, ...live, ...limits];
  });
  return c.body(render(families), 200, { "content-type": CONTENT_TYPE, "cache-control": "no-store" });
}

export const metricsRoutes = new Hono<AppEnv>().get(
  "/",
  async (c, next) => {
    const token = c.env.METRICS_TOKEN;
    const presented = presentedKey(c.req.raw.headers);
    if (token && presented && (await sameSecret(presented, token))) return scrape(c, null);
    await next();
  },
  requireApiKey,
  requireAdmin,
  (c) => scrape(c, c.get("caller").organizationId),
);
