// The admin API (admin-role keys, mounted behind requireApiKey + requireAdmin): register GPU hosts
// and operate them. Everything is scoped to the caller's organization; another one's instance is 404.
// Status changes are written to Postgres first (the truth), then pushed to the model's FleetObject
// so they take effect at once; if that push fails, the fleet's periodic sync applies them anyway.
import { type Context, Hono } from "hono";
import { type InstanceProvider, type InstanceStatus, instanceProviders } from "../../schema";
import { findInstance, insertInstance, instanceMetrics, listInstances, updateStatus } from "../admin/instance-store";
import { liveViews, presentInstance } from "../admin/instance-view";
import type { AppEnv } from "../app-env";
import { getCatalog } from "../catalog";
import { withDb } from "../db";
import { badRequest, RouterError } from "../errors";
import { sha256Hex } from "../hash";
import { readJson } from "../http/body";
import { hasControlChars, isHttpUrl } from "../http/text";
import { resolveModel } from "../routing/resolve-model";
import { fleetFor } from "../stubs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const notFound = (id: string) =>
  new RouterError(404, {
    message: `No instance \`${id}\` in your organization.`,
    code: "instance_not_found",
    param: "id",
  });

interface DeploymentRequest {
  model: string;
  baseUrl: string;
  provider: InstanceProvider;
}

const isProvider = (v: unknown): v is InstanceProvider => (instanceProviders as readonly unknown[]).includes(v);

function parseDeployment(body: unknown): DeploymentRequest {
  const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof b.model !== "string" || b.model === "" || hasControlChars(b.model))
    throw badRequest("`model` is required (uuid, Hugging Face id or offering).", "model");
  if (typeof b.base_url !== "string" || !isHttpUrl(b.base_url))
    throw badRequest("`base_url` must be an http(s) URL.", "base_url");
  const provider = b.provider ?? "static";
  if (!isProvider(provider))
    throw badRequest(`\`provider\` must be ${instanceProviders.map((p) => `\`${p}\``).join(" or ")}.`, "provider");
  return { model: b.model, baseUrl: b.base_url.replace(/\/+$/, ""), provider };
}

/** The worker token a GPU host authenticates with; only its hash is stored. */
function newWorkerToken(): string {
  return `wt-${[...crypto.getRandomValues(new Uint8Array(24))].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

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
  if (changed)
    await fleetFor(c.env, { organizationId: c.get("caller").organizationId, modelUuid: row.modelUuid }).setStatus(
      id,
      status,
    );
  return showInstance(c, id);
}

export const adminRoutes = new Hono<AppEnv>()
  .post("/deployments", async (c) => {
    const input = parseDeployment(await readJson(c));
    const orgId = c.get("caller").organizationId;
    const { model } = resolveModel(await getCatalog(c.env, input.model), input.model, orgId);
    const token = newWorkerToken();
    const workerTokenHash = await sha256Hex(token);
    const row = await withDb(c.env, async (db) => {
      const id = await insertInstance(db, {
        organizationId: orgId,
        modelUuid: model.id,
        baseUrl: input.baseUrl,
        provider: input.provider,
        workerTokenHash,
      });
      return findInstance(db, orgId, id);
    });
    if (!row)
      throw new RouterError(500, { message: "The new instance could not be read back.", code: "internal_error" });
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
  // Out of routing at once; requests already running finish.
  .delete("/instances/:id", (c) => changeStatus(c, "terminating", [], ["terminated"]));
