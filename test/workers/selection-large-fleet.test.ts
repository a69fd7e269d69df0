// Selection in fleets above EXACT_SCAN_LIMIT, where it samples instead of scanning: it still never
// picks an unroutable or excluded worker, avoids deep queues, spreads load, and falls back to the
// exact scan when sampling cannot find enough routable workers.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  defaultPolicy,
  EXACT_SCAN_LIMIT,
  type FleetMember,
  selectLeastLoaded,
} from "../../worker/routing/fleet-policy";

import { NOW, member as named } from "./support/fleet-member";

const member = (i: number, over: Partial<FleetMember> = {}): FleetMember => named(`w${i}`, over);
const fleetOf = (n: number, over: (i: number) => Partial<FleetMember> = () => ({})) =>
  Array.from({ length: n }, (_, i) => member(i, over(i)));
const pick = (fleet: FleetMember[], exclude: string[] = []) =>
  selectLeastLoaded(fleet, NOW, defaultPolicy, new Set(exclude))?.instanceId;

describe("selection above the exact-scan limit", () => {
  const N = EXACT_SCAN_LIMIT * 3;

  it("never picks an unroutable or excluded worker", () => {
    const fleet = fleetOf(N, (i) => (i % 3 === 0 ? { status: "draining" } : i % 3 === 1 ? { lastHeartbeatAt: 0 } : {}));
    const excluded = fleet.filter((_, i) => i % 3 === 2 && i % 2 === 0).map((m) => m.instanceId);
    for (let k = 0; k < 2_000; k++) {
      const chosen = Number(pick(fleet, excluded)?.slice(1));
      expect(chosen % 3).toBe(2);
      expect(chosen % 2).toBe(1);
    }
  });

  it("falls back to the exact scan when only one worker is routable", () => {
    const fleet = fleetOf(N, (i) => (i === 117 ? { reportedQueueDepth: 40 } : { hostStatus: "starting" }));
    for (let k = 0; k < 50; k++) expect(pick(fleet)).toBe("w117");
    expect(pick(fleetOf(N, () => ({ status: "terminating" })))).toBeUndefined();
  });

  it("avoids deep queues and spreads equal load over every worker", () => {
    const fleet = fleetOf(N, (i) => (i < N / 2 ? { reportedQueueDepth: 30 } : {}));
    const chosen = Array.from({ length: 4_000 }, () => Number(pick(fleet)?.slice(1)));
    // Best of 4 samples: a deep worker only when all four were deep (1 in 16).
    expect(chosen.filter((i) => i < N / 2).length / chosen.length).toBeLessThan(0.1);
    expect(new Set(chosen.filter((i) => i >= N / 2)).size).toBe(N / 2);
  });

  it("keeps a burst balanced through the FleetObject's leases", async () => {
    const fleet = env.FLEET.get(env.FLEET.idFromName("large-burst"));
    const workers = 100;
    for (let i = 0; i < workers; i++)
      await fleet.heartbeat({
        instanceId: `w${i}`,
        baseUrl: `http://127.0.0.1:1/w${i}`,
        hostStatus: "ready",
        queueDepth: 0,
        knownStatus: "ready",
      });
    const leases = await Promise.all(Array.from({ length: workers * 4 }, () => fleet.acquire()));
    expect(leases.every((l) => l.ok)).toBe(true);
    const loads = (await fleet.snapshot()).map((m) => m.inflight);
    expect(loads.reduce((a, b) => a + b, 0)).toBe(workers * 4);
    // Fair share is 4; choosing at random without leases gives a busiest worker near 10.
    expect(Math.max(...loads)).toBeLessThanOrEqual(6);
  });
});
