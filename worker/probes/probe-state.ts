// A host's health as the router's own probes see it: pure transitions, no I/O (the fleet's alarm probes).
// Thresholds as the SGLang gateway's: out after 3 failed probes in a row, back after 2 good ones.

/**
 * booting: has not answered yet (vLLM binds its port long before it serves while a model loads);
 * up: in rotation; down: ejected after failed probes; failed: answers, but not as this model's host
 * (it lists another model, or refuses the router's key): stays out until an operator acts.
 */
export type ProbePhase = "booting" | "up" | "down" | "failed";

export interface ProbeState {
  phase: ProbePhase;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  lastProbeAt: number | null;
  lastResult: "ok" | "failed" | null;
  /** The last failed probe's error (kept after recovery, for the operator). */
  lastError: string | null;
  /** Why the phase is `failed`. */
  failedReason: string | null;
}

export interface ProbeThresholds {
  /** Failed probes in a row that take an up host out. */
  fall: number;
  /** Good probes in a row that bring a down host back. */
  rise: number;
}

export const defaultThresholds: ProbeThresholds = { fall: 3, rise: 2 };

/** The outcome of GET /v1/models when it was asked for: ok, or why the host cannot serve the model. */
export type ModelCheck = { ok: true } | { ok: false; reason: string };

/** One probe round: /health answered 200 (alive), or not (refused, timed out, 5xx). */
export type ProbeResult = { alive: true; models?: ModelCheck } | { alive: false; error: string };

export const initialProbeState = (): ProbeState => ({
  phase: "booting",
  consecutiveFailures: 0,
  consecutiveSuccesses: 0,
  lastProbeAt: null,
  lastResult: null,
  lastError: null,
  failedReason: null,
});

/** A host whose next good probe would admit it must prove it serves the model: ask /v1/models then. */
export function needsModelCheck(s: ProbeState, t: ProbeThresholds = defaultThresholds): boolean {
  return s.phase === "booting" || (s.phase === "down" && s.consecutiveSuccesses + 1 >= t.rise);
}

/** A failed host is not probed any more; the others are, every interval. */
export const isProbed = (s: ProbeState): boolean => s.phase !== "failed";

/** The state after one probe round at `now`. */
export function applyProbe(
  s: ProbeState,
  result: ProbeResult,
  now: number,
  t: ProbeThresholds = defaultThresholds,
): ProbeState {
  if (s.phase === "failed") return s;
  if (!result.alive) {
    const failures = s.consecutiveFailures + 1;
    // A booting host that does not answer is still loading, not down.
    const phase = s.phase === "up" && failures >= t.fall ? "down" : s.phase;
    return {
      ...s,
      phase,
      consecutiveFailures: failures,
      consecutiveSuccesses: 0,
      lastProbeAt: now,
      lastResult: "failed",
      lastError: result.error,
    };
  }
  const next: ProbeState = {
    ...s,
    consecutiveFailures: 0,
    consecutiveSuccesses: s.consecutiveSuccesses + 1,
    lastProbeAt: now,
    lastResult: "ok",
  };
  const admitting = s.phase === "booting" || (s.phase === "down" && next.consecutiveSuccesses >= t.rise);
  if (!admitting) return next;
  // Admission needs the model check of this very round; without it the host waits for the next one.
  if (!result.models) return next;
  if (!result.models.ok) return { ...next, phase: "failed", failedReason: result.models.reason };
  return { ...next, phase: "up" };
}

/** A member heard from only by its agent has no probe verdict yet: the agent's word admits it. */
export const probeAllowsRouting = (s: ProbeState, agentSaysReady: boolean): boolean =>
  s.phase === "up" || (s.phase === "booting" && agentSaysReady);
