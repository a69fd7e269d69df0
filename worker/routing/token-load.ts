// A host's load in tokens and the latency a new request should expect there. The router's own leases are exact
// and live; the host's last reading (waiting + running) adds what the leases cannot see, but ages: its weight
// halves every half-life and it is dropped once too old. Pure: the fleet state holds the numbers.

import { estimateTokens } from "../usage/event";
import type { LoadReading, SaturationPolicy } from "./load-reading";
import { defaultSaturation } from "./load-reading";

/** What the router knows of a request before sending it. */
export interface RequestCost {
  /** Estimated from the prompt's characters (about 4 per token). */
  promptTokens: number;
  /** max_tokens when set, else the policy's default: an upper bound of the real output. */
  outputTokens: number;
}

/** What a host can carry. Declared per instance (`capacity`), else the policy's default. */
export interface HostCapacity {
  /** Sequences generated at once (vLLM `max_num_seqs`); beyond it requests wait. */
  slots: number;
  /** Decode rate of one sequence, tokens per second. */
  tokensPerSecond: number;
}

/** The router's open leases on a host, in requests and in token cost, and how they moved since its reading. */
export interface LeaseLoad {
  count: number;
  tokens: number;
  /** Open leases issued after the reading was taken: the reading cannot include them. */
  openedSinceReading: number;
  /** Leases issued before the reading and closed after it: the reading counted them, they are gone. */
  closedSinceReading: number;
}

export interface TokenPolicy {
  /** Cost of a prompt token relative to an output token: prefill runs in parallel, decoding one by one. */
  promptWeight: number;
  /** A reading's weight halves every this many ms. */
  readingHalfLifeMs: number;
  /** A reading older than this is ignored (leases alone count). */
  readingMaxAgeMs: number;
  /** Output assumed when a request sets no max_tokens. */
  defaultOutputTokens: number;
  /** Hosts this much slower than the fastest (0.1 = 10 %) still count as fast: the least loaded of them wins. */
  latencySlack: number;
  /** Expected latency a session may give up by staying on its host (its KV cache holds the prefix), ms. */
  affinityBoundMs: number;
  saturation: SaturationPolicy;
  /** For a host that declares no capacity. */
  defaultCapacity: HostCapacity;
}

export const defaultTokenPolicy: TokenPolicy = {
  promptWeight: 0.05,
  readingHalfLifeMs: 2_000,
  readingMaxAgeMs: 10_000,
  defaultOutputTokens: 256,
  latencySlack: 0.25,
  affinityBoundMs: 2_000,
  saturation: defaultSaturation,
  // vLLM's default max_num_seqs; the rate only matters between hosts that declare theirs and hosts that do not.
  defaultCapacity: { slots: 256, tokensPerSecond: 50 },
};

/** Token cost of a request: the unit every load and bound is counted in. */
export function costOf(r: RequestCost, p: TokenPolicy): number {
  return Math.max(0, r.promptTokens) * p.promptWeight + Math.max(0, r.outputTokens);
}

/** The prompt estimated as metering estimates it (usage/event.ts), the output at its bound. */
export function estimateRequestCost(promptChars: number, maxTokens: number | undefined, p: TokenPolicy): RequestCost {
  return { promptTokens: estimateTokens(promptChars), outputTokens: maxTokens ?? p.defaultOutputTokens };
}

export interface LoadEstimate {
  requests: number;
  tokens: number;
}

/**
 * Requests and tokens open on a host: the leases, exact, plus what the reading shows beyond them (other routers'
 * requests, or leases this router lost in a restart), that excess fading with the reading's age. The excess is
 * counted in requests and priced at the mean cost of this host's leases, or at `fallbackCost` without any.
 */
export function estimateLoad(
  leases: LeaseLoad,
  reading: LoadReading | null,
  now: number,
  p: TokenPolicy,
  fallbackCost: number,
): LoadEstimate {
  const own = { requests: leases.count, tokens: leases.tokens };
  if (!reading) return own;
  const age = Math.max(0, now - reading.at);
  if (age > p.readingMaxAgeMs) return own;
  const ownAtReading = leases.count - leases.openedSinceReading + leases.closedSinceReading;
  const foreign = Math.max(0, reading.waiting + reading.running - ownAtReading) * 0.5 ** (age / p.readingHalfLifeMs);
  const perRequest = leases.count > 0 ? leases.tokens / leases.count : fallbackCost;
  return { requests: own.requests + foreign, tokens: own.tokens + foreign * perRequest };
}

/**
 * Expected end-to-end time of a request of `cost` tokens on a host: its own generation, plus, when every slot
 * is taken, the wait for a slot: the requests queued ahead of it at their mean cost, and half a request (the
 * running ones are half done on average), drained over all slots.
 */
export function expectedLatencyMs(load: LoadEstimate, capacity: HostCapacity, cost: number): number {
  const rate = Math.max(1e-9, capacity.tokensPerSecond);
  const service = (cost / rate) * 1000;
  const ahead = load.requests + 1 - capacity.slots;
  if (ahead <= 0 || load.requests <= 0) return service;
  const meanCost = load.tokens / load.requests;
  return service + (((ahead - 0.5) * meanCost) / (capacity.slots * rate)) * 1000;
}

/** Time for a host to drain its load and `cost` more at full speed, ms: the tie-break between equal latencies. */
export function drainTimeMs(load: LoadEstimate, capacity: HostCapacity, cost: number): number {
  return ((load.tokens + cost) / Math.max(1e-9, capacity.slots * capacity.tokensPerSecond)) * 1000;
}
