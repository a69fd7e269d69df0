// One SessionObject per (organization, X-Inventiv-Session): the session's pinned host, kept in
// storage so affinity survives eviction and restarts. The choice itself belongs to the model's
// FleetObject, which holds the live loads: this object passes it the pin and records the answer
// (the rules are in worker/sessions/session-pin.ts; this object keeps storage, alarm and RPC).
import { DurableObject } from "cloudflare:workers";
import { configOf } from "../worker/config";
import type { AcquireResult, SessionAcquire, SessionState } from "../worker/contracts";
import type { Env } from "../worker/env";
import { replicaCount, sessionReplica } from "../worker/fleet/replicas";
import { advanceSession, idleUntil, pinnedIdFor } from "../worker/sessions/session-pin";
import { fleetFor } from "../worker/stubs";
import { writeBehind } from "./write-behind";

const STATE_KEY = "session";

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

  /** Leases a host for the session's next attempt and moves the pin if the fleet chose another. */
  acquire(input: SessionAcquire): Promise<AcquireResult> {
    // One decision at a time, so concurrent first requests of a session agree on one host.
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
    const until = idleUntil(this.state, this.idleTtlMs);
    if (Date.now() >= until) {
      this.state = null;
      await this.ctx.storage.deleteAll();
      return;
    }
    await this.ctx.storage.setAlarm(until);
    this.alarmSet = true;
  }

  private async decide(input: SessionAcquire): Promise<AcquireResult> {
    // The replica the Worker carried releases for: the one this session's key hashes to.
    const replica = sessionReplica(input.sessionKey, replicaCount(this.env));
    const fleet = fleetFor(this.env, { organizationId: input.organizationId, modelUuid: input.modelUuid }, replica);
    const result = await fleet.acquire({
      exclude: input.exclude,
      session: { pinnedId: pinnedIdFor(this.state, input.modelUuid) },
      cost: input.cost,
      releases: input.releases,
    });
    if (!result.ok) return result;
    const now = Date.now();
    const { next, repin } = advanceSession(this.state, input, result.lease.instanceId, result.repin, now);
    try {
      // A new or moved pin is stored before the answer, so affinity survives a restart. The same pin
      // used once more only records its use, a write that holds no answer: awaited, every session
      // request waited for a storage commit.
      const moved = next.instanceId !== this.state?.instanceId || next.modelUuid !== this.state.modelUuid;
      if (moved) await this.ctx.storage.put(STATE_KEY, next);
      else writeBehind(this.ctx.storage, STATE_KEY, next, "session");
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
