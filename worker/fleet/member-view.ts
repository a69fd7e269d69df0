// What a fleet shows of one member to the admin API, the dashboard and sessions: the member with its live
// load, whether routing may choose it now, and if not, why.
import type { MemberView } from "../contracts";
import { type FleetMember, type FleetPolicy, isRoutable, liveLoad } from "../routing/fleet-policy";
import { unroutableReason } from "../routing/session-policy";

export const memberView = (m: FleetMember, now: number, policy: FleetPolicy): MemberView => ({
  ...m,
  liveLoad: liveLoad(m),
  routable: isRoutable(m, now, policy),
  unroutable: unroutableReason(m, now, policy),
});
