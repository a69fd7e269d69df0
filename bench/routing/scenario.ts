// The fleets and traffic the routing benchmark replays. A host runs `slots` sequences at once (vLLM's
// max_num_seqs), each decoding at `tokensPerSecond`; more requests wait in its queue. Its prefix cache holds a
// session's context when the session's previous turn ran there.
export interface SimHostSpec {
  id: string;
  slots: number;
  tokensPerSecond: number;
  /** Prompt tokens prefilled per second. */
  prefillTokensPerSecond: number;
  /** KV-cache size in tokens, for the usage gauge the probe reads. */
  kvTokens: number;
}

export interface TrafficSpec {
  durationS: number;
  /** Poisson arrivals between bursts, requests per second. */
  baseRate: number;
  /** A burst every this many seconds (first one at half of it). */
  burstEveryS: number;
  burstSize: number;
  /** A burst's requests arrive within this window. */
  burstSpreadMs: number;
  /** Share of base arrivals that open a multi-turn session. */
  sessionShare: number;
  turns: [number, number];
  /** Gap between a session's turns, seconds. */
  thinkS: [number, number];
}

export interface SignalSpec {
  /** Each host's load is sampled this often (probe or heartbeat)… */
  sampleEveryMs: number;
  /** …and the sample reaches the router this much later. */
  sampleDelayMs: number;
}

export interface Scenario {
  name: string;
  description: string;
  hosts: SimHostSpec[];
  traffic: TrafficSpec;
  signals: SignalSpec;
  seed: number;
  /** Hosts differ: round robin must be beaten by 30 % at p99 here. */
  heterogeneous: boolean;
}

const host = (id: string, gpus: number, slots: number, tokensPerSecond: number): SimHostSpec => ({
  id,
  slots,
  tokensPerSecond,
  prefillTokensPerSecond: 4_000 * gpus,
  kvTokens: 60_000 * gpus,
});

const traffic: TrafficSpec = {
  durationS: 240,
  baseRate: 6,
  burstEveryS: 20,
  burstSize: 100,
  burstSpreadMs: 1_000,
  sessionShare: 0.35,
  turns: [2, 6],
  thinkS: [4, 20],
};

const signals: SignalSpec = { sampleEveryMs: 2_000, sampleDelayMs: 100 };

export const SCENARIOS: Scenario[] = [
  {
    name: "heterogeneous",
    description: "2 × 4-GPU (32 slots, 60 tok/s), 2 × 2-GPU (16 slots, 45 tok/s), 2 × 1-GPU (8 slots, 30 tok/s)",
    hosts: [
      host("big-1", 4, 32, 60),
      host("big-2", 4, 32, 60),
      host("mid-1", 2, 16, 45),
      host("mid-2", 2, 16, 45),
      host("small-1", 1, 8, 30),
      host("small-2", 1, 8, 30),
    ],
    traffic,
    signals,
    seed: 14,
    heterogeneous: true,
  },
  {
    name: "homogeneous",
    description: "6 × 2-GPU hosts (16 slots, 45 tok/s): load in tokens alone",
    hosts: Array.from({ length: 6 }, (_, i) => host(`host-${i + 1}`, 2, 16, 45)),
    traffic: { ...traffic, baseRate: 4.5, burstSize: 75 },
    signals,
    seed: 41,
    heterogeneous: false,
  },
];

/** A host's fair share of any traffic: its share of the fleet's decode throughput. */
export function fairShares(hosts: readonly SimHostSpec[]): number[] {
  const total = hosts.reduce((s, h) => s + h.slots * h.tokensPerSecond, 0);
  return hosts.map((h) => (h.slots * h.tokensPerSecond) / total);
}
