// The admin API (admin-role keys, mounted behind requireApiKey + requireAdmin): register GPU hosts
// and operate them. Everything is scoped to the caller's organization; another one's instance is 404.
// Status changes are written to Postgres first (the truth), then pushed to the model's FleetObject
// so they take effect at once; if that push fails, the fleet's periodic sync applies them anyway.
import { type Context, Hono } from "hono";
import { type InstanceStatus, instanceProviders, instanceStatuses } from "../../schema";
import { findInstance, instanceMetrics, listInstances, updateStatus } from "../admin/instance-store";
import { liveViews, presentInstance } from "../admin/instance-view";
import { parseDeployment, registerHost } from "../admin/register-host";
import type { AppEnv } from "../app-env";
import { configOf } from "../config";
import { withDb } from "../db";
import { RouterError } from "../errors";
import { readJson } from "../http/body";
import { fleetFor } from "../stubs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const notFound = (id: string) =>
  new RouterError(404, {
    message: `No instance \`${id}\` in your organization.`,
    code: "instance_not_found",
    param: "id",
  });

async function showInstance(c: Context<AppEnv>, id: string): Promise<Response> {
  const row = UUID.test(id)
    ? await withDb(c.env, (db) => findInstance(db, c.get("caller").organizationId, id))
    : undefined;
  if (!row) throw notFound(id);
  const live = await liveViews(c.env, c.get("caller").organizationId, [row]);
  return c.json(presentInstance(row, live.get(row.id)));
}

/**
 * Writes the status to Postgres, then tells the fleet. From a status in `conflicts` → 409;
 * from one in `settled` (e.g. terminated, for a delete) nothing changes and the instance is shown.
 */
async function changeStatus(
  c: Context<AppEnv>,
  status: InstanceStatus,
  conflicts: InstanceStatus[],
  settled: InstanceStatus[] = [],
): Promise<Response> {
  const id = c.req.param("id") ?? "";
  const orgId = c.get("caller").organizationId;
  if (!UUID.test(id)) throw notFound(id);
  const { changed, row } = await withDb(c.env, async (db) => ({
    changed: await updateStatus(db, orgId, id, status, [...conflicts, ...settled]),
    row: await findInstance(db, orgId, id),
  }));
  if (!row) throw notFound(id);
  if (!changed && conflicts.includes(row.status)) {
    throw new RouterError(409, {
      message: `Instance \`${id}\` is ${row.status}; it cannot become ${status}.`,
      code: "invalid_status_transition",
      param: "id",
    });
  }
  if (changed) {
    const fleet = fleetFor(c.env, { organizationId: orgId, modelUuid: row.modelUuid });
    const known = await fleet.setStatus(id, status);
    // A host the fleet never knew runs nothing through the router: it is done at once.
    if (!known && status === "terminating")
      await withDb(c.env, (db) =>
        updateStatus(
          db,
          orgId,
          id,
          "terminated",
          instanceStatuses.filter((s) => s !== "terminating"),
        ),
      );
  }
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
    if (!UUID.test(id)) throw notFound(id);
    const found = await withDb(c.env, async (db) =>
      (await findInstance(db, orgId, id)) ? { metrics: await instanceMetrics(db, id) } : null,
    );
    if (!found) throw notFound(id);
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
  // Draining: no new sessions or unpinned requests; pinned sessions move on their next request.
  .post("/instances/:id/drain", (c) => changeStatus(c, "draining", ["terminating", "terminated", "failed"]))
  // Back into routing after a drain; from any other status → 409.
  .post("/instances/:id/undrain", (c) =>
    changeStatus(
      c,
      "ready",
      instanceStatuses.filter((s) => s !== "draining"),
    ),
  )
  // Out of routing at once; requests already running finish.
  .delete("/instances/:id", (c) => changeStatus(c, "terminating", [], ["terminated"]));
