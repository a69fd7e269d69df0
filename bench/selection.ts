// Decision time of the pure routing policies at 10, 100 and 1,000 hosts per model: the latency policy the
// router uses (worker/routing/latency-policy.ts), and the least-live-load one it replaced, with its session policy.
// `npm run bench:selection` — prints a table; numbers are per decision, median of several batches.
import {
  defaultPolicy,
  EXACT_SCAN_LIMIT,
  type FleetMember,
  SAMPLED_CHOICES,
  selectLeastLoaded,
} from "../worker/routing/fleet-policy";
import { type HostView, selectFastest } from "../worker/routing/latency-policy";
import { defaultSessionPolicy, routeSession } from "../worker/routing/session-policy";
import { defaultTokenPolicy } from "../worker/routing/token-load";

const SIZES = [10, 100, 1_000];
const BATCHES = 7;
const BATCH_MS = 60;
const NOW = Date.now();

function fleet(n: number): FleetMember[] {
  return Array.from({ length: n }, (_, i) => ({
    instanceId: `worker-${i}`,
    baseUrl: `http://10.0.${i >> 8}.${i & 255}:8000`,
    // One in ten is not routable (draining, stale or ejected), as in a real fleet.
    status: i % 10 === 3 ? "draining" : "ready",
    hostStatus: "ready",
    reportedQueueDepth: (i * 7919) % 13,
    lastHeartbeatAt: i % 10 === 5 ? NOW - 3_600_000 : NOW - 1_000,
    inflight: 0,
    inflightSinceReport: (i * 31) % 3,
    ejectedUntil: i % 10 === 7 ? NOW + 60_000 : 0,
    consecutiveFailures: 0,
  }));
}

/** Median nanoseconds per call of `decide` over BATCHES batches of ~BATCH_MS each. */
function measure(decide: () => unknown): number {
  let sink = 0;
  const perBatch: number[] = [];
  let calls = 1;
  // Calibrate so a batch lasts about BATCH_MS (and warm the JIT on the way).
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < calls; i++) if (decide()) sink++;
    if (performance.now() - t > BATCH_MS / 4) break;
    calls *= 2;
  }
  calls *= 4;
  for (let b = 0; b < BATCHES; b++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) if (decide()) sink++;
    perBatch.push(Number(process.hrtime.bigint() - t) / calls);
  }
  if (sink < 0) console.log(sink); // keep the work observable
  return perBatch.sort((a, b) => a - b)[Math.floor(BATCHES / 2)]!;
}

const format = (ns: number) => (ns < 1_000 ? `${ns.toFixed(0)} ns` : `${(ns / 1_000).toFixed(2)} µs`);

const rows: string[][] = [];
for (const n of SIZES) {
  const members = fleet(n);
  const byId = new Map(members.map((m) => [m.instanceId, m]));
  const pinned = members.find(
    (m) =>
      m.status === "ready" && m.reportedQueueDepth === 0 && m.lastHeartbeatAt > NOW - 10_000 && m.ejectedUntil === 0,
  )!.instanceId;
  const none = new Set<string>();
  const views = new Map<FleetMember, HostView>(
    members.map((m, i) => [
      m,
      {
        capacity: i % 3 === 0 ? {} : { slots: 8 << (i % 3), tokensPerSecond: 30 + (i % 4) * 10 },
        leases: { count: i % 5, tokens: (i % 5) * 300, openedSinceReading: i % 2, closedSinceReading: 0 },
        reading: { waiting: i % 3, running: i % 7, kvUsage: (i % 10) / 10, at: NOW - 500, source: "probe" },
      },
    ]),
  );
  const routable = (m: FleetMember) => m.status === "ready" && m.ejectedUntil === 0 && m.lastHeartbeatAt > NOW - 10_000;
  const request = { promptTokens: 500, outputTokens: 256 };
  const sessionInput = (pinnedId: string | null) => ({
    members,
    find: (id: string) => byId.get(id),
    pinnedId,
    exclude: none,
    now: NOW,
  });
  rows.push([
    String(n),
    format(measure(() => selectFastest(members, (m) => views.get(m)!, routable, request, NOW, defaultTokenPolicy))),
    format(measure(() => selectLeastLoaded(members, NOW, defaultPolicy))),
    format(measure(() => routeSession(sessionInput(pinned), defaultPolicy, defaultSessionPolicy))),
    format(measure(() => routeSession(sessionInput(null), defaultPolicy, defaultSessionPolicy))),
    format(measure(() => routeSession(sessionInput("gone"), defaultPolicy, defaultSessionPolicy))),
  ]);
}

const header = [
  "hosts",
  "latency policy (no session)",
  "least-loaded v1 (no session)",
  "session keeps pin",
  "session first pin",
  "session re-pin (worker gone)",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  │  ");
console.log(`\nRouting decision time per request (node ${process.version}, median of ${BATCHES} batches)\n`);
console.log(line(header));
console.log(widths.map((w) => "─".repeat(w)).join("──┼──"));
for (const r of rows) console.log(line(r));
console.log(
  `\nExact scan up to ${EXACT_SCAN_LIMIT} hosts, best of ${SAMPLED_CHOICES} random routable ones beyond: flat as the fleet grows.`,
);
