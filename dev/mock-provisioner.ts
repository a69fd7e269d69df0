// The local stack's orchestrator for the `mock` provider. `POST /deployments {provider: "mock"}`
// without a base URL only records an instance (status provisioning, no base URL): the Worker never
// starts anything. This poller, on the dev side, reads what the control plane recorded and acts on
// it as a cloud orchestrator would: for each such instance it starts a simulated GPU host on a free
// loopback port, gives it a fresh worker token (only the hash is stored, so it writes a new one)
// and records its base URL; once the instance is terminated (DELETE /instances/{id}) or failed, it
// stops the host. One deleted while still provisioning never gets a host.
import { and, eq, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import * as schema from "../schema";
import { sha256Hex } from "../worker/hash";
import type { MockGpu, MockGpuOptions } from "./mock-gpu/server";
import { freePort } from "./ports";

const { instances, models } = schema;
/** What the Worker stores as base_url for an instance still waiting for its host. */
export const UNPROVISIONED_BASE_URL = "";
const GONE = ["terminated", "failed"] as const;

export interface MockProvisionerOptions {
  databaseUrl: string;
  /** Starts a host (the stack's addHost: it heartbeats to the router and stops with the stack). */
  startHost: (part: Partial<MockGpuOptions> & { instanceId: string; token: string; port: number }) => Promise<MockGpu>;
  pollMs?: number;
  log?: (line: string) => void;
}

export interface MockProvisioner {
  /** Instance id → its running host. */
  hosts: ReadonlyMap<string, MockGpu>;
  /** One reconciliation pass now (the poller runs them anyway). */
  reconcile(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMockProvisioner(o: MockProvisionerOptions): Promise<MockProvisioner> {
  const pool = new pg.Pool({ connectionString: o.databaseUrl, max: 1 });
  pool.on("error", () => {});
  const db = drizzle(pool, { schema });
  const log = o.log ?? (() => {});
  const hosts = new Map<string, MockGpu>();
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const provision = async (id: string, model: string) => {
    const token = `wt-mock-${crypto.randomUUID()}`;
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const claimed = await db
      .update(instances)
      .set({ workerTokenHash: await sha256Hex(token), baseUrl, updatedAt: new Date() })
      .where(
        and(eq(instances.id, id), eq(instances.status, "provisioning"), eq(instances.baseUrl, UNPROVISIONED_BASE_URL)),
      )
      .returning({ id: instances.id });
    if (claimed.length === 0) return; // deleted (or claimed) since the pass read it
    hosts.set(id, await o.startHost({ instanceId: id, token, port, model }));
    log(`mock provider: instance ${id} provisioned at ${baseUrl}`);
  };

  const pass = async () => {
    const pending = await db
      .select({ id: instances.id, model: models.modelId })
      .from(instances)
      .innerJoin(models, eq(models.id, instances.modelId))
      // Still provisioning: one deleted before its host came up is terminated and stays hostless.
      .where(
        and(
          eq(instances.provider, "mock"),
          eq(instances.status, "provisioning"),
          eq(instances.baseUrl, UNPROVISIONED_BASE_URL),
        ),
      );
    for (const p of pending) if (!stopped && !hosts.has(p.id)) await provision(p.id, p.model);
    if (hosts.size === 0) return;
    const gone = await db
      .select({ id: instances.id })
      .from(instances)
      .where(and(inArray(instances.id, [...hosts.keys()]), inArray(instances.status, GONE)));
    for (const { id } of gone) {
      const host = hosts.get(id);
      hosts.delete(id);
      await host?.close();
      log(`mock provider: instance ${id} is gone, its host stopped`);
    }
  };
  // Passes never overlap: each one chains on the last.
  const reconcile = () => {
    running = running.then(pass).catch((error: unknown) => log(`mock provider: ${String(error)}`));
    return running;
  };
  const timer = setInterval(() => void reconcile(), o.pollMs ?? 250);
  timer.unref();
  await reconcile();
  return {
    hosts,
    reconcile,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await running;
      await pool.end();
    },
  };
}
