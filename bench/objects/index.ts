// The Durable Objects' ceilings, in workerd (`npm run bench:objects`, bench/objects.ts): the router's own
// object classes behind one route per object, each driving its object with `concurrency` callers in a loop
// until `ops` operations are done. The caller times the whole fetch.
import { FleetObject } from "../../durable-objects/fleet";
import { LimiterObject } from "../../durable-objects/limiter";
import { UsageOutbox } from "../../durable-objects/usage-outbox";
import type { Lease, Settlement } from "../../worker/contracts";
import { benchUsageEvent as event } from "../usage-event";

export { FleetObject, LimiterObject, UsageOutbox };

interface Env {
  FLEET: DurableObjectNamespace<FleetObject>;
  LIMITER: DurableObjectNamespace<LimiterObject>;
  USAGE_OUTBOX: DurableObjectNamespace<UsageOutbox>;
}

const HOSTS = 4;

/** A fleet of HOSTS ready hosts, as their agents would report them. */
async function seededFleet(env: Env): Promise<DurableObjectStub<FleetObject>> {
  const fleet = env.FLEET.get(env.FLEET.idFromName(`bench-${crypto.randomUUID()}`));
  for (let i = 0; i < HOSTS; i++)
    await fleet.heartbeat({
      instanceId: `host-${i}`,
      baseUrl: `http://127.0.0.1:9/${i}`,
      hostStatus: "ready",
      queueDepth: 0,
      knownStatus: "ready",
    });
  return fleet;
}

async function drive(ops: number, concurrency: number, op: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ops) await op(next++);
    }),
  );
}

const ok = (l: { ok: boolean }): void => {
  if (!l.ok) throw new Error("the bench fleet refused a lease");
};

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const ops = Number(url.searchParams.get("ops") ?? 2_000);
    const concurrency = Number(url.searchParams.get("concurrency") ?? 32);
    switch (url.pathname) {
      // Today's request: acquire before the host call, release after the body.
      case "/fleet/acquire-release": {
        const fleet = await seededFleet(env);
        await drive(ops, concurrency, async () => {
          const r = await fleet.acquire({});
          ok(r);
          await fleet.release((r as { lease: Lease }).lease.leaseId, "ok");
        });
        break;
      }
      // One call a request: the release rides on the caller's next acquire.
      case "/fleet/acquire-carrying-release": {
        const fleet = await seededFleet(env);
        const owed: string[] = [];
        await drive(ops, concurrency, async () => {
          const releases = owed.splice(0).map((leaseId) => ({ leaseId, outcome: "ok" as const }));
          const r = await fleet.acquire({ releases });
          ok(r);
          owed.push((r as { lease: Lease }).lease.leaseId);
        });
        break;
      }
      // Spare leases (fleet/spare-leases.ts): an acquire brings up to 4 more, which the next requests take
      // without a call; every release rides on a later acquire.
      case "/fleet/spares": {
        const fleet = await seededFleet(env);
        const owed: string[] = [];
        const spares: Lease[] = [];
        await drive(ops, concurrency, async () => {
          const spare = spares.shift();
          if (spare) {
            owed.push(spare.leaseId);
            return;
          }
          const releases = owed.splice(0).map((leaseId) => ({ leaseId, outcome: "ok" as const }));
          const r = await fleet.acquire({ releases, spares: 4 });
          ok(r);
          const got = r as { lease: Lease; spares?: Lease[] };
          owed.push(got.lease.leaseId);
          spares.push(...(got.spares ?? []));
        });
        break;
      }
      // One fleet of 4 replicas (fleet/replicas.ts): requests in turn, each carrying its replica's releases.
      case "/fleet/replicas": {
        const replicas = await Promise.all(Array.from({ length: 4 }, () => seededFleet(env)));
        const owed: string[][] = replicas.map(() => []);
        let turn = 0;
        await drive(ops, concurrency, async () => {
          const r = turn++ % replicas.length;
          const releases = owed[r]!.splice(0).map((leaseId) => ({ leaseId, outcome: "ok" as const }));
          const result = await replicas[r]!.acquire({ releases });
          ok(result);
          owed[r]!.push((result as { lease: Lease }).lease.leaseId);
        });
        break;
      }
      case "/limiter/admit-settle": {
        const limiter = env.LIMITER.get(env.LIMITER.idFromName(`bench-${crypto.randomUUID()}`));
        const scope = { kind: "key" as const, id: crypto.randomUUID(), limits: { rpm: 1_000_000, tpm: 1e12 } };
        // As the Worker does: each admission carries the settlements of the requests that ended before it.
        let owed: Settlement[] = [];
        await drive(ops, concurrency, async (i) => {
          const id = `ask-${i}`;
          const settled = owed;
          owed = [];
          await limiter.admit({ scope, parent: null, ask: { id, tokens: 300, cost: "0.001" }, settled });
          owed.push({ id, usedTokens: 250, cost: "0.0008" });
        });
        if (owed.length > 0) await limiter.settle(owed, null);
        break;
      }
      case "/outbox/enqueue": {
        const outbox = env.USAGE_OUTBOX.get(env.USAGE_OUTBOX.idFromName(`bench-${crypto.randomUUID()}`));
        await drive(ops, concurrency, async (i) => {
          await outbox.enqueueBatch([event(i)]);
        });
        break;
      }
      case "/outbox/enqueue-group": {
        const outbox = env.USAGE_OUTBOX.get(env.USAGE_OUTBOX.idFromName(`bench-${crypto.randomUUID()}`));
        await drive(ops, concurrency, async (i) => {
          await outbox.enqueueBatch(Array.from({ length: 24 }, (_, j) => event(i * 24 + j)));
        });
        break;
      }
      default:
        return new Response("unknown benchmark", { status: 404 });
    }
    return Response.json({ ops, concurrency });
  },
};
