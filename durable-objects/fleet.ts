// One FleetObject per (organization, model): the live state of the GPU hosts serving it (heartbeats plus the
// router's own leases). Selection reads only this memory; no Postgres on the request path.
// An alarm re-reads the control plane's statuses from Postgres every few seconds.
import { DurableObject } from "cloudflare:workers";
import type { InstanceStatus } from "../schema";
import { configOf } from "../worker/config";
import type { Env } from "../worker/env";
import { readInstanceStatuses, writePromotions, writeRetirements } from "../worker/fleet/control-plane";
import type { FleetScope } from "../worker/fleet/fleet-ref";
import { reconcile } from "../worker/routing/control-plane-sync";
import {
  defaultPolicy,
  ejectAfterFailure,
  explainNoWorker,
  type FleetMember,
  type FleetPolicy,
  isIdle,
  isRoutable,
  liveLoad,
  selectLeastLoaded,
} from "../worker/routing/fleet-policy";
import { type RepinReason, routeSession, type SessionPolicy, unroutableReason } from "../worker/routing/session-policy";

export interface HeartbeatReport {
  instanceId: string;
  /** Required the first time; later reports may omit it. */
  baseUrl?: string;
  workerStatus: string;
  queueDepth: number;
  /** Postgres status, used when this object does not know the instance yet. */
  knownStatus: InstanceStatus;
  /** Whose hosts for which model; lets the object find its rows in Postgres. */
  scope?: FleetScope;
}

export type HeartbeatOutcome =
  | { ok: false; reason: "base_url_required" | "terminated" }
  | { ok: true; status: InstanceStatus; baseUrl: string; persist: boolean };

export interface Lease {
  leaseId: string;
  instanceId: string;
  baseUrl: string;
}

export interface AcquireOptions {
  /** Workers that already failed this request. */
  exclude?: string[];
  /** Set for a session's request: its pinned worker, null on its first request. */
  session?: { pinnedId: string | null };
}

/** `repin` is null when a session kept its worker, and for requests without a session. */
export type AcquireResult = { ok: true; lease: Lease; repin: RepinReason | null } | { ok: false; reason: string };

/** How a leased request ended, as far as the worker's health is concerned ("expired": unknown). */
export type LeaseOutcome = "ok" | "worker_failed" | "expired";

/** A member as the admin API shows it. */
export interface MemberView extends FleetMember {
  liveLoad: number;
  routable: boolean;
  /** Why it takes no new work, when it does not. */
  unroutable: RepinReason | null;
}

const PERSIST_EVERY_MS = 30_000;
const LEASE_MAX_AGE_MS = 15 * 60_000;

interface OpenLease {
  instanceId: string;
  issuedAt: number;
}

export class FleetObject extends DurableObject<Env> {
  private readonly members = new Map<string, FleetMember>();
  /** The same members as an array, for the policies' random access; rebuilt when membership changes. */
  private roster: FleetMember[] = [];
  private readonly leases = new Map<string, OpenLease>();
  private readonly persistedAt = new Map<string, number>();
  /** When the admin API last set each member's status, so a sync read before it cannot undo it. */
  private readonly statusSetAt = new Map<string, number>();
  private readonly policy: FleetPolicy;
  private readonly sessionPolicy: SessionPolicy;
  private readonly syncEveryMs: number;
  private scope: FleetScope | undefined;
  private syncScheduled = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = configOf(env); // throws on a bad setting: the object refuses to run on garbage
    this.policy = {
      ...defaultPolicy,
      staleAfterMs: config.STALE_AFTER_SECONDS * 1000,
      ejectBaseMs: config.BREAKER_COOLDOWN_MS,
      ejectMaxMs: config.BREAKER_MAX_COOLDOWN_MS,
    };
    this.sessionPolicy = { repinMargin: config.SESSION_REPIN_MARGIN };
    this.syncEveryMs = config.FLEET_SYNC_SECONDS * 1000;
    ctx.blockConcurrencyWhile(async () => {
      const saved = await ctx.storage.list<FleetMember>({ prefix: "member:" });
      for (const m of saved.values()) this.members.set(m.instanceId, { ...m, inflight: 0, inflightSinceReport: 0 });
      this.roster = [...this.members.values()];
      this.scope = await ctx.storage.get<FleetScope>("scope");
      this.syncScheduled = (await ctx.storage.getAlarm()) !== null;
    });
  }

  /** Returns the state now in force, and whether the caller should mirror it to Postgres. */
  async heartbeat(report: HeartbeatReport): Promise<HeartbeatOutcome> {
    const now = Date.now();
    const known = this.members.get(report.instanceId);
    // A terminated host is done for good: its agent is told to stop instead of being re-admitted.
    if ((known?.status ?? report.knownStatus) === "terminated") return { ok: false, reason: "terminated" };
    const baseUrl = report.baseUrl ?? known?.baseUrl;
    if (!baseUrl) return { ok: false, reason: "base_url_required" };
    const member: FleetMember = known ?? {
      instanceId: report.instanceId,
      baseUrl,
      status: report.knownStatus,
      workerStatus: report.workerStatus,
      reportedQueueDepth: 0,
      lastHeartbeatAt: now,
      inflight: 0,
      inflightSinceReport: 0,
      ejectedUntil: 0,
      consecutiveFailures: 0,
    };
    const before = `${member.status}/${member.workerStatus}/${member.baseUrl}`;
    member.baseUrl = baseUrl;
    member.workerStatus = report.workerStatus;
    member.reportedQueueDepth = report.queueDepth;
    member.lastHeartbeatAt = now;
    member.inflightSinceReport = 0;
    // A host that boots and says it is ready becomes routable; operator states are kept.
    if ((member.status === "booting" || member.status === "provisioning") && report.workerStatus === "ready") {
      member.status = "ready";
    }
    if (!known) {
      this.members.set(member.instanceId, member);
      this.roster = [...this.members.values()];
    }
    const changed = !known || before !== `${member.status}/${member.workerStatus}/${member.baseUrl}`;
    const persist = changed || now - (this.persistedAt.get(member.instanceId) ?? 0) > PERSIST_EVERY_MS;
    if (persist) await this.save(member, now);
    if (
      report.scope &&
      (this.scope?.organizationId !== report.scope.organizationId || this.scope.modelUuid !== report.scope.modelUuid)
    ) {
      this.scope = report.scope;
      await this.ctx.storage.put("scope", report.scope);
    }
    await this.scheduleSync();
    return { ok: true, status: member.status, baseUrl, persist };
  }

  /** Chooses a worker (the session's pinned one if it still qualifies) and opens a lease on it. */
  acquire(options: AcquireOptions = {}): AcquireResult {
    const now = Date.now();
    this.expireOldLeases(now);
    const exclude = new Set(options.exclude ?? []);
    const route = options.session
      ? routeSession(
          {
            members: this.roster,
            find: (id) => this.members.get(id),
            pinnedId: options.session.pinnedId,
            exclude,
            now,
          },
          this.policy,
          this.sessionPolicy,
        )
      : { chosen: selectLeastLoaded(this.roster, now, this.policy, exclude), repin: null };
    const chosen = route.chosen;
    if (!chosen) return { ok: false, reason: explainNoWorker(this.members.values(), now, this.policy) };
    const leaseId = crypto.randomUUID();
    this.leases.set(leaseId, { instanceId: chosen.instanceId, issuedAt: now });
    chosen.inflight += 1;
    chosen.inflightSinceReport += 1;
    return { ok: true, lease: { leaseId, instanceId: chosen.instanceId, baseUrl: chosen.baseUrl }, repin: route.repin };
  }

  /** Closes a lease however its request ended; a worker failure trips the circuit breaker. */
  release(leaseId: string, outcome: LeaseOutcome): void {
    const lease = this.leases.get(leaseId);
    if (!lease) return;
    this.leases.delete(leaseId);
    const member = this.members.get(lease.instanceId);
    if (!member) return;
    member.inflight = Math.max(0, member.inflight - 1);
    if (lease.issuedAt > member.lastHeartbeatAt)
      member.inflightSinceReport = Math.max(0, member.inflightSinceReport - 1);
    // Half-open: after its cooldown an ejected worker is chosen again; one success closes the breaker.
    if (outcome === "worker_failed") ejectAfterFailure(member, Date.now(), this.policy);
    else if (outcome === "ok") member.consecutiveFailures = 0;
  }

  /** Control-plane status change (admin API); takes effect for the next selection. */
  async setStatus(instanceId: string, status: InstanceStatus): Promise<boolean> {
    const member = this.members.get(instanceId);
    if (!member) return false;
    member.status = status;
    this.statusSetAt.set(instanceId, Date.now());
    await this.save(member, Date.now());
    return true;
  }

  snapshot(): FleetMember[] {
    return [...this.members.values()].map((m) => ({ ...m }));
  }

  /** The given members (all when omitted) with their live load and routability. */
  view(instanceIds?: string[]): MemberView[] {
    const now = Date.now();
    const wanted = instanceIds ? instanceIds.flatMap((id) => this.members.get(id) ?? []) : [...this.members.values()];
    return wanted.map((m) => ({
      ...m,
      liveLoad: liveLoad(m),
      routable: isRoutable(m, now, this.policy),
      unroutable: unroutableReason(m, now, this.policy),
    }));
  }

  /** Pulls operator status changes from Postgres while this fleet has members. */
  override async alarm(): Promise<void> {
    this.syncScheduled = false;
    if (!this.scope || this.members.size === 0) return;
    try {
      const readAt = Date.now();
      const rows = await readInstanceStatuses(this.env, this.scope);
      const changes = reconcile(this.members.values(), rows, (m) => isIdle(m, Date.now(), this.policy));
      const now = Date.now();
      for (const { instanceId, status } of changes.adopt) {
        const member = this.members.get(instanceId);
        if (member && (this.statusSetAt.get(instanceId) ?? 0) < readAt) {
          member.status = status;
          await this.save(member, now);
        }
      }
      for (const instanceId of changes.forget) {
        // A host that registered while the read was in flight may be missing from it.
        if ((this.members.get(instanceId)?.lastHeartbeatAt ?? 0) >= readAt) continue;
        this.members.delete(instanceId);
        await this.ctx.storage.delete(`member:${instanceId}`);
      }
      if (changes.forget.length > 0) this.roster = [...this.members.values()];
      await writePromotions(this.env, changes.promote);
      for (const instanceId of await writeRetirements(this.env, changes.retire)) {
        const member = this.members.get(instanceId);
        if (member?.status !== "terminating") continue;
        member.status = "terminated";
        await this.save(member, Date.now());
      }
    } catch (err) {
      console.error(JSON.stringify({ msg: "fleet_sync_failed", fleet: this.scope, error: String(err) }));
    }
    await this.scheduleSync();
  }

  private async scheduleSync(): Promise<void> {
    if (this.syncScheduled || !this.scope || this.members.size === 0) return;
    this.syncScheduled = true;
    await this.ctx.storage.setAlarm(Date.now() + this.syncEveryMs);
  }

  private async save(member: FleetMember, now: number): Promise<void> {
    this.persistedAt.set(member.instanceId, now);
    await this.ctx.storage.put(`member:${member.instanceId}`, member);
  }

  /** A lease whose release never came (its isolate died) must not count as load forever. */
  private expireOldLeases(now: number): void {
    // Maps iterate in insertion order, which is issue order: stop at the first young lease.
    for (const [id, lease] of this.leases) {
      if (now - lease.issuedAt <= LEASE_MAX_AGE_MS) return;
      this.release(id, "expired");
    }
  }
}
