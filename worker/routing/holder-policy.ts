// A request that must reach the one host holding its state (a Responses API follow-up or lookup:
// vLLM keeps responses in that process's memory). Pure: no other host can serve it, so the answer
// is that host or why not — gone for good (retired, unknown to the fleet) or only for now.
import type { FleetMember, FleetPolicy } from "./fleet-policy";
import { unroutableReason } from "./session-policy";

export type HolderRoute =
  | { ok: true; member: FleetMember }
  | { ok: false; held: "gone" | "unavailable"; reason: string };

export function routeToHolder(member: FleetMember | undefined, now: number, policy: FleetPolicy): HolderRoute {
  if (!member) return { ok: false, held: "gone", reason: "the host is no longer in the fleet" };
  const why = unroutableReason(member, now, policy);
  // Draining takes no new work, but it still holds the state and finishes what belongs to it.
  if (why === null || why === "worker_draining") return { ok: true, member };
  if (why === "worker_retired") return { ok: false, held: "gone", reason: `the host is ${member.status}` };
  return { ok: false, held: "unavailable", reason: why.replaceAll("_", " ") };
}
