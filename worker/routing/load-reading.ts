// A host's load as last sampled, by its agent's heartbeat or the router's /metrics probe, and when a host
// counts as saturated. Pure: the fleet object holds the readings.
import type { LoadSample } from "../probes/load-signals";

export interface LoadReading extends LoadSample {
  /** When the sample was taken (ms); the router's leases opened after it are counted on top. */
  at: number;
  source: "probe" | "heartbeat";
}

/** Heartbeats and probes feed one reading: the fresher sample wins, whichever sent it. */
export function fresher(current: LoadReading | null, next: LoadReading): LoadReading {
  return !current || next.at >= current.at ? next : current;
}

/** As llm-d's saturation detector: a long waiting queue or a nearly full KV cache. */
export interface SaturationPolicy {
  maxWaiting: number;
  maxKvUsage: number;
}

export const defaultSaturation: SaturationPolicy = { maxWaiting: 5, maxKvUsage: 0.8 };

/** Saturated hosts are chosen only when every routable host is (selection prefers the others). */
export function isSaturated(r: LoadReading | null, p: SaturationPolicy): boolean {
  if (!r) return false;
  return r.waiting >= p.maxWaiting || (r.kvUsage !== null && r.kvUsage >= p.maxKvUsage);
}
