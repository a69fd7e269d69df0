// An open-loop chat driver: request i is due at i / rate seconds and goes out then whether or not
// earlier ones have answered, so a router that falls behind shows as latency (then timeouts),
// never as a lower offered rate. Latency runs from the due time, not from when the generator got
// round to sending: a late generator adds to it instead of hiding it (no coordinated omission),
// and its lateness is reported on its own. Answers are validated; a wrong one is an error.
import { performance } from "node:perf_hooks";
import type { HttpClient } from "../load/http";
import { Collector, type EndpointSummary, histogram, type LatencySummary, summarize, toUs } from "../load/metrics";
import { chatBody, validatedChat } from "./overhead-probes";

export interface OpenLoopOptions {
  /** Arrivals per second, warm-up and window alike. */
  rate: number;
  /** Sent first and not counted: connections, JIT, the router's memos and Durable Objects. */
  warmupS: number;
  seconds: number;
  /** Share of requests that stream, spread evenly over the schedule. */
  streamShare: number;
  model: string;
}

export interface OpenLoopResult {
  /** Requests due in the measured window, and those answered right. */
  sent: number;
  ok: number;
  errors: number;
  errorReasons: { reason: string; count: number }[];
  /** Right answers per second, from the pace of their completions (see completionRate). */
  achievedRate: number | null;
  /** Every measured chat, streamed or not: from due time to the whole answer read. */
  latency: LatencySummary | null;
  kinds: { chat: EndpointSummary; chat_stream: EndpointSummary };
  /** How late the generator sent, behind the schedule. */
  sendLag: LatencySummary | null;
  maxInFlight: number;
}

const isStream = (i: number, share: number): boolean => Math.floor((i + 1) * share) > Math.floor(i * share);

/**
 * Completions per second, as the least-squares slope of completion time against due time scaled
 * by the right-answer share: a router that keeps up answers at the offered pace (slope 1), one
 * that cannot answers slower (slope > 1), and the latency jitter of the window's first and last
 * requests, which sways a count of completions inside the window, hardly moves a fit over thousands.
 */
function completionRate(rate: number, due: number[], ended: number[], sent: number): number | null {
  const n = due.length;
  if (n < 2) return null;
  const mx = due.reduce((a, b) => a + b, 0) / n;
  const my = ended.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = (due[i] ?? 0) - mx;
    sxy += dx * ((ended[i] ?? 0) - my);
    sxx += dx * dx;
  }
  const slope = sxy / sxx;
  return slope > 0 ? ((rate / slope) * n) / sent : null;
}

export async function runOpenLoop(client: HttpClient, o: OpenLoopOptions): Promise<OpenLoopResult> {
  const interval = 1000 / o.rate;
  const warmup = Math.round(o.warmupS * o.rate);
  const total = warmup + Math.round(o.seconds * o.rate);
  const bodies = { json: chatBody(o.model, false), stream: chatBody(o.model, true) };
  const collector = new Collector(1000);
  const all = histogram(3);
  const lag = histogram(3);
  const okDue: number[] = [];
  const okEnded: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const t0 = performance.now() + 20;
  const windowStart = t0 + warmup * interval;

  const fire = async (i: number, due: number): Promise<void> => {
    const measured = i >= warmup;
    const stream = isStream(i, o.streamShare);
    const lateMs = performance.now() - due;
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const r = await validatedChat(client, stream ? bodies.stream : bodies.json, stream);
    inFlight -= 1;
    const ended = performance.now();
    if (!measured) return;
    lag.recordValue(toUs(Math.max(0, lateMs)));
    const latencyMs = ended - due;
    collector.record({
      endpoint: stream ? "chat_stream" : "chat",
      endedAtMs: ended - windowStart,
      latencyMs,
      ttfcMs: "error" in r || r.ttfcMs === null ? undefined : r.ttfcMs + lateMs,
      error: "error" in r ? r.error : undefined,
    });
    if ("error" in r) return;
    all.recordValue(toUs(latencyMs));
    okDue.push(due);
    okEnded.push(ended);
  };

  const pending: Promise<void>[] = [];
  await new Promise<void>((scheduled) => {
    let next = 0;
    const tick = (): void => {
      // Everything due by now goes out now: after a stall the generator catches up at once.
      const now = performance.now();
      for (; next < total && t0 + next * interval <= now; next++) pending.push(fire(next, t0 + next * interval));
      if (next >= total) scheduled();
      else setTimeout(tick, Math.max(0, t0 + next * interval - performance.now()));
    };
    tick();
  });
  await Promise.all(pending);

  const kinds = collector.summary(o.seconds);
  const sent = total - warmup;
  const errors = kinds.chat.errors + kinds.chat_stream.errors;
  const reasons = new Map<string, number>();
  for (const e of [...kinds.chat.errorReasons, ...kinds.chat_stream.errorReasons])
    reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + e.count);
  return {
    sent,
    ok: sent - errors,
    errors,
    errorReasons: [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
    achievedRate: completionRate(o.rate, okDue, okEnded, sent),
    latency: summarize(all),
    kinds: { chat: kinds.chat, chat_stream: kinds.chat_stream },
    sendLag: summarize(lag),
    maxInFlight,
  };
}
