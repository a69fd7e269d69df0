// One SessionObject per (organization, X-Inventiv-Session): the session's pinned worker, kept in
// storage so affinity survives eviction and restarts. The choice itself belongs to the model's
// FleetObject, which holds the live loads: this object passes it the pin and records the answer.
import { DurableObject } from "cloudflare:workers";
import { configOf } from "../worker/config";
import type { Env } from "../worker/env";
import { fleetFor } from "../worker/fleet/fleet-ref";
import type { RepinReason } from "../worker/routing/session-policy";
import type { AcquireResult } from "./fleet";

export interface SessionAcquire {
  organizationId: string;
  sessionKey: string;
  modelUuid: string;
  /** Workers that already failed this request. */
  exclude: string[];
  /** False for a failover attempt of a request already counted. */
  newRequest: boolean;
}

export interface Repin {
  at: number;
  from: string | null;
  to: string;
  reason: RepinReason;
}

export interface SessionState {
  organizationId: string;
  sessionKey: string;
  modelUuid: string;
  instanceId: string;
  pinnedAt: number;
  createdAt: number;
  lastUsedAt: number;
  /** Requests routed through this object (Postgres counts the metered ones). */
  requests: number;
  /** The most recent moves, oldest first. */
  repins: Repin[];
}

const STATE_KEY = "session";
const REPINS_KEPT = 20;

/** Tenants never share a session object: the organization is part of its name. */
export const sessionObjectName = (organizationId: string, sessionKey: string): string =>
  `${organizationId}:${sessionKey}`;

export class SessionObject extends DurableObject<Env> {
  private state: SessionState | null = null;
  private alarmSet = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly idleTtlMs: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.idleTtlMs = configOf(env).SESSION_IDLE_TTL_SECONDS * 1000; // throws on a bad setting
    ctx.blockConcurrencyWhile(async () => {
      this.state = (await ctx.storage.get<SessionState>(STATE_KEY)) ?? null;
      this.alarmSet = (await ctx.storage.getAlarm()) !== null;
    });
  }

  /** Leases a worker for the session's next attempt and moves the pin if the fleet chose another. */
  acquire(input: SessionAcquire): Promise<AcquireResult> {
    // One decision at a time, so concurrent first requests of a session agree on one worker.
    const decided = this.queue.then(() => this.decide(input));
    this.queue = decided.catch(() => undefined);
    return decided;
  }

  describe(): SessionState | null {
    return this.state;
  }

  /** Idle expiry: forget the session once it has been unused for the TTL. */
  override async alarm(): Promise<void> {
    this.alarmSet = false;
    if (!this.state) return;
    const idleUntil = this.state.lastUsedAt + this.idleTtlMs;
    if (Date.now() >= idleUntil) {
      this.state = null;
      await this.ctx.storage.deleteAll();
      return;
    }
    await this.ctx.storage.setAlarm(idleUntil);
    this.alarmSet = true;
  }

  private async decide(input: SessionAcquire): Promise<AcquireResult> {
    const current = this.state;
    const sameModel = current?.modelUuid === input.modelUuid;
    const fleet = fleetFor(this.env, { organizationId: input.organizationId, modelUuid: input.modelUuid });
    const result = await fleet.acquire({
      exclude: input.exclude,
      session: { pinnedId: current && sameModel ? current.instanceId : null },
    });
    if (!result.ok) return result;

    const now = Date.now();
    const chosen = result.lease.instanceId;
    const repin: RepinReason | null = current && !sameModel ? "model_changed" : result.repin;
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
    try {
      await this.ctx.storage.put(STATE_KEY, next);
      if (!this.alarmSet) {
        await this.ctx.storage.setAlarm(now + this.idleTtlMs);
        this.alarmSet = true;
      }
    } catch (err) {
      // The caller will see an error, not this lease: hand it back before it counts as load.
      await fleet.release(result.lease.leaseId, "ok");
      throw err;
    }
    this.state = next;
    return { ...result, repin };
  }
}
