// Cost of reading a stream on the hot path: the relay's observer (eventsource-parser) against a
// hand-rolled "\n\n" splitter doing the same work, and each parser alone with no JSON work.
// Run: npm run bench:sse   (prints a table; CPU time per SSE event, lower is better)
import { createParser } from "eventsource-parser";
import { sseObserver } from "../worker/proxy/sse-observer";

const enc = new TextEncoder();
const TOKENS = 2_000;
const ROUNDS = 30;

function vllmEvents(): string[] {
  const base = {
    id: "chatcmpl-0123456789abcdef",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "Qwen/Qwen2.5-0.5B-Instruct",
  };
  const events = [];
  for (let i = 0; i < TOKENS; i++) {
    const choice = {
      index: 0,
      delta: { content: ` tok${i % 97}` },
      logprobs: null,
      finish_reason: i === TOKENS - 1 ? "stop" : null,
    };
    events.push(`data: ${JSON.stringify({ ...base, choices: [choice], usage: null })}\n\n`);
  }
  events.push(
    `data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 9, completion_tokens: TOKENS, total_tokens: TOKENS + 9 } })}\n\n`,
  );
  events.push("data: [DONE]\n\n");
  return events;
}

/** Reads as a network delivers vLLM output: one event per read, or 4 KiB reads cutting events anywhere. */
function reads(events: string[], mode: "event" | "4k"): Uint8Array[] {
  if (mode === "event") return events.map((e) => enc.encode(e));
  const all = enc.encode(events.join(""));
  const out: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += 4096) out.push(all.subarray(i, i + 4096));
  return out;
}

/** The alternative: split on blank lines by hand, forward the original bytes, parse JSON the same way. */
function handRolledObserver(clientWantsUsage: boolean) {
  const decoder = new TextDecoder();
  let pending = "";
  let chars = 0;
  return (bytes: Uint8Array, emit: (b: Uint8Array) => void) => {
    pending += decoder.decode(bytes, { stream: true });
    let start = 0;
    let out = "";
    for (let end = pending.indexOf("\n\n"); end !== -1; end = pending.indexOf("\n\n", start)) {
      const event = pending.slice(start, end + 2);
      start = end + 2;
      const data = event.startsWith("data: ") ? event.slice(6, -2) : "";
      if (data && data !== "[DONE]") {
        const chunk = JSON.parse(data) as { choices: { delta?: { content?: string } }[]; usage: unknown };
        for (const c of chunk.choices) chars += c.delta?.content?.length ?? 0;
        if (chunk.choices.length === 0 && chunk.usage && !clientWantsUsage) continue;
      }
      out += event;
    }
    pending = pending.slice(start);
    if (out) emit(enc.encode(out));
    return chars;
  };
}

function time(
  label: string,
  parts: Uint8Array[],
  run: (parts: Uint8Array[]) => void,
): { label: string; nsPerEvent: number } {
  for (let i = 0; i < 5; i++) run(parts); // warm up the JIT
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    run(parts);
    samples.push(Number(process.hrtime.bigint() - t0) / (TOKENS + 2));
  }
  samples.sort((a, b) => a - b);
  return { label, nsPerEvent: samples[Math.floor(samples.length / 2)] ?? 0 };
}

const events = vllmEvents();
const sink = (_b: Uint8Array) => {};
const rows = [];
for (const mode of ["event", "4k"] as const) {
  const parts = reads(events, mode);
  rows.push(
    time(`observer, eventsource-parser (${mode} reads)`, parts, (ps) => {
      const o = sseObserver({ clientWantsUsage: false });
      for (const p of ps) o.chunk(p, sink);
      o.end(sink);
    }),
    time(`observer, hand-rolled splitter (${mode} reads)`, parts, (ps) => {
      const o = handRolledObserver(false);
      for (const p of ps) o(p, sink);
    }),
    time(`parse only, eventsource-parser (${mode} reads)`, parts, (ps) => {
      const d = new TextDecoder();
      const parser = createParser({ onEvent: () => {} });
      for (const p of ps) parser.feed(d.decode(p, { stream: true }));
    }),
    time(`parse only, indexOf splitter (${mode} reads)`, parts, (ps) => {
      const d = new TextDecoder();
      let pending = "";
      for (const p of ps) {
        pending += d.decode(p, { stream: true });
        let start = 0;
        for (let end = pending.indexOf("\n\n"); end !== -1; end = pending.indexOf("\n\n", start)) start = end + 2;
        pending = pending.slice(start);
      }
    }),
  );
}
console.log(
  `SSE observer cost, ${TOKENS} chat chunks of ~${Math.round(enc.encode(events[1] ?? "").length)} bytes, median of ${ROUNDS} rounds (node ${process.version})`,
);
console.table(rows.map((r) => ({ case: r.label, "ns/event": Math.round(r.nsPerEvent) })));
