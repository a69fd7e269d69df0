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

export const usageStatuses = ["succeeded", "failed", "aborted"] as const;
export type UsageStatus = (typeof usageStatuses)[number];
/** What a ledger row meters: generation (priced per token) or a utility call (tokenize, score, rerank: not charged). */
export const usageKinds = ["generation", "utility"] as const;
export type UsageKind = (typeof usageKinds)[number];

export const latencyHistograms = ["duration", "ttft"] as const;
export type LatencyHistogram = (typeof latencyHistograms)[number];
