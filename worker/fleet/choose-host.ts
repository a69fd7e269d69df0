// Which member takes a request: the one where it should end soonest among the routable hosts it has not
// tried, or, for a session, its pinned host while that still qualifies (routing/latency-policy.ts). Panic:
// when the breaker has every up host cooling down, refusing all would turn a blip into an outage, so (as
// Envoy does) the breaker is then ignored. Pure over what FleetState hands it.
import { type FleetMember, type FleetPolicy, isRoutable, isUp } from "../routing/fleet-policy";
import { type HostView, routeSessionByLatency, selectFastest } from "../routing/latency-policy";
import { type RepinReason, unroutableReason } from "../routing/session-policy";
import type { RequestCost, TokenPolicy } from "../routing/token-load";

export interface HostChoice {
  chosen: FleetMember | undefined;
  /** Null when a session kept its host, and for requests without a session. */
  repin: RepinReason | null;
}

export interface ChoiceInput {
  roster: readonly FleetMember[];
  find(instanceId: string): FleetMember | undefined;
  view(m: FleetMember): HostView;
  request: RequestCost;
  /** Hosts that already failed this request. */
  exclude: ReadonlySet<string>;
  /** A session's pinned host, null on its first request; undefined without a session. */
  pinnedId: string | null | undefined;
  now: number;
  random: () => number;
}

export function chooseHost(input: ChoiceInput, policy: FleetPolicy, tokens: TokenPolicy): HostChoice {
  const { roster, view, request, exclude, pinnedId, now, random } = input;
  const untried = (m: FleetMember) => !exclude.has(m.instanceId);
  const pick = (eligible: (m: FleetMember) => boolean) =>
    selectFastest(roster, view, eligible, request, now, tokens, random);
  const best = () =>
    pick((m) => untried(m) && isRoutable(m, now, policy)) ?? pick((m) => untried(m) && isUp(m, now, policy));
  if (pinnedId === undefined) return { chosen: best(), repin: null };
  const pinned = pinnedId === null ? null : input.find(pinnedId);
  return routeSessionByLatency(
    {
      pinned,
      pinnedFailed: pinnedId !== null && exclude.has(pinnedId),
      unroutable: pinned ? unroutableReason(pinned, now, policy) : null,
      best,
      view,
      request,
      // The pinned host's KV cache holds the conversation so far: nearly all of this prompt.
      cachedPromptTokens: request.promptTokens,
      now,
    },
    tokens,
  );
}
