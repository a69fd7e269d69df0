// One probe round of a fleet, run from its alarm (never on a request's path): every probed host at
// once, each bounded by the probe timeout, so a round lasts at most that long.
import { type ProbeOutcome, probeHost } from "../probes/probe-host";
import type { FleetMember } from "../routing/fleet-policy";
import type { FleetState } from "./fleet-state";

export interface RoundResult {
  save: FleetMember[];
  /** Hosts this round found unable to serve the model, with why: Postgres must say `failed`. */
  failed: { instanceId: string; reason: string }[];
  /** Hosts this round admitted: Postgres must say `ready`. */
  promoted: string[];
}

export async function probeRound(
  state: FleetState,
  keyOf: (instanceId: string, sealed: string | null) => Promise<string | null>,
  timeoutMs: number,
): Promise<RoundResult> {
  const targets = state.probeTargets();
  const outcomes = await Promise.all(
    targets.map(async (t): Promise<[string, ProbeOutcome]> => {
      const apiKey = await keyOf(t.instanceId, t.sealedApiKey);
      return [t.instanceId, await probeHost({ ...t, apiKey }, timeoutMs)];
    }),
  );
  const out: RoundResult = { save: [], failed: [], promoted: [] };
  for (const [instanceId, outcome] of outcomes) {
    const effect = state.probed(instanceId, outcome);
    if (effect.save) out.save.push(effect.save);
    if (effect.failedReason) out.failed.push({ instanceId, reason: effect.failedReason });
    if (effect.promoted) out.promoted.push(instanceId);
  }
  return out;
}
