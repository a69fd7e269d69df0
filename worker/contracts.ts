// What the Worker and the Durable Objects say to each other: the shapes of their RPC calls and
// answers, in one place. Worker code imports these, never a Durable Object file (only env.ts names
// the object classes, for the bindings' types).
import type { InstanceStatus, Limits } from "../schema";
import type { AgentFacts } from "./hosts/agent-report";
import type { Admission, Ask } from "./limits/policy";
import type { FleetMember } from "./routing/fleet-policy";
import type { RepinReason } from "./routing/session-policy";
import type { RequestCost } from "./routing/token-load";
import type { UsageEvent } from "./usage/event";

/** Whose hosts for which model: one FleetObject each. */
export interface FleetScope {
  organizationId: string;
  modelUuid: string;
}

/**
 * What is known of a host at one moment: its heartbeat says it, and so could a probe of the host.
 * FleetState takes either through the same door (`FleetState.observe`).
 */
export interface HostObservation {
  instanceId: string;
  /** Required the first time; later observations may omit it. */
  baseUrl?: string;
  /** What the host says of itself: one of `hostStatuses`; null when it did not say (kept; new: starting). */
  hostStatus: string | null;
  /** waiting + running; null when the agent could not read its vLLM (the load is then left as it was). */
  queueDepth: number | null;
  /** Waiting alone, when the agent tells it apart (the seed system's does). */
  waiting?: number | null;
  /** Postgres status, used when the fleet does not know the instance yet. */
  knownStatus: InstanceStatus;
  /** The model's Hugging Face id, which the host's /v1/models must list. */
  model?: string;
  /** The host's vLLM key as registered (sealed), so probes and requests carry it. */
  sealedApiKey?: string | null;
  /** GPU facts and agent version, for the admin API. */
  agent?: AgentFacts;
}

/** A host registered by the admin API: the fleet probes it from now on. */
export interface HostAdmission {
  instanceId: string;
  baseUrl: string;
  model: string;
  sealedApiKey: string | null;
  knownStatus: InstanceStatus;
  scope: FleetScope;
  /** The operator's word on its slots (vLLM --max-num-seqs); learned when absent. */
  maxNumSeqs?: number | null;
}

export interface HeartbeatReport extends HostObservation {
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
  /** The host's own vLLM API key, sent as Bearer; null for a keyless host. */
  apiKey?: string | null;
  /** The fleet replica that issued it (fleet/replicas.ts), set by its caller: the release goes back there. */
  replica?: number;
}

export interface AcquireOptions {
  /** Hosts that already failed this request. */
  exclude?: string[];
  /** Set for a session's request: its pinned host, null on its first request. */
  session?: { pinnedId: string | null };
  /** Only this host may serve it (it holds the request's state: routing/holder-policy.ts). */
  only?: string;
  /** What the request will cost in tokens; without it, an empty prompt and the default output. */
  cost?: RequestCost;
  /** Leases this isolate's ended requests hand back, applied before the choice. */
  releases?: LeaseRelease[];
  /**
   * Leases to open beyond this request's, each chosen as if another request like it came next: the isolate
   * hands them to its next requests without a call (worker/fleet/spare-leases.ts). Plain requests only.
   */
  spares?: number;
}

/** `repin` is null when a session kept its host, and for requests without a session. */
export type AcquireResult =
  | { ok: true; lease: Lease; repin: RepinReason | null; spares?: Lease[] }
  /** `held`: an `only` host that is gone for good, or unavailable for now. */
  | { ok: false; reason: string; held?: "gone" | "unavailable" };

/**
 * How a leased request ended, as far as the host's health is concerned ("expired": unknown; "unused": a spare
 * lease no request took).
 */
export type LeaseOutcome = "ok" | "host_failed" | "expired" | "unused";

/** A lease handed back, with how its request ended (worker/fleet/owed-releases.ts delivers it). */
export interface LeaseRelease {
  leaseId: string;
  outcome: LeaseOutcome;
  served?: ServedSample;
}

import type { ServedSample } from "./routing/capacity";

export type { ServedSample };

/** A member as the admin API shows it. */
export interface MemberView extends FleetMember {
  liveLoad: number;
  routable: boolean;
  /** Why it takes no new work, when it does not. */
  unroutable: RepinReason | null;
}

export interface SessionAcquire {
  organizationId: string;
  sessionKey: string;
  modelUuid: string;
  /** Hosts that already failed this request. */
  exclude: string[];
  /** False for a failover attempt of a request already counted. */
  newRequest: boolean;
  cost?: RequestCost;
  /** Passed on to the fleet's acquire. */
  releases?: LeaseRelease[];
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

/** What one outbox shard has done since it started (in memory): how well hand-offs are grouped. */
export interface OutboxCounters {
  /** enqueue/enqueueBatch calls answered. */
  calls: number;
  /** Events those calls carried. */
  events: number;
  /** SQLite transactions those calls committed (one per call). */
  commits: number;
  /**
   * Rows those calls and the flushes wrote, as SQLite counts them (an index entry is a row): what a Durable
   * Object's storage bills. A group is stored as few rows as fit (worker/usage/outbox-rows.ts).
   */
  rowsWritten: number;
  /** Postgres pools opened by flushes: one, unless an error made it start afresh. */
  poolsOpened: number;
}

export interface OutboxStatus {
  /** Events stored and not yet written to Postgres. */
  backlog: number;
  /** The backlog is past USAGE_OUTBOX_MAX_BACKLOG. */
  full: boolean;
  /** Events Postgres refused (data or constraint error), kept aside for an operator. */
  deadLettered: number;
}

/** A dead-lettered event as an operator sees it. */
export interface DeadLetterView {
  requestId: string;
  error: string;
  failedAt: number;
  event: UsageEvent;
}

/** Whose limits a LimiterObject holds: one API key's, or an organization's as a whole. */
export interface LimiterScope {
  kind: "key" | "org";
  id: string;
}

/** A scope with its limits as the caller's memoised key lookup read them. */
export interface LimitedScope extends LimiterScope {
  limits: Limits;
}

/**
 * One admission, one call from the Worker: `scope`'s limiter admits, then asks `parent`'s (the
 * organization's, when a limited key belongs to a limited organization) and undoes its own admission
 * if that one refuses.
 */
export interface LimiterAdmit {
  scope: LimitedScope;
  parent: LimitedScope | null;
  ask: Ask;
  /** Settlements this isolate owes the limiter, applied before the admission (worker/limits/owed-settlements.ts). */
  settled?: Settlement[];
}

/** A request has ended: what it really used replaces its reservation. */
export interface Settlement {
  id: string;
  usedTokens: number;
  cost: string;
}

/** The admission, and on a refusal which of the two scopes refused. */
export type LimiterAnswer = Admission & { by: LimiterScope["kind"] };

/** Which host holds a stored Responses API response, and for which model (its fleet). */
export interface HeldResponse {
  instanceId: string;
  modelUuid: string;
}
