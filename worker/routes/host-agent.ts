// POST /internal/worker/register and /heartbeat: GPU host agents report their state.
// Each is authenticated by its own instance's worker token; it may report for itself only.
import { eq, inArray, sql } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { beforeReadyStatuses, hostStatuses, type InstanceStatus, instances } from "../../schema";
import type { AppEnv } from "../app-env";
import { configOf } from "../config";
import { withDb } from "../db";
import { badRequest, RouterError } from "../errors";
import { sha256Hex } from "../hash";
import { readJson } from "../http/body";
import { hasControlChars, isHttpUrl } from "../http/text";
import { presentedKey } from "../middleware/auth";
import { memoPolicy, StaleIfErrorMemo } from "../stale-if-error";
import { fleetFor } from "../stubs";

interface InstanceIdentity {
  id: string;
  organizationId: string;
  modelId: string;
  status: InstanceStatus;
}

/**
 * Token → instance; heartbeats come every few seconds, the token's owner rarely changes. Memoised
 * like API keys (stale-if-error): hosts must keep reporting through a Postgres outage, or after
 * STALE_AFTER_SECONDS nothing would be routable.
 */
const identities = new StaleIfErrorMemo<InstanceIdentity>();

async function authenticate(c: Context<AppEnv>): Promise<InstanceIdentity> {
  const token = presentedKey(c.req.raw.headers);
  if (!token) throw new RouterError(401, { message: "Missing worker token.", code: "missing_worker_token" });
  const hash = await sha256Hex(token);
  const load = async () =>
    (
      await withDb(c.env, (db) =>
        db
          .select({
            id: instances.id,
            organizationId: instances.organizationId,
            modelId: instances.modelId,
            status: instances.status,
          })
          .from(instances)
          .where(eq(instances.workerTokenHash, hash))
          .limit(1),
      )
    )[0];
  let identity: InstanceIdentity | undefined;
  try {
    const config = configOf(c.env);
    const policy = memoPolicy(config.AUTH_CACHE_TTL_MS, config.STALE_IF_ERROR_MS);
    identity = await identities.get(hash, load, policy, { background: (work) => c.executionCtx.waitUntil(work) });
  } catch {
    throw new RouterError(503, {
      message: "Worker tokens cannot be verified right now; retry shortly.",
      code: "auth_unavailable",
      headers: {
        "retry-after": "5",
      },
    });
  }
  if (!identity) throw new RouterError(401, { message: "Unknown worker token.", code: "invalid_worker_token" });
  return identity;
}

interface Report {
  instance_id: string;
  worker_id?: string;
  status: string;
  model_id?: string;
  base_url?: string;
  queue_depth?: number;
  gpu_utilization?: number;
  gpu_mem_used_mb?: number;
}

function parseReport(body: unknown): Report {
  const r = body as Partial<Report> | null;
  if (!r || typeof r.instance_id !== "string") throw badRequest("`instance_id` is required.", "instance_id");
  if (!(hostStatuses as readonly unknown[]).includes(r.status))
    throw badRequest(`\`status\` must be ${hostStatuses.slice(0, -1).join(", ")} or ${hostStatuses.at(-1)}.`, "status");
  if (r.queue_depth !== undefined && (!Number.isInteger(r.queue_depth) || r.queue_depth < 0))
    throw badRequest("`queue_depth` must be a non-negative integer.", "queue_depth");
  for (const field of ["worker_id", "model_id"] as const)
    if (r[field] !== undefined && (typeof r[field] !== "string" || hasControlChars(r[field])))
      throw badRequest(`\`${field}\` must be plain text.`, field);
  if (r.base_url !== undefined && (typeof r.base_url !== "string" || !isHttpUrl(r.base_url)))
    throw badRequest("`base_url` must be an http(s) URL.", "base_url");
  return r as Report;
}

async function report(c: Context<AppEnv>): Promise<Response> {
  const identity = await authenticate(c);
  const r = parseReport(await readJson(c));
  if (r.instance_id !== identity.id)
    throw new RouterError(403, { message: "This token belongs to another instance.", code: "instance_mismatch" });

  const scope = { organizationId: identity.organizationId, modelUuid: identity.modelId };
  const fleet = fleetFor(c.env, scope);
  const outcome = await fleet.heartbeat({
    instanceId: identity.id,
    baseUrl: r.base_url,
    hostStatus: r.status,
    queueDepth: r.queue_depth ?? 0,
    knownStatus: identity.status,
    scope,
  });
  if (!outcome.ok && outcome.reason === "terminated") {
    throw new RouterError(409, {
      message: `Instance ${identity.id} is terminated; its agent should stop.`,
      code: "instance_terminated",
      param: "instance_id",
    });
  }
  if (!outcome.ok) throw badRequest("`base_url` is required on first registration.", "base_url");
  const { status, baseUrl, persist } = outcome;
  if (persist) {
    // Mirror to Postgres so operators see the fleet in SQL; off the agent's response path.
    // Postgres owns `status`: the mirror only promotes booting → ready, so it never undoes an
    // operator's UPDATE that the fleet has not synced yet.
    c.executionCtx.waitUntil(
      withDb(c.env, (db) =>
        db
          .update(instances)
          .set({
            status: sql`case when ${inArray(instances.status, [...beforeReadyStatuses])} and ${status} = 'ready' then 'ready' else ${instances.status} end`,
            baseUrl,
            workerId: r.worker_id ?? null,
            workerStatus: r.status,
            workerModelId: r.model_id ?? null,
            workerQueueDepth: r.queue_depth ?? 0,
            workerLastHeartbeat: new Date(),
            gpuUtilization: r.gpu_utilization ?? null,
            gpuMemUsedMb: r.gpu_mem_used_mb ?? null,
            updatedAt: new Date(),
          })
          .where(eq(instances.id, identity.id)),
      ).catch((err) =>
        console.error(JSON.stringify({ msg: "heartbeat_persist_failed", instance: identity.id, error: String(err) })),
      ),
    );
  }
  return c.json({ instance_id: identity.id, status, accepted: true });
}

export const hostAgentRoutes = new Hono<AppEnv>().post("/register", report).post("/heartbeat", report);
