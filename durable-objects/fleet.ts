// One FleetObject per (organization, model): storage, alarm and RPC around FleetState, which holds
// the live state of the GPU hosts serving it (heartbeats, the router's probes and its own leases)
// and every rule over it. Selection reads only memory; no Postgres and no probe on the request path.
// One alarm (a Durable Object has one) rings at the earliest of two due times: the probe round every
// PROBE_INTERVAL_SECONDS and the control-plane sync every FLEET_SYNC_SECONDS.
import { DurableObject } from "cloudflare:workers";
import type { InstanceStatus } from "../schema";
import { configOf } from "../worker/config";
import type {
  AcquireOptions,
  AcquireResult,
  FleetScope,
  HeartbeatOutcome,
  HeartbeatReport,
  HostAdmission,
  LeaseOutcome,
  LeaseRelease,
  MemberView,
  ServedSample,
} from "../worker/contracts";
import type { Env } from "../worker/env";
import { readInstanceStatuses, writeFailures, writePromotions, writeRetirements } from "../worker/fleet/control-plane";
import { FleetState } from "../worker/fleet/fleet-state";
import { probeRound } from "../worker/fleet/probe-round";
import type { StoredMember } from "../worker/fleet/stored-member";
import { openHostKey } from "../worker/hosts/host-key";
import { defaultPolicy, type FleetMember } from "../worker/routing/fleet-policy";
import { defaultTokenPolicy } from "../worker/routing/token-load";

const memberKey = (instanceId: string) => `member:${instanceId}`;

export class FleetObject extends DurableObject<Env> {
  private readonly state: FleetState;
  private readonly syncEveryMs: number;
  private readonly probeEveryMs: number;
  private readonly probeTimeoutMs: number;
  private scope: FleetScope | undefined;
  /** When the alarm is set to ring (null: not set), and when each of its jobs is next due. */
  private alarmAt: number | null = null;
  private syncDueAt = 0;
  private probeDueAt = 0;
  /** Hosts' API keys, opened once from their sealed form; never written anywhere. */
  private readonly keys = new Map<string, { sealed: string; key: string | null }>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = configOf(env); // throws on a bad setting: the object refuses to run on garbage
    const policy = {
      ...defaultPolicy,
      staleAfterMs: config.STALE_AFTER_SECONDS * 1000,
      ejectBaseMs: config.BREAKER_COOLDOWN_MS,
      ejectMaxMs: config.BREAKER_MAX_COOLDOWN_MS,
      saturation: { maxWaiting: config.SATURATION_MAX_WAITING, maxKvUsage: config.SATURATION_MAX_KV_PERCENT / 100 },
    };
    const tokens = {
      ...defaultTokenPolicy,
      affinityBoundMs: config.SESSION_AFFINITY_BOUND_MS,
      saturation: policy.saturation,
    };
    this.state = new FleetState({ policy, tokens }, Date.now);
    this.syncEveryMs = config.FLEET_SYNC_SECONDS * 1000;
    this.probeEveryMs = config.PROBE_INTERVAL_SECONDS * 1000;
    this.probeTimeoutMs = Math.min(config.PROBE_TIMEOUT_MS, this.probeEveryMs);
    ctx.blockConcurrencyWhile(async () => {
      const saved = [...(await ctx.storage.list<StoredMember>({ prefix: "member:" })).values()];
      this.state.restore(saved);
      this.scope = await ctx.storage.get<FleetScope>("scope");
      this.alarmAt = await ctx.storage.getAlarm();
      for (const m of saved) await this.keyOf(m.instanceId, m.sealedApiKey ?? null);
    });
  }

  /** Returns the state now in force, and whether the caller should mirror it to Postgres. */
  async heartbeat(report: HeartbeatReport): Promise<HeartbeatOutcome> {
    const { outcome, save } = this.state.observe(report);
    if (!outcome.ok) return outcome;
    if (report.sealedApiKey) await this.keyOf(report.instanceId, report.sealedApiKey);
    if (save) await this.save([save]);
    if (report.scope) await this.setScope(report.scope);
    await this.arm();
    return outcome;
  }

  /** A host registered by the admin API: probed at once, routable after its first good probe. */
  async admit(admission: HostAdmission): Promise<void> {
    await this.keyOf(admission.instanceId, admission.sealedApiKey);
    const member = this.state.admit(admission);
    if (member) await this.save([member]);
    await this.setScope(admission.scope);
    this.probeDueAt = 0;
    await this.arm();
  }

  acquire(options: AcquireOptions = {}): AcquireResult {
    const result = this.state.acquire(options);
    if (!result.ok) return result;
    for (const lease of [result.lease, ...(result.spares ?? [])])
      lease.apiKey = this.keys.get(lease.instanceId)?.key ?? null;
    return result;
  }

  release(leaseId: string, outcome: LeaseOutcome, served?: ServedSample): void {
    this.state.release(leaseId, outcome, served);
  }

  /** What an isolate owed and no acquire carried (worker/fleet/owed-releases.ts). */
  releaseBatch(releases: LeaseRelease[]): void {
    for (const r of releases) this.state.release(r.leaseId, r.outcome, r.served);
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

  /** Probes the hosts and pulls operator status changes from Postgres, each when due. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    if (this.state.size === 0) return;
    const now = Date.now();
    if (now >= this.probeDueAt) {
      this.probeDueAt = now + this.probeEveryMs;
      await this.probe();
    }
    if (this.scope && now >= this.syncDueAt) {
      this.syncDueAt = now + this.syncEveryMs;
      await this.sync(this.scope);
    }
    await this.arm();
  }

  private async probe(): Promise<void> {
    try {
      const round = await probeRound(this.state, (id, sealed) => this.keyOf(id, sealed), this.probeTimeoutMs);
      await this.save(round.save);
      await writeFailures(this.env, round.failed);
      await writePromotions(this.env, round.promoted);
    } catch (err) {
      console.error(JSON.stringify({ msg: "fleet_probe_failed", fleet: this.scope, error: String(err) }));
    }
  }

  private async sync(scope: FleetScope): Promise<void> {
    try {
      const readAt = Date.now();
      const changes = this.state.sync(await readInstanceStatuses(this.env, scope), readAt);
      for (const m of changes.admitted) await this.keyOf(m.instanceId, m.sealedApiKey ?? null);
      await this.save([...changes.save, ...changes.admitted]);
      if (changes.admitted.length > 0) this.probeDueAt = 0;
      for (const instanceId of changes.forget) await this.ctx.storage.delete(memberKey(instanceId));
      await writePromotions(this.env, changes.promote);
      await this.save(this.state.retired(await writeRetirements(this.env, changes.retire)));
    } catch (err) {
      console.error(JSON.stringify({ msg: "fleet_sync_failed", fleet: scope, error: String(err) }));
    }
  }

  /** Sets the one alarm to the earliest due job, while the fleet has members. */
  private async arm(): Promise<void> {
    if (this.state.size === 0) return;
    const now = Date.now();
    if (this.syncDueAt === 0) this.syncDueAt = now + this.syncEveryMs;
    const due = Math.max(now, this.scope ? Math.min(this.probeDueAt, this.syncDueAt) : this.probeDueAt);
    if (this.alarmAt !== null && this.alarmAt <= due) return;
    this.alarmAt = due;
    await this.ctx.storage.setAlarm(due);
  }

  private async setScope(scope: FleetScope): Promise<void> {
    if (this.scope?.organizationId === scope.organizationId && this.scope.modelUuid === scope.modelUuid) return;
    this.scope = scope;
    await this.ctx.storage.put("scope", scope);
  }

  /** The host's plain key from its sealed form, opened once; null (logged) when it cannot be opened. */
  private async keyOf(instanceId: string, sealed: string | null): Promise<string | null> {
    if (!sealed) return null;
    const held = this.keys.get(instanceId);
    if (held?.sealed === sealed) return held.key;
    let key: string | null = null;
    try {
      key = await openHostKey(sealed, this.env.HOST_KEY_ENCRYPTION_KEY, instanceId);
    } catch (err) {
      console.error(JSON.stringify({ msg: "host_key_unusable", instance: instanceId, error: String(err) }));
    }
    this.keys.set(instanceId, { sealed, key });
    return key;
  }

  private async save(members: FleetMember[]): Promise<void> {
    for (const m of members) await this.ctx.storage.put(memberKey(m.instanceId), m);
  }
}
