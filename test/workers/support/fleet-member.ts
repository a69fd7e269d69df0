// A routable fleet member at a fixed clock, for the pure policy tests.
import type { FleetMember } from "../../../worker/routing/fleet-policy";

export const NOW = 1_000_000_000;

export const member = (id: string, over: Partial<FleetMember> = {}): FleetMember => ({
  instanceId: id,
  baseUrl: `http://127.0.0.1/${id}`,
  status: "ready",
  hostStatus: "ready",
  reportedQueueDepth: 0,
  lastHeartbeatAt: NOW - 1_000,
  inflight: 0,
  inflightSinceReport: 0,
  ejectedUntil: 0,
  consecutiveFailures: 0,
  ...over,
});
