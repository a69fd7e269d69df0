// Which of a fleet's members the next probe round asks, and what it asks each.
import type { ProbeTarget } from "../probes/probe-host";
import { initialProbeState, isProbed, needsModelCheck, type ProbeThresholds } from "../probes/probe-state";
import type { FleetMember } from "../routing/fleet-policy";

export type FleetProbeTarget = Omit<ProbeTarget, "apiKey"> & { instanceId: string; sealedApiKey: string | null };

/** The hosts to probe this round (not failed, not on their way out), each with what to ask. */
export function probeTargets(members: Iterable<FleetMember>, thresholds: ProbeThresholds): FleetProbeTarget[] {
  const out: FleetProbeTarget[] = [];
  for (const m of members) {
    const probe = m.probe ?? initialProbeState();
    if (!isProbed(probe) || !m.model || m.status === "terminating" || m.status === "terminated") continue;
    out.push({
      instanceId: m.instanceId,
      baseUrl: m.baseUrl,
      modelId: m.model,
      sealedApiKey: m.sealedApiKey ?? null,
      checkModels: needsModelCheck(probe, thresholds),
    });
  }
  return out;
}
