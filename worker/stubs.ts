// The one place that turns names into Durable Object stubs. Tenants never share an object: a
// fleet is one organization's hosts for one model, a session is named within its organization.
import type { FleetScope, LimiterScope } from "./contracts";
import type { Env } from "./env";

/** Replica 0 keeps the name fleets had before replicas (fleet/replicas.ts). */
export const fleetName = (scope: FleetScope, replica = 0): string =>
  `${scope.organizationId}:${scope.modelUuid}${replica === 0 ? "" : `:${replica}`}`;

export const fleetFor = (env: Env, scope: FleetScope, replica = 0) =>
  env.FLEET.get(env.FLEET.idFromName(fleetName(scope, replica)));

export const sessionName = (organizationId: string, sessionKey: string): string => `${organizationId}:${sessionKey}`;

export const sessionFor = (env: Env, organizationId: string, sessionKey: string) =>
  env.SESSION.get(env.SESSION.idFromName(sessionName(organizationId, sessionKey)));

export const outboxFor = (env: Env, shard: string) => env.USAGE_OUTBOX.get(env.USAGE_OUTBOX.idFromName(shard));

export const limiterName = (scope: LimiterScope): string => `${scope.kind}:${scope.id}`;

export const limiterFor = (env: Env, scope: LimiterScope) =>
  env.LIMITER.get(env.LIMITER.idFromName(limiterName(scope)));

export const responseIndexFor = (env: Env, organizationId: string) =>
  env.RESPONSE_INDEX.get(env.RESPONSE_INDEX.idFromName(organizationId));
