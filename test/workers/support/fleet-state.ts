// A FleetState on a hand-driven clock, and the heartbeats, control-plane rows and leases the
// fleet-state*.test.ts files drive it with.
import type { InstanceStatus } from "../../../schema";
import type { AcquireResult, HostObservation } from "../../../worker/contracts";
import { FleetState } from "../../../worker/fleet/fleet-state";
import type { ControlPlaneRow } from "../../../worker/routing/control-plane-sync";
import { defaultPolicy } from "../../../worker/routing/fleet-policy";
import { defaultTokenPolicy } from "../../../worker/routing/token-load";

export const START = 1_000_000_000;

export function fleet(policy = {}) {
  const clock = { t: START };
  let leases = 0;
  const state = new FleetState(
    { policy: { ...defaultPolicy, ...policy }, tokens: defaultTokenPolicy },
    () => clock.t,
    () => 0,
    () => `lease-${++leases}`,
  );
  return { state, clock };
}

export const seen = (instanceId: string, over: Partial<HostObservation> = {}): HostObservation => ({
  instanceId,
  baseUrl: `http://127.0.0.1:1/${instanceId}`,
  hostStatus: "ready",
  queueDepth: 0,
  knownStatus: "booting",
  ...over,
});

export const row = (id: string, status: InstanceStatus, maxNumSeqs: number | null = null): ControlPlaneRow => ({
  id,
  status,
  maxNumSeqs,
  baseUrl: `http://127.0.0.1:1/${id}`,
  model: "m",
  sealedApiKey: null,
});

export const leaseOf = (r: AcquireResult) => {
  if (!r.ok) throw new Error(r.reason);
  return r.lease;
};
