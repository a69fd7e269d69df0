// A session's pin as plain functions: which host to ask the fleet to keep, and how the session's
// state moves once the fleet has answered. SessionObject stores the result and arms the idle alarm.
import type { SessionAcquire, SessionState } from "../contracts";
import type { RepinReason } from "../routing/session-policy";

export const REPINS_KEPT = 20;

/** The pin the fleet should try to keep: none on a first request or after a change of model. */
export const pinnedIdFor = (current: SessionState | null, modelUuid: string): string | null =>
  current?.modelUuid === modelUuid ? current.instanceId : null;

/**
 * The session after the fleet leased `chosen`; `fleetRepin` is the fleet's reason for moving (null
 * when it kept the pin). Returns the new state and the reason recorded for this request, if any.
 */
export function advanceSession(
  current: SessionState | null,
  input: SessionAcquire,
  chosen: string,
  fleetRepin: RepinReason | null,
  now: number,
): { next: SessionState; repin: RepinReason | null } {
  const repin: RepinReason | null = current && current.modelUuid !== input.modelUuid ? "model_changed" : fleetRepin;
  const next: SessionState = current
    ? { ...current }
    : {
        organizationId: input.organizationId,
        sessionKey: input.sessionKey,
        modelUuid: input.modelUuid,
        instanceId: chosen,
        pinnedAt: now,
        createdAt: now,
        lastUsedAt: now,
        requests: 0,
        repins: [],
      };
  if (repin !== null) {
    next.repins = [...next.repins, { at: now, from: current?.instanceId ?? null, to: chosen, reason: repin }].slice(
      -REPINS_KEPT,
    );
    next.instanceId = chosen;
    next.modelUuid = input.modelUuid;
    next.pinnedAt = now;
  }
  if (input.newRequest) next.requests += 1;
  next.lastUsedAt = now;
  return { next, repin };
}

/** When an unused session is forgotten. */
export const idleUntil = (state: SessionState, idleTtlMs: number): number => state.lastUsedAt + idleTtlMs;
