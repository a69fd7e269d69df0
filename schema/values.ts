// Value lists of the schema, written once; code derives its unions and validation from them.
export const apiKeyRoles = ["admin", "member"] as const;
export type ApiKeyRole = (typeof apiKeyRoles)[number];

export const instanceStatuses = [
  "provisioning",
  "booting",
  "ready",
  "draining",
  "terminating",
  "terminated",
  "failed",
] as const;
export type InstanceStatus = (typeof instanceStatuses)[number];
/** Statuses of a host not yet routable, that its own "ready" promotes to `ready`. */
export const beforeReadyStatuses = ["provisioning", "booting"] as const satisfies readonly InstanceStatus[];

export const instanceProviders = ["static", "mock"] as const;
export type InstanceProvider = (typeof instanceProviders)[number];

/** What a GPU host reports of itself (`instances.worker_status`, heartbeats' `status`). */
export const hostStatuses = ["starting", "ready", "draining"] as const;
export type HostStatus = (typeof hostStatuses)[number];

/** `refused`: turned away by the key's or organization's limits before reaching a host (429, no charge). */
export const usageStatuses = ["succeeded", "failed", "aborted", "refused"] as const;
export type UsageStatus = (typeof usageStatuses)[number];
/**
 * What a ledger row meters: generation (priced per token), a utility call (tokenize, score, rerank: not
 * charged), audio in (transcription, translation: priced per second of audio) or speech (per character in).
 */
export const usageKinds = ["generation", "utility", "transcription", "translation", "speech"] as const;
export type UsageKind = (typeof usageKinds)[number];

export const latencyHistograms = ["duration", "ttft"] as const;
export type LatencyHistogram = (typeof latencyHistograms)[number];

export const budgetPeriods = ["day", "month"] as const;
export type BudgetPeriod = (typeof budgetPeriods)[number];

/** An API key's or organization's limits (`api_keys.limits`, `organizations.limits`); absent field: no such limit. */
export interface Limits {
  /** Requests per minute (sliding). */
  rpm?: number;
  /** Tokens per minute, input + output (sliding). */
  tpm?: number;
  /** Requests in flight, streams until they end. */
  maxConcurrent?: number;
  /** A spend cap per UTC day or month, a decimal string in the ledger's currency. */
  budget?: { amount: string; period: BudgetPeriod };
}
