// The live state of one fleet (one organization's hosts for one model) and its rules: admission by
// heartbeat, leases, the circuit breaker, and adoption of the control plane's statuses. Plain code
// on an injected clock: FleetObject owns storage, alarms and RPC and hands every decision to this.
// Methods that change a member return what must be written to storage; nothing here does I/O.
import type { InstanceStatus } from "../../schema";
import type {
  AcquireOptions,
  AcquireResult,
  HeartbeatOutcome,
  HostAdmission,
  HostObservation,
  Lease,
  LeaseOutcome,
  MemberView,
} from "../contracts";
import type { ProbeOutcome } from "../probes/probe-host";
import { defaultThresholds, type ProbeThresholds } from "../probes/probe-state";
import { learnRate, type ServedSample, unknownCapacity } from "../routing/capacity";
import { admissionsFrom, type ControlPlaneRow, reconcile, type SyncChanges } from "../routing/control-plane-sync";
import {
  ejectAfterFailure,
  explainNoHost,
  type FleetMember,
  type FleetPolicy,
  isIdle,
  isRoutable,
} from "../routing/fleet-policy";
import { routeToHolder } from "../routing/holder-policy";
import { costOf, type RequestCost, type TokenPolicy } from "../routing/token-load";
import { type ChoiceInput, chooseHost } from "./choose-host";
import { HostViews } from "./host-views";
import { Leases } from "./leases";
import { admittedMember, applyProbeOutcome, applyReport, type ProbeEffect } from "./member-signals";
import { memberView } from "./member-view";
import { type FleetProbeTarget, probeTargets } from "./probe-targets";
import { restoredMember, type StoredMember } from "./stored-member";

export interface FleetSettings {
  policy: FleetPolicy;
  /** Load in tokens, expected latency and the session bound (routing/token-load.ts). */
  tokens: TokenPolicy;
  /** Probe thresholds (default: out after 3 failures, back after 2 good probes). */
  probes?: ProbeThresholds;
}

/** An unchanged member is still written this often, so a restarted object has recent heartbeats. */
export const PERSIST_EVERY_MS = 30_000;
export class FleetState {
  private readonly members = new Map<string, FleetMember>();
  /** The same members as an array, for the policies' random access; rebuilt when membership changes. */
  private roster: FleetMember[] = [];
  private readonly leases = new Leases();
  private readonly persistedAt = new Map<string, number>();
  /** When the admin API last set each member's status, so a sync read before it cannot undo it. */
  private readonly statusSetAt = new Map<string, number>();
  /** Per member, its latest reading's time and how many of our leases were open then (token-load.ts). */
  private readonly views = new HostViews(this.leases);

  private get thresholds(): ProbeThresholds {
    return this.settings.probes ?? defaultThresholds;
  }

  constructor(
    private readonly settings: FleetSettings,
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
    private readonly newLeaseId: () => string = () => crypto.randomUUID(),
  ) {}

  get size(): number {
    return this.members.size;
  }

  /** Members read back from storage: leases did not survive, so nothing is in flight. */
  restore(saved: Iterable<StoredMember>): void {
    for (const stored of saved) this.members.set(stored.instanceId, restoredMember(stored));
    this.roster = [...this.members.values()];
  }

  /**
   * A heartbeat (or a probe's finding): admits a new host, refreshes a known one. Returns the state
   * now in force and the member to write when it changed or was last written long ago.
   */
  observe(report: HostObservation): { outcome: HeartbeatOutcome; save: FleetMember | null } {
    const now = this.now();
    const known = this.members.get(report.instanceId);
    // A terminated host is done for good: its agent is told to stop instead of being re-admitted.
    if ((known?.status ?? report.knownStatus) === "terminated")
      return { outcome: { ok: false, reason: "terminated" }, save: null };
    const baseUrl = report.baseUrl ?? known?.baseUrl;
    if (!baseUrl) return { outcome: { ok: false, reason: "base_url_required" }, save: null };
    const { member, changed } = applyReport(known, { ...report, baseUrl }, now, (at) =>
      this.leases.issuedAfter(report.instanceId, at),
    );
    if (report.queueDepth !== null) this.views.readingAdopted(member);
    if (!known) {
      this.members.set(member.instanceId, member);
      this.roster = [...this.members.values()];
    }
    const persist = changed || now - (this.persistedAt.get(member.instanceId) ?? 0) > PERSIST_EVERY_MS;
    if (persist) this.persistedAt.set(member.instanceId, now);
    return { outcome: { ok: true, status: member.status, baseUrl, persist }, save: persist ? member : null };
  }

  /** A host registered by the admin API; null when the fleet knows it already (its agent was first). */
  admit(a: Omit<HostAdmission, "scope">): FleetMember | null {
    const known = this.members.get(a.instanceId);
    if (known) {
      known.model = a.model;
      known.sealedApiKey = a.sealedApiKey;
      known.capacity = { ...(known.capacity ?? unknownCapacity()), declaredSlots: a.maxNumSeqs ?? null };
      return known;
    }
    const member = admittedMember(a);
    this.members.set(member.instanceId, member);
    this.roster = [...this.members.values()];
    this.persistedAt.set(member.instanceId, this.now());
    return member;
  }

  /** The hosts to probe this round (not failed, not on their way out), each with what to ask. */
  probeTargets(): FleetProbeTarget[] {
    return probeTargets(this.members.values(), this.thresholds);
  }

  /** One probe round's outcome for a member; the member to write when its verdict changed. */
  probed(instanceId: string, outcome: ProbeOutcome): ProbeEffect & { save: FleetMember | null } {
    const member = this.members.get(instanceId);
    if (!member) return { changed: false, failedReason: null, promoted: false, save: null };
    const effect = applyProbeOutcome(member, outcome, this.thresholds, (at) => this.leases.issuedAfter(instanceId, at));
    this.views.readingAdopted(member);
    // A host known only by its probes is still written now and then, for what routing learned of it.
    const now = this.now();
    const persist = effect.changed || now - (this.persistedAt.get(instanceId) ?? 0) > PERSIST_EVERY_MS;
    if (persist) this.persistedAt.set(instanceId, now);
    return { ...effect, save: persist ? member : null };
  }

  /** Chooses a host (the session's pinned one if it still qualifies) and opens a lease on it. */
  acquire(options: AcquireOptions = {}): AcquireResult {
    const now = this.now();
    for (const r of options.releases ?? []) this.release(r.leaseId, r.outcome, r.served);
    for (const id of this.leases.expired(now)) this.release(id, "expired");
    const { policy, tokens } = this.settings;
    const request = options.cost ?? { promptTokens: 0, outputTokens: tokens.defaultOutputTokens };
    const exclude = new Set(options.exclude ?? []);
    if (options.only !== undefined) {
      const held = routeToHolder(this.members.get(options.only), now, policy);
      return held.ok
        ? { ok: true, lease: this.lease(held.member, now, request), repin: null }
        : { ok: false, reason: held.reason, held: held.held };
    }
    const input: ChoiceInput = {
      roster: this.roster,
      find: (id) => this.members.get(id),
      view: (m) => this.views.view(m),
      request,
      exclude,
      pinnedId: options.session?.pinnedId,
      now,
      random: this.random,
    };
    const route = chooseHost(input, policy, tokens);
    if (!route.chosen) return { ok: false, reason: explainNoHost(this.members.values(), now, policy) };
    const lease = this.lease(route.chosen, now, request);
    if (!options.spares || options.session) return { ok: true, lease, repin: route.repin };
    const spares = this.spares(input, options.spares);
    return { ok: true, lease, repin: null, ...(spares.length > 0 ? { spares } : {}) };
  }

  /**
   * Up to `n` more leases, each chosen as the next request like this one would be, with the leases before it
   * counted; never one on a host only panic would choose (every routable one cooling down).
   */
  private spares(input: ChoiceInput, n: number): Lease[] {
    const { policy, tokens } = this.settings;
    const spares: Lease[] = [];
    while (spares.length < n) {
      const next = chooseHost(input, policy, tokens).chosen;
      if (!next || !isRoutable(next, input.now, policy)) break;
      spares.push(this.lease(next, input.now, input.request));
    }
    return spares;
  }

  private lease(chosen: FleetMember, now: number, request: RequestCost): Lease {
    const leaseId = this.newLeaseId();
    this.leases.issue(leaseId, chosen.instanceId, now, costOf(request, this.settings.tokens));
    chosen.inflight += 1;
    chosen.inflightSinceReport += 1;
    return { leaseId, instanceId: chosen.instanceId, baseUrl: chosen.baseUrl };
  }

  /**
   * Closes a lease however its request ended; a host failure trips the circuit breaker. `served`: how fast
   * a stream that completed was generated, which teaches the host's decode rate.
   */
  release(leaseId: string, outcome: LeaseOutcome, served?: ServedSample): void {
    const lease = this.leases.close(leaseId);
    if (!lease) return;
    const member = this.members.get(lease.instanceId);
    if (!member) return;
    if (served && outcome === "ok") {
      member.capacity ??= unknownCapacity();
      learnRate(member.capacity, served);
    }
    member.inflight = Math.max(0, member.inflight - 1);
    if (lease.issuedAt > (member.load?.at ?? member.lastHeartbeatAt))
      member.inflightSinceReport = Math.max(0, member.inflightSinceReport - 1);
    // Half-open: after its cooldown an ejected host is chosen again; one success closes the breaker.
    if (outcome === "host_failed") ejectAfterFailure(member, this.now(), this.settings.policy);
    else if (outcome === "ok") member.consecutiveFailures = 0;
  }

  /** Control-plane status change (admin API); returns the member to write, null when unknown. */
  setStatus(instanceId: string, status: InstanceStatus): FleetMember | null {
    const member = this.members.get(instanceId);
    if (!member) return null;
    const now = this.now();
    member.status = status;
    this.statusSetAt.set(instanceId, now);
    this.persistedAt.set(instanceId, now);
    return member;
  }

  snapshot(): FleetMember[] {
    return [...this.members.values()].map((m) => ({ ...m }));
  }

  /** The given members (all when omitted) with their live load and routability. */
  view(instanceIds?: string[]): MemberView[] {
    const now = this.now();
    const wanted = instanceIds ? instanceIds.flatMap((id) => this.members.get(id) ?? []) : [...this.members.values()];
    return wanted.map((m) => memberView(m, now, this.settings.policy));
  }

  /**
   * Adopts the control plane's statuses, read from Postgres at `readAt`. A status the admin API set
   * after the read, and a host that first reported after it, are newer than the read and kept.
   */
  sync(rows: readonly ControlPlaneRow[], readAt: number): SyncChanges {
    const now = this.now();
    const changes = reconcile(this.members.values(), rows, (m) => isIdle(m, now, this.settings.policy));
    // The operator's max_num_seqs, as Postgres has it now (routing only: no write needed for it alone).
    for (const row of rows) {
      const m = this.members.get(row.id);
      if (m && (m.capacity?.declaredSlots ?? null) !== row.maxNumSeqs)
        m.capacity = { ...(m.capacity ?? unknownCapacity()), declaredSlots: row.maxNumSeqs };
    }
    const save: FleetMember[] = [];
    for (const { instanceId, status } of changes.adopt) {
      const member = this.members.get(instanceId);
      if (!member || (this.statusSetAt.get(instanceId) ?? 0) >= readAt) continue;
      member.status = status;
      this.persistedAt.set(instanceId, now);
      save.push(member);
    }
    const forget: string[] = [];
    for (const instanceId of changes.forget) {
      // A host that registered while the read was in flight may be missing from it.
      if ((this.members.get(instanceId)?.lastHeartbeatAt ?? 0) >= readAt) continue;
      this.members.delete(instanceId);
      this.views.forget(instanceId);
      this.persistedAt.delete(instanceId);
      this.statusSetAt.delete(instanceId);
      forget.push(instanceId);
    }
    if (forget.length > 0) this.roster = [...this.members.values()];
    const admitted = admissionsFrom(rows, (id) => this.members.has(id)).flatMap((a) => this.admit(a) ?? []);
    return { save, admitted, forget, promote: changes.promote, retire: changes.retire };
  }

  /** Members Postgres now says are terminated (the rows `retire` changed): out of the fleet for good. */
  retired(instanceIds: Iterable<string>): FleetMember[] {
    const save: FleetMember[] = [];
    for (const instanceId of instanceIds) {
      const member = this.members.get(instanceId);
      if (member?.status !== "terminating") continue;
      member.status = "terminated";
      this.persistedAt.set(instanceId, this.now());
      save.push(member);
    }
    return save;
  }
}
