// The arrival trace: one per scenario and seed, replayed unchanged against every policy. Prompt and output
// lengths are mixed (chat, RAG-sized prompts, long generations); sessions grow their prompt turn by turn.
import { between, exponential, pick, type Random, seeded } from "./rng";
import type { TrafficSpec } from "./scenario";

export interface TraceRequest {
  index: number;
  atMs: number;
  promptTokens: number;
  /** What the request asks for (the router's estimate). */
  maxTokens: number;
  /** What the host will really generate (≤ maxTokens); only the oracle knows it in advance. */
  outputTokens: number;
  /** Null outside sessions. */
  sessionId: number | null;
  turn: number;
  /** Null outside bursts. */
  burstId: number | null;
}

function lengths(random: Random): { promptTokens: number; maxTokens: number; outputTokens: number } {
  const promptTokens = pick(random, [
    [between(random, 20, 400), 6],
    [between(random, 1_000, 3_000), 3],
    [between(random, 6_000, 8_000), 1],
  ] as const);
  const maxTokens = pick(random, [
    [64, 3],
    [256, 4],
    [1_024, 2],
  ] as const);
  // Most answers stop before the cap; a quarter run into it.
  const outputTokens = random() < 0.25 ? maxTokens : Math.max(1, Math.round(maxTokens * (0.2 + 0.7 * random())));
  return { promptTokens, maxTokens, outputTokens };
}

export function buildTrace(t: TrafficSpec, seed: number): TraceRequest[] {
  const random = seeded(seed);
  const out: Omit<TraceRequest, "index">[] = [];
  const endMs = t.durationS * 1000;
  let sessions = 0;
  for (let at = exponential(random, 1000 / t.baseRate); at < endMs; at += exponential(random, 1000 / t.baseRate)) {
    const first = lengths(random);
    if (random() >= t.sessionShare) {
      out.push({ atMs: at, ...first, sessionId: null, turn: 0, burstId: null });
      continue;
    }
    const sessionId = sessions++;
    const turns = between(random, t.turns[0], t.turns[1]);
    let turnAt = at;
    let prompt = first.promptTokens;
    for (let turn = 0; turn < turns && turnAt < endMs; turn++) {
      const l = turn === 0 ? first : lengths(random);
      out.push({ ...l, atMs: turnAt, promptTokens: prompt, sessionId, turn, burstId: null });
      // The next turn's prompt is this one, its answer and a new message.
      prompt += l.outputTokens + between(random, 20, 200);
      turnAt += (t.thinkS[0] + random() * (t.thinkS[1] - t.thinkS[0])) * 1000;
    }
  }
  let burstId = 0;
  for (let start = (t.burstEveryS * 1000) / 2; start < endMs; start += t.burstEveryS * 1000, burstId++) {
    for (let i = 0; i < t.burstSize; i++) {
      out.push({ atMs: start + random() * t.burstSpreadMs, ...lengths(random), sessionId: null, turn: 0, burstId });
    }
  }
  return out.sort((a, b) => a.atMs - b.atMs).map((r, index) => ({ ...r, index }));
}
