// One FleetObject per (organization, model): storage, alarm and RPC around FleetState, which holds
// the live state of the GPU hosts serving it (heartbeats plus the router's own leases) and every
// rule over it. Selection reads only memory; no Postgres on the request path. An alarm re-reads the
// control plane's statuses from Postgres every few seconds.
import { DurableObject } from "cloudflare:workers";
import type { InstanceStatus } from "../schema";
import { configOf } from "../worker/config";
import type {
  AcquireOptions,
  AcquireResult,
  FleetScope,
  HeartbeatOutcome,
  HeartbeatReport,
  LeaseOutcome,
  MemberView,
} from "../worker/contracts";
import type { Env } from "../worker/env";
import { readInstanceStatuses, writePromotions, writeRetirements } from "../worker/fleet/control-plane";
import { FleetState, type StoredMember } from "../worker/fleet/fleet-state";
import { defaultPolicy, type FleetMember } from "../worker/routing/fleet-policy";

const memberKey = (instanceId: string) => `member:${instanceId}`;

export class FleetObject extends DurableObject<Env> {
  private readonly state: FleetState;
  private readonly syncEveryMs: number;
  private scope: FleetScope | undefined;
  private syncScheduled = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = configOf(env); // throws on a bad setting: the object refuses to run on garbage
    const policy = {
      ...defaultPolicy,
      staleAfterMs: config.STALE_AFTER_SECONDS * 1000,
      ejectBaseMs: config.BREAKER_COOLDOWN_MS,
      ejectMaxMs: config.BREAKER_MAX_COOLDOWN_MS,
    };
    const session = { repinMargin: config.SESSION_REPIN_MARGIN };
    this.state = new FleetState({ policy, session }, Date.now);
    this.syncEveryMs = config.FLEET_SYNC_SECONDS * 1000;
    ctx.blockConcurrencyWhile(async () => {
      this.state.restore((await ctx.storage.list<StoredMember>({ prefix: "member:" })).values());
      this.scope = await ctx.storage.get<FleetScope>("scope");
      this.syncScheduled = (await ctx.storage.getAlarm()) !== null;
    });
  }

  /** Returns the state now in force, and whether the caller should mirror it to Postgres. */
  async heartbeat(report: HeartbeatReport): Promise<HeartbeatOutcome> {
    const { outcome, save } = this.state.observe(report);
    if (!outcome.ok) return outcome;
    if (save) await this.save([save]);
    const scope = report.scope;
    if (scope && (this.scope?.organizationId !== scope.organizationId || this.scope.modelUuid !== scope.modelUuid)) {
      this.scope = scope;
      await this.ctx.storage.put("scope", scope);
    }
    await this.scheduleSync();
    return outcome;
  }

  acquire(options: AcquireOptions = {}): AcquireResult {
    return this.state.acquire(options);
  }

  release(leaseId: string, outcome: LeaseOutcome): void {
    this.state.release(leaseId, outcome);
  }

  /** Control-plane status change (admin API); takes effect for the next selection. */
  async setStatus(instanceId: string, status: InstanceStatus): Promise<boolean> {
    const member = this.state.setStatus(instanceId, status);
    if (member) await this.save([member]);
    return member !== null;
  }

  snapshot(): FleetMember[] {
    return this.state.snapshot();
  }

  view(instanceIds?: string[]): MemberView[] {
    return this.state.view(instanceIds);
  }

  /** Pulls operator status changes from Postgres while this fleet has members. */
  override async alarm(): Promise<void> {
    this.syncScheduled = false;
    if (!this.scope || this.state.size === 0) return;
    try {
      const readAt = Date.now();
      const changes = this.state.sync(await readInstanceStatuses(this.env, this.scope), readAt);
      await this.save(changes.save);
      for (const instanceId of changes.forget) await this.ctx.storage.delete(memberKey(instanceId));
      await writePromotions(this.env, changes.promote);
      await this.save(this.state.retired(await writeRetirements(this.env, changes.retire)));
    } catch (err) {
      console.error(JSON.stringify({ msg: "fleet_sync_failed", fleet: this.scope, error: String(err) }));
    }
    await this.scheduleSync();
  }

  private async scheduleSync(): Promise<void> {
    if (this.syncScheduled || !this.scope || this.state.size === 0) return;
    this.syncScheduled = true;
    await this.ctx.storage.setAlarm(Date.now() + this.syncEveryMs);
  }

  private async save(members: FleetMember[]): Promise<void> {
    for (const m of members) await this.ctx.storage.put(memberKey(m.instanceId), m);
  }
}
