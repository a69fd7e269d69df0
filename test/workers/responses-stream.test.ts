// A Responses API stream through the relay: typed events, no [DONE]; `response.completed` ends it
// cleanly and carries the usage (input_tokens/output_tokens); a stream cut before it is failed.
import { describe, expect, it } from "vitest";
import { relay } from "../../worker/proxy/relay";
import { sseObserver } from "../../worker/proxy/sse-observer";

const enc = new TextEncoder();
const ev = (type: string, fields: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: 0, ...fields })}\n\n`;
const usage = { input_tokens: 9, input_tokens_details: { cached_tokens: 0 }, output_tokens: 2, total_tokens: 11 };
const events = [
  ev("response.created", { response: { id: "resp_1", status: "in_progress", usage: null } }),
  ev("response.output_text.delta", { item_id: "msg_1", delta: "Hel" }),
  ev("response.output_text.delta", { item_id: "msg_1", delta: "lo" }),
  ev("response.completed", { response: { id: "resp_1", status: "completed", usage } }),
];

const run = async (parts: string[]) => {
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      const next = parts.shift();
      if (next === undefined) c.close();
      else c.enqueue(enc.encode(next));
    },
  });
  const { body, ended } = relay(stream, sseObserver({ clientWantsUsage: false }), 5_000);
  return { text: await new Response(body).text(), end: await ended };
};

describe("Responses API stream", () => {
  it("passes every event through and takes the usage of response.completed", async () => {
    const { text, end } = await run([...events]);
    expect(text).toBe(events.join(""));
    expect(end).toEqual({
      outcome: "completed",
      usage: { inputTokens: 9, outputTokens: 2 },
      outputChars: 5,
      error: null,
    });
  });

  it("fails a stream cut before response.completed, estimating from the deltas", async () => {
    const { text, end } = await run(events.slice(0, 3));
    expect(text.startsWith(events.slice(0, 3).join(""))).toBe(true);
    expect(text).toContain('"code":"upstream_stream_cut"');
    expect(end).toMatchObject({ outcome: "failed", usage: null, outputChars: 5 });
  });

  it("fails on response.failed", async () => {
    const failed = ev("response.failed", {
      response: { id: "resp_1", status: "failed", error: { code: "server_error" } },
    });
    const { end } = await run([events[0]!, failed]);
    expect(end).toMatchObject({ outcome: "failed", error: "upstream response.failed event" });
  });
});
