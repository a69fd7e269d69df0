// A fleet is one organization's hosts for one model. Tenants never share hosts: an organization's
// traffic only reaches GPU hosts that organization registered, so no admin can deploy a host that
// would receive another tenant's prompts.
import type { Env } from "../env";

export interface FleetScope {
  organizationId: string;
  modelUuid: string;
}

export const fleetName = (scope: FleetScope): string => `${scope.organizationId}:${scope.modelUuid}`;

export const fleetFor = (env: Env, scope: FleetScope) => env.FLEET.get(env.FLEET.idFromName(fleetName(scope)));
