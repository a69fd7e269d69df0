// `npm run bench:routing -- --real`: the simulation checked against the router itself. One short trace is
// replayed through the router in workerd (Miniflare) onto four plain vLLM-compatible mock hosts of two sizes
// (--max-num-seqs and a token rate each, no agent: registered by POST /deployments, known by their probes),
// and the same trace through the simulation. Both are summarized alike; the difference is the check.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type MockGpu, startMockGpu } from "../../dev/mock-gpu/server";
import { spawnStack } from "../../load/stack-process";
import { type PolicySummary, summarize } from "./metrics";
import { POLICY_NAMES, type PolicyName } from "./policies";
import { fairShares, type Scenario } from "./scenario";
import { type Outcome, simulate } from "./simulate";
import { buildTrace, type TraceRequest } from "./trace";

const RESULTS_DIR = fileURLToPath(new URL("../results/", import.meta.url));

/** Hosts as the mock runs them: `slots` = --max-num-seqs, the rate from --token-delay-ms. */
const HOSTS = [
  { id: "big-1", slots: 8, tokenDelayMs: 10 },
  { id: "big-2", slots: 8, tokenDelayMs: 10 },
  { id: "small-1", slots: 4, tokenDelayMs: 20 },
  { id: "small-2", slots: 4, tokenDelayMs: 20 },
];

const SCENARIO: Scenario = {
  name: "real",
  description: "2 × (8 slots, 100 tok/s), 2 × (4 slots, 50 tok/s): mock hosts behind the router in workerd",
  // The mock has no prefill time and a KV cache that never fills.
  hosts: HOSTS.map((h) => ({
    id: h.id,
    slots: h.slots,
    tokensPerSecond: 1000 / h.tokenDelayMs,
    prefillTokensPerSecond: 1e12,
    kvTokens: 1e12,
  })),
  traffic: {
    durationS: 45,
    baseRate: 2.5,
    burstEveryS: 15,
    burstSize: 25,
    burstSpreadMs: 500,
    sessionShare: 0.3,
    turns: [2, 4],
    thinkS: [2, 6],
  },
  signals: { sampleEveryMs: 2_000, sampleDelayMs: 50 },
  seed: 7,
  heterogeneous: true,
};

/** The router is told each request's true length (max_tokens = what the mock will generate); so is the simulation. */
const trace: TraceRequest[] = buildTrace(SCENARIO.traffic, SCENARIO.seed).map((r) => ({
  ...r,
  maxTokens: r.outputTokens,
}));

/** Per burst, each host's share of the burst's output tokens: comparable between the two runs. */
function burstTokens(outcomes: readonly Outcome[], hosts: number): number[][] {
  const perBurst: number[][] = [];
  for (const o of outcomes) {
    if (o.request.burstId === null) continue;
    perBurst[o.request.burstId] ??= Array.from({ length: hosts }, () => 0);
    perBurst[o.request.burstId]![o.host]! += o.request.outputTokens;
  }
  return perBurst.filter(Boolean);
}

async function replay(baseUrl: string, apiKey: string, model: string, ids: string[]): Promise<Outcome[]> {
  const started = performance.now();
  const lastHost = new Map<number, number>();
  const one = async (r: TraceRequest): Promise<Outcome> => {
    const wait = r.atMs - (performance.now() - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    const res = await fetch(`${baseUrl}/v1/chat/completions`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${apiKey}`,
        "content-type": "application/json",
        ...(r.sessionId === null ? {} : { "x-inventiv-session": `real-${r.sessionId}` }),
      },
      // The mock echoes the last message four characters a token: long enough for the prompt and the answer.
      body: JSON.stringify({
        model,
        stream: true,
        max_tokens: r.outputTokens,
        messages: [{ role: "user", content: "abcd".repeat(Math.max(r.promptTokens, r.outputTokens)) }],
      }),
    });
    if (!res.ok || !res.body) throw new Error(`request ${r.index}: HTTP ${res.status} ${await res.text()}`);
    const host = ids.indexOf(res.headers.get("x-inventiv-instance") ?? "");
    let ttftMs = 0;
    for await (const _chunk of res.body) if (ttftMs === 0) ttftMs = performance.now() - sent;
    const e2eMs = performance.now() - sent;
    // Turns of a session run one after the other (the trace spaces them by seconds).
    const previous = r.sessionId === null ? undefined : lastHost.get(r.sessionId);
    if (r.sessionId !== null) lastHost.set(r.sessionId, host);
    const kept = previous === undefined ? null : previous === host;
    return { request: r, host, ttftMs, e2eMs, keptAffinity: kept, repin: kept === false ? "moved" : null };
  };
  return Promise.all(trace.map(one));
}

async function registerHosts(baseUrl: string, apiKey: string, model: string, gpus: MockGpu[]): Promise<string[]> {
  const ids: string[] = [];
  for (const gpu of gpus) {
    const res = await fetch(`${baseUrl}/deployments`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model, base_url: gpu.url }),
    });
    if (res.status !== 201) throw new Error(`POST /deployments: ${res.status} ${await res.text()}`);
    ids.push(((await res.json()) as { id: string }).id);
  }
  const deadline = Date.now() + 60_000;
  for (const id of ids) {
    for (;;) {
      const res = await fetch(`${baseUrl}/instances/${id}`, { headers: { authorization: `Bearer ${apiKey}` } });
      if (((await res.json()) as { live?: { routable?: boolean } | null }).live?.routable) break;
      if (Date.now() > deadline) throw new Error(`host ${id} never became routable`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return ids;
}

const row = (name: string, p: PolicySummary): string =>
  `${name.padEnd(18)} ${[p.mean_e2e_ms, p.p99_e2e_ms, p.mean_ttft_ms, p.p99_ttft_ms].map((v) => v.toFixed(0).padStart(9)).join(" ")} ${p.max_burst_share.toFixed(2).padStart(11)} ${p.affinity_kept.toFixed(3).padStart(9)}`;

export async function runReal(): Promise<void> {
  const startedAt = new Date();
  const logFile = `${RESULTS_DIR}routing-real-stack.log`;
  const stack = await spawnStack({ hosts: 0, hostStatus: "ready", tokenDelayMs: 0, ttftMs: 0 }, logFile);
  const gpus: MockGpu[] = [];
  try {
    for (const h of HOSTS)
      gpus.push(
        await startMockGpu({
          model: stack.model,
          port: 0,
          noAgent: true,
          maxNumSeqs: h.slots,
          tokenDelayMs: h.tokenDelayMs,
        }),
      );
    const ids = await registerHosts(stack.baseUrl, stack.apiKey, stack.model, gpus);
    console.log(`${SCENARIO.description}; ${trace.length} requests over ${SCENARIO.traffic.durationS} s`);
    const outcomes = await replay(stack.baseUrl, stack.apiKey, stack.model, ids);
    if (outcomes.some((o) => o.host < 0)) throw new Error("a response named no known host");
    const fair = fairShares(SCENARIO.hosts);
    const hostIds = HOSTS.map((h) => h.id);
    const real = summarize({ outcomes, burstBacklogs: burstTokens(outcomes, HOSTS.length) }, hostIds, fair);
    const simulated = {} as Record<PolicyName, PolicySummary>;
    for (const name of POLICY_NAMES) {
      const run = simulate(SCENARIO, trace, name);
      simulated[name] = summarize({ ...run, burstBacklogs: burstTokens(run.outcomes, HOSTS.length) }, hostIds, fair);
    }
    const gap = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(1)} %`;
    console.log("\npolicy             mean e2e   p99 e2e  mean ttft  p99 ttft  burst/fair  affinity");
    console.log(row("router (real)", real));
    for (const name of POLICY_NAMES) console.log(row(`${name} (sim)`, simulated[name]));
    const sim = simulated.router;
    console.log(
      `\nreal vs simulated router: mean e2e ${gap(real.mean_e2e_ms, sim.mean_e2e_ms)}, p99 e2e ${gap(real.p99_e2e_ms, sim.p99_e2e_ms)}`,
    );
    console.log(
      `host shares, real: ${JSON.stringify(real.host_share)}\nhost shares, sim:  ${JSON.stringify(sim.host_share)}`,
    );
    const learned = await Promise.all(
      ids.map(async (id) => {
        const res = await fetch(`${stack.baseUrl}/instances/${id}`, {
          headers: { authorization: `Bearer ${stack.apiKey}` },
        });
        const live = ((await res.json()) as { live?: Record<string, unknown> }).live ?? {};
        return { slots: live.learned_slots ?? null, tokens_per_second: live.learned_tokens_per_second ?? null };
      }),
    );
    console.log(`learned by the router: ${JSON.stringify(Object.fromEntries(hostIds.map((h, i) => [h, learned[i]])))}`);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = `${RESULTS_DIR}routing-real-${startedAt.toISOString().replace(/[:.]/g, "-")}.json`;
    const scenario = {
      description: SCENARIO.description,
      requests: trace.length,
      real: { router: real },
      policies: simulated,
      learned,
    };
    writeFileSync(
      file,
      `${JSON.stringify({ startedAt: startedAt.toISOString(), kind: "real", scenarios: { real: scenario } }, null, 2)}\n`,
    );
    console.log(`results: ${file}`);
  } finally {
    await Promise.all(gpus.map((g) => g.close()));
    await stack.stop();
  }
}
