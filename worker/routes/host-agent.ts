// POST /internal/worker/register and /heartbeat: GPU host agents report their state.
// Each is authenticated by its own instance's worker token; it may report for itself only.
import { eq, inArray, sql } from "drizzle-orm";
import { type Context, Hono } from "hono";
import { beforeReadyStatuses, type InstanceStatus, instances, models } from "../../schema";
import type { AppEnv } from "../app-env";
import { configOf } from "../config";
import { withDb } from "../db";
import { badRequest, RouterError } from "../errors";
import { fleetReplicas } from "../fleet/replicas";
import { sha256Hex } from "../hash";
import { parseAgentReport } from "../hosts/agent-report";
import { readJson } from "../http/body";
import { presentedKey } from "../middleware/auth";
import { memoPolicy, StaleIfErrorMemo } from "../stale-if-error";

interface InstanceIdentity {
  id: string;
  organizationId: string;
  modelId: string;
  /** The model's Hugging Face id, which the host's /v1/models must list. */
  model: string;
  status: InstanceStatus;
  /** As the operator registered it; an agent's report never moves it. */
  baseUrl: string;
  sealedApiKey: string | null;
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
            model: models.modelId,
            status: instances.status,
            baseUrl: instances.baseUrl,
            sealedApiKey: instances.hostApiKeySealed,
          })
          .from(instances)
          .innerJoin(models, eq(models.id, instances.modelId))
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

async function report(c: Context<AppEnv>, route: "register" | "heartbeat"): Promise<Response> {
  const identity = await authenticate(c);
  const parsed = parseAgentReport(await readJson(c), route);
  if (!parsed.ok) throw badRequest(parsed.message, parsed.param);
  const r = parsed.report;
  if (r.instanceId !== identity.id)
    throw new RouterError(403, { message: "This token belongs to another instance.", code: "instance_mismatch" });

  const scope = { organizationId: identity.organizationId, modelUuid: identity.modelId };
  const observation = {
    instanceId: identity.id,
    // The registered URL wins; the agent's (ours, or ip_address:vllm_port) only when there is none.
    baseUrl: identity.baseUrl || (r.baseUrl ?? undefined),
    // A register that does not say (the seed agent's) keeps what the fleet knows; new hosts start.
    hostStatus: r.status,
    queueDepth: r.load?.total ?? null,
    waiting: r.load?.waiting ?? null,
    knownStatus: identity.status,
    model: identity.model,
    sealedApiKey: identity.sealedApiKey,
    agent: r.facts,
    scope,
  };
  // Every replica holds the whole membership; replica 0's answer is the one in force (they agree).
  const [first, ...rest] = fleetReplicas(c.env, scope);
  const [outcome] = await Promise.all([first.heartbeat(observation), ...rest.map((f) => f.heartbeat(observation))]);
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
            workerId: r.facts.workerId,
            workerStatus: r.status ?? sql`${instances.workerStatus}`,
            workerModelId: r.modelId,
            workerQueueDepth: r.load?.total ?? 0,
            workerLastHeartbeat: new Date(),
            gpuUtilization: r.facts.gpuUtilization,
            gpuMemUsedMb: r.facts.gpuMemUsedMb === null ? null : Math.round(r.facts.gpuMemUsedMb),
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

export const hostAgentRoutes = new Hono<AppEnv>()
  .post("/register", (c) => report(c, "register"))
  .post("/heartbeat", (c) => report(c, "heartbeat"));
