// How a probe round or a heartbeat's load changes one fleet member: pure, on the member's own fields.
import type { HostAdmission } from "../contracts";
import type { LoadSample } from "../probes/load-signals";
import type { ProbeOutcome } from "../probes/probe-host";
import { applyProbe, initialProbeState, type ProbeThresholds } from "../probes/probe-state";
import { unknownCapacity } from "../routing/capacity";
import type { FleetMember } from "../routing/fleet-policy";
import { fresher, type LoadReading } from "../routing/load-reading";

const BEFORE_READY = new Set(["provisioning", "booting"]);

/** A member for a host registered by the admin API: booting, unheard of, probed from now on. */
export const admittedMember = (a: Omit<HostAdmission, "scope">): FleetMember => ({
  instanceId: a.instanceId,
  baseUrl: a.baseUrl,
  status: a.knownStatus,
  hostStatus: "starting",
  reportedQueueDepth: 0,
  lastHeartbeatAt: 0,
  inflight: 0,
  inflightSinceReport: 0,
  ejectedUntil: 0,
  consecutiveFailures: 0,
  probe: initialProbeState(),
  load: null,
  model: a.model,
  sealedApiKey: a.sealedApiKey,
  agent: null,
  capacity: { ...unknownCapacity(), declaredSlots: a.maxNumSeqs ?? null },
});

/**
 * Adopts a load sample taken at `at` unless the member holds a fresher one. `leasesAfter` counts the
 * router's leases opened after `at`: the sample cannot include them, so they stay on top of it.
 */
export function adoptLoad(
  m: FleetMember,
  sample: LoadSample,
  at: number,
  source: LoadReading["source"],
  leasesAfter: (at: number) => number,
): void {
  const current = m.load ?? null;
  const next: LoadReading = { ...sample, kvUsage: sample.kvUsage ?? current?.kvUsage ?? null, at, source };
  if (fresher(current, next) !== next) return;
  m.load = next;
  m.reportedQueueDepth = next.waiting + next.running;
  m.inflightSinceReport = leasesAfter(at);
}

export interface ProbeEffect {
  /** The probe verdict or the member's status changed: write it. */
  changed: boolean;
  /** Set when this round found the host cannot serve the model: the control plane must say `failed`. */
  failedReason: string | null;
  /** Admitted by this round (booting → ready): the control plane must say `ready`. */
  promoted: boolean;
}

/** One probe round's outcome on the member: its probe state, its load, and admission or failure. */
export function applyProbeOutcome(
  m: FleetMember,
  outcome: ProbeOutcome,
  thresholds: ProbeThresholds,
  leasesAfter: (at: number) => number,
): ProbeEffect {
  const before = m.probe ?? initialProbeState();
  const after = applyProbe(before, outcome.result, outcome.startedAt, thresholds);
  m.probe = after;
  if (outcome.load) adoptLoad(m, outcome.load, outcome.startedAt, "probe", leasesAfter);
  let failedReason: string | null = null;
  let promoted = false;
  if (after.phase === "failed" && before.phase !== "failed") {
    failedReason = after.failedReason;
    if (m.status !== "terminating" && m.status !== "terminated") m.status = "failed";
  }
  if (after.phase === "up" && before.phase !== "up") {
    // Admitted by the router's own probes: the host answers for itself, no agent needed.
    if (m.lastHeartbeatAt === 0) m.hostStatus = "ready";
    if (BEFORE_READY.has(m.status)) {
      m.status = "ready";
      promoted = true;
    }
  }
  return { changed: after.phase !== before.phase, failedReason, promoted };
}
