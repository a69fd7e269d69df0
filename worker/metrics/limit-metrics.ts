// The /metrics gauges of limits: for each key and organization that has limits (and only those), what its
// LimiterObject has left now and the limits themselves. Keys are labelled by their id, never a secret.
// Which scopes exist comes from Postgres (a scrape is not the inference hot path); one quota call each.
// Series: at most 4 configured-limit + 4 live series per limited key or organization, so cardinality is
// bounded by the limits operators set, never by traffic.
import { and, eq, isNotNull, isNull, type SQL } from "drizzle-orm";
import { apiKeys, organizations } from "../../schema";
import type { LimitedScope } from "../contracts";
import type { Db } from "../db";
import type { Env } from "../env";
import type { Limits, Quota } from "../limits/policy";
import { limiterFor } from "../stubs";
import { type Family, type Labels, PREFIX, type Sample } from "./exposition";

interface Scoped {
  scope: LimitedScope;
  labels: Labels;
}

async function limitedScopes(db: Db, organizationId: string | null): Promise<Scoped[]> {
  const inOrg = (column: typeof apiKeys.organizationId | typeof organizations.id): SQL | undefined =>
    organizationId === null ? undefined : eq(column, organizationId);
  const [keys, orgs] = await Promise.all([
    db
      .select({ id: apiKeys.id, limits: apiKeys.limits, org: organizations.slug })
      .from(apiKeys)
      .innerJoin(organizations, eq(organizations.id, apiKeys.organizationId))
      .where(and(isNotNull(apiKeys.limits), isNull(apiKeys.revokedAt), inOrg(apiKeys.organizationId)))
      .orderBy(organizations.slug, apiKeys.id),
    db
      .select({ id: organizations.id, limits: organizations.limits, org: organizations.slug })
      .from(organizations)
      .where(and(isNotNull(organizations.limits), inOrg(organizations.id)))
      .orderBy(organizations.slug),
  ]);
  const scoped = (kind: LimitedScope["kind"], id: string, limits: Limits | null, labels: Labels): Scoped[] =>
    limits ? [{ scope: { kind, id, limits }, labels }] : [];
  return [
    ...orgs.flatMap((o) => scoped("org", o.id, o.limits, { org: o.org, scope: "org" })),
    ...keys.flatMap((k) => scoped("key", k.id, k.limits, { org: k.org, scope: "key", key: k.id })),
  ];
}

const configured: { limit: string; value: (l: Limits) => number | undefined }[] = [
  { limit: "rpm", value: (l) => l.rpm },
  { limit: "tpm", value: (l) => l.tpm },
  { limit: "max_concurrent", value: (l) => l.maxConcurrent },
  { limit: "budget", value: (l) => (l.budget ? Number(l.budget.amount) : undefined) },
];

const live: { name: string; help: string; value: (q: Quota) => number | null }[] = [
  {
    name: "limit_remaining_requests",
    help: "Requests the key or organization may still start in the current sliding minute (rpm set).",
    value: (q) => q.remainingRequests,
  },
  {
    name: "limit_remaining_tokens",
    help: "Tokens left in the current sliding minute, reservations of requests in flight counted (tpm set).",
    value: (q) => q.remainingTokens,
  },
  {
    name: "limit_remaining_budget",
    help: "Budget left in its period (ledger currency), reservations of requests in flight counted; negative when overspent.",
    value: (q) => (q.remainingBudget === null ? null : Number(q.remainingBudget)),
  },
  { name: "limit_inflight", help: "Requests admitted and not yet settled.", value: (q) => q.inflight },
];

/**
 * Limiters asked at once: a budget's first quota of a period reads the ledger, so thousands of limited keys
 * asked together would ask Postgres for thousands of connections in one scrape.
 */
const LIMITERS_AT_ONCE = 8;

/** `Promise.allSettled` of `task` over `items`, at most `width` running at a time, results in order. */
async function settledInTurns<T, R>(
  items: readonly T[],
  width: number,
  task: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      try {
        out[i] = { status: "fulfilled", value: await task(items[i] as T) };
      } catch (reason) {
        out[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
  return out;
}

export async function limitFamilies(db: Db, env: Env, organizationId: string | null): Promise<Family[]> {
  const scopes = await limitedScopes(db, organizationId);
  // A limiter that cannot answer (its budget's ledger read failed) loses its live series, not the scrape.
  const quotas = await settledInTurns(scopes, LIMITERS_AT_ONCE, (s) => limiterFor(env, s.scope).quota(s.scope));
  const families: Family[] = [
    {
      name: `${PREFIX}_limit`,
      help: "A limit set on the key or organization: rpm, tpm, max_concurrent, budget (ledger currency per period).",
      type: "gauge",
      samples: scopes.flatMap((s): Sample[] =>
        configured.flatMap((c) => {
          const value = c.value(s.scope.limits);
          return value === undefined ? [] : [{ labels: { ...s.labels, limit: c.limit }, value }];
        }),
      ),
    },
  ];
  for (const g of live)
    families.push({
      name: `${PREFIX}_${g.name}`,
      help: g.help,
      type: "gauge",
      samples: scopes.flatMap((s, i): Sample[] => {
        const q = quotas[i];
        const value = q?.status === "fulfilled" ? g.value(q.value) : null;
        return value === null ? [] : [{ labels: s.labels, value }];
      }),
    });
  return families;
}
