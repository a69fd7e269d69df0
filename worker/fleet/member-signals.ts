// How a heartbeat, a probe round or a load reading changes one fleet member: pure, on the member's own fields.
import { beforeReadyStatuses } from "../../schema";
import type { HostAdmission, HostObservation } from "../contracts";
import type { LoadSample } from "../probes/load-signals";
import type { ProbeOutcome } from "../probes/probe-host";
import { applyProbe, initialProbeState, type ProbeThresholds } from "../probes/probe-state";
import { unknownCapacity } from "../routing/capacity";
import type { FleetMember } from "../routing/fleet-policy";
import { fresher, type LoadReading } from "../routing/load-reading";

const BEFORE_READY: ReadonlySet<string> = new Set(beforeReadyStatuses);

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
 * A heartbeat (or a probe's finding) on the member it is about, a new one when `known` is undefined:
 * its address, status, key, agent facts and load. `changed`: what a restarted object must know differs.
 */
export function applyReport(
  known: FleetMember | undefined,
  report: HostObservation & { baseUrl: string },
  now: number,
  leasesAfter: (at: number) => number,
): { member: FleetMember; changed: boolean } {
  const member: FleetMember = known ?? {
    ...admittedMember({
      instanceId: report.instanceId,
      baseUrl: report.baseUrl,
      model: report.model ?? "",
      sealedApiKey: report.sealedApiKey ?? null,
      knownStatus: report.knownStatus,
    }),
    hostStatus: report.hostStatus ?? "starting",
  };
  const facts = () => `${member.status}/${member.hostStatus}/${member.baseUrl}/${member.probe?.phase}`;
  const before = facts();
  member.baseUrl = report.baseUrl;
  member.hostStatus = report.hostStatus ?? member.hostStatus;
  member.lastHeartbeatAt = now;
  if (report.model) member.model = report.model;
  if (report.sealedApiKey !== undefined) member.sealedApiKey = report.sealedApiKey;
  if (report.agent) member.agent = { ...report.agent, reportedAt: now };
  if (report.queueDepth !== null) {
    const waiting = Math.min(report.waiting ?? 0, report.queueDepth);
    adoptLoad(member, { waiting, running: report.queueDepth - waiting, kvUsage: null }, now, "heartbeat", leasesAfter);
  }
  // A host that boots and says it is ready becomes routable; operator states are kept. Its agent's
  // word stands for a first probe verdict: the router's probes may still take it out.
  if (report.hostStatus === "ready" && (member.probe?.phase ?? "booting") === "booting") {
    if (BEFORE_READY.has(member.status)) member.status = "ready";
    member.probe = { ...(member.probe ?? initialProbeState()), phase: "up", consecutiveFailures: 0 };
  }
  return { member, changed: !known || before !== facts() };
}

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
