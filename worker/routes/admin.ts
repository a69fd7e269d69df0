// The admin API (admin-role keys, mounted behind requireApiKey + requireAdmin): register GPU hosts
// and operate them. Everything is scoped to the caller's organization; another one's instance is 404.
// Status changes (drain, undrain, delete) are admin/status-change.ts's, shared with the dashboard.
import { type Context, Hono } from "hono";
import { instanceProviders } from "../../schema";
import { findInstance, instanceMetrics, listInstances } from "../admin/instance-store";
import { liveViews, presentInstance } from "../admin/instance-view";
import { parseDeployment, registerHost } from "../admin/register-host";
import { changeInstanceStatus, instanceNotFound, type StatusChange } from "../admin/status-change";
import type { AppEnv } from "../app-env";
import { configOf } from "../config";
import { withDb } from "../db";
import { readJson } from "../http/body";
import { UUID } from "../uuid";

async function showInstance(c: Context<AppEnv>, id: string): Promise<Response> {
  const row = UUID.test(id)
    ? await withDb(c.env, (db) => findInstance(db, c.get("caller").organizationId, id))
    : undefined;
  if (!row) throw instanceNotFound(id);
  const live = await liveViews(c.env, c.get("caller").organizationId, [row]);
  return c.json(presentInstance(row, live.get(row.id)));
}

/** Applies the change (admin/status-change.ts, shared with the dashboard), then shows the instance. */
async function changeStatus(c: Context<AppEnv>, change: StatusChange): Promise<Response> {
  const id = c.req.param("id") ?? "";
  await changeInstanceStatus(c.env, c.get("caller").organizationId, id, change);
  return showInstance(c, id);
}

export const adminRoutes = new Hono<AppEnv>()
  .post("/deployments", async (c) => {
    const input = parseDeployment(await readJson(c), instanceProviders, configOf(c.env).MOCK_PROVISIONING === 1);
    const { row, token } = await registerHost(c, input);
    // The token is shown this once; a lost token means a new deployment.
    return c.json({ ...presentInstance(row, undefined), worker_token: token }, 201);
  })
  .get("/instances", async (c) => {
    const rows = await withDb(c.env, (db) => listInstances(db, c.get("caller").organizationId));
    const live = await liveViews(c.env, c.get("caller").organizationId, rows);
    return c.json({ object: "list", data: rows.map((r) => presentInstance(r, live.get(r.id))) });
  })
  .get("/instances/:id", (c) => showInstance(c, c.req.param("id")))
  .get("/instances/:id/metrics", async (c) => {
    const id = c.req.param("id");
    const orgId = c.get("caller").organizationId;
    if (!UUID.test(id)) throw instanceNotFound(id);
    const found = await withDb(c.env, async (db) =>
      (await findInstance(db, orgId, id)) ? { metrics: await instanceMetrics(db, id) } : null,
    );
    if (!found) throw instanceNotFound(id);
    const m = found.metrics;
    const at = (d: Date | null | undefined) => (d ? Math.floor(d.getTime() / 1000) : null);
    return c.json({
      object: "instance.metrics",
      instance_id: id,
      total_requests: m?.totalRequests ?? 0,
      successful_requests: m?.successfulRequests ?? 0,
      failed_requests: m?.failedRequests ?? 0,
      aborted_requests: m?.abortedRequests ?? 0,
      input_tokens: m?.totalInputTokens ?? 0,
      output_tokens: m?.totalOutputTokens ?? 0,
      total_tokens: m?.totalTokens ?? 0,
      first_request_at: at(m?.firstRequestAt),
      last_request_at: at(m?.lastRequestAt),
    });
  })
  .post("/instances/:id/drain", (c) => changeStatus(c, "drain"))
  .post("/instances/:id/undrain", (c) => changeStatus(c, "undrain"))
  .delete("/instances/:id", (c) => changeStatus(c, "delete"));
