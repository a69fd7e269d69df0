// The stream relay, fed the way a network feeds it: one event split over reads, many in one read.
import { describe, expect, it } from "vitest";
import { jsonObserver } from "../../worker/proxy/json-observer";
import { type RelayEnd, relay } from "../../worker/proxy/relay";
import { sseObserver } from "../../worker/proxy/sse-observer";

const enc = new TextEncoder();
const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content }, finish_reason: finish }], usage: null })}\n\n`;
const usageChunk = `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [], usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 } })}\n\n`;
const DONE = "data: [DONE]\n\n";
const vllmStream = `${chunk("") + chunk("Hel")}: keep-alive\n\n${chunk("lo ")}${chunk("wörld", "stop")}${usageChunk}${DONE}`;

function streamOf(parts: Uint8Array[], { cutAfter = false } = {}): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(c) {
      const next = parts.shift();
      if (next) c.enqueue(next);
      else if (cutAfter) c.error(new Error("connection reset"));
      else c.close();
    },
  });
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [0, ...cuts, bytes.length];
  return points.slice(1).map((end, i) => bytes.slice(points[i], end));
}

async function run(
  parts: Uint8Array[],
  clientWantsUsage: boolean,
  opts: { cutAfter?: boolean } = {},
): Promise<{ text: string; end: RelayEnd }> {
  const { body, ended } = relay(streamOf(parts, opts), sseObserver({ clientWantsUsage }), 5_000);
  const text = await new Response(body).text();
  return { text, end: await ended };
}

describe("SSE relay", () => {
  it("passes a whole stream through and reads its usage", async () => {
    const { text, end } = await run([enc.encode(vllmStream)], true);
    expect(text).toBe(vllmStream);
    expect(end).toMatchObject({ outcome: "completed", usage: { inputTokens: 11, outputTokens: 3 } });
  });

  it("gives a client that did not ask for usage the stream a host sends such a client, and still records usage", async () => {
    const { text, end } = await run([enc.encode(vllmStream)], false);
    // No usage chunk, and no `"usage": null` on the others: the router asked for usage, not the client.
    const plain = (content: string, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
    expect(text).toBe(`${plain("") + plain("Hel")}: keep-alive\n\n${plain("lo ")}${plain("wörld", "stop")}${DONE}`);
    expect(end.usage).toEqual({ inputTokens: 11, outputTokens: 3 });
    // A host writing the member elsewhere, or with spaces, gets it removed too.
    const spaced = `data: {"id": "c2", "usage": null, "choices": [{"index": 0, "delta": {"content": "x"}}]}\n\n${usageChunk}${DONE}`;
    expect((await run([enc.encode(spaced)], false)).text).toBe(
      `data: {"id":"c2","choices":[{"index":0,"delta":{"content":"x"}}]}\n\n${DONE}`,
    );
  });

  it("gives identical output and usage for a stream cut into two reads at every byte", async () => {
    const bytes = enc.encode(vllmStream);
    for (const wantsUsage of [true, false]) {
      const whole = await run([bytes], wantsUsage);
      for (let cut = 1; cut < bytes.length; cut++) {
        const split = await run(splitAt(bytes, [cut]), wantsUsage);
        expect(split.text, `cut at ${cut}`).toBe(whole.text);
        expect(split.end).toEqual(whole.end);
      }
    }
  });

  it("gives identical output for random many-way splits and CRLF line ends", async () => {
    const crlf = enc.encode(vllmStream.replaceAll("\n", "\r\n"));
    const reference = await run([enc.encode(vllmStream)], false);
    for (let round = 0; round < 50; round++) {
      const cuts = [
        ...new Set(Array.from({ length: 12 }, () => 1 + Math.floor(Math.random() * (crlf.length - 1)))),
      ].sort((a, b) => a - b);
      const got = await run(splitAt(crlf, cuts), false);
      expect(got.text).toBe(reference.text);
      expect(got.end.usage).toEqual(reference.end.usage);
    }
  });

  it("handles the usage chunk and [DONE] arriving in one read after several events", async () => {
    const at = vllmStream.indexOf(chunk("lo "));
    const [head, tail] = [vllmStream.slice(0, at), vllmStream.slice(at)];
    for (const wantsUsage of [true, false]) {
      const whole = await run([enc.encode(vllmStream)], wantsUsage);
      const got = await run([enc.encode(head), enc.encode(tail)], wantsUsage);
      expect(got.text).toBe(whole.text);
      expect(got.end).toEqual({
        outcome: "completed",
        usage: { inputTokens: 11, outputTokens: 3 },
        outputChars: 11,
        error: null,
      });
    }
  });

  it("reassembles an event spanning three reads, and multi-byte characters split inside their bytes", async () => {
    const wide = chunk("") + chunk("日本語") + chunk("🙂é") + usageChunk + DONE;
    const bytes = enc.encode(wide);
    const emoji = bytes.indexOf(0xf0); // first byte of the 4-byte 🙂
    const kanji = bytes.indexOf(0xe6); // first byte of 日
    const parts = splitAt(bytes, [kanji + 1, kanji + 2, emoji + 1, emoji + 3]);
    expect(parts.length).toBe(5);
    const got = await run(parts, true);
    expect(got.text).toBe(wide);
    expect(got.end).toMatchObject({ outcome: "completed", outputChars: "日本語🙂é".length });
  });

  it("gives identical output at every byte split for CRLF and bare-CR line ends", async () => {
    const reference = await run([enc.encode(vllmStream)], false);
    for (const eol of ["\r\n", "\r"]) {
      const bytes = enc.encode(vllmStream.replaceAll("\n", eol));
      for (let cut = 1; cut < bytes.length; cut++) {
        const got = await run(splitAt(bytes, [cut]), false);
        expect(got.text, `${JSON.stringify(eol)} cut at ${cut}`).toBe(reference.text);
        expect(got.end).toEqual(reference.end);
      }
    }
  });

  it("cuts a faulty stream the same way wherever the reads split it", async () => {
    const flat = `data: ${JSON.stringify({ error: { message: "engine died", type: "InternalServerError", code: 500 } })}\n\n`;
    for (const faulty of [chunk("") + chunk("Hel") + chunk("lo"), chunk("Hel") + flat + DONE]) {
      const bytes = enc.encode(faulty);
      const whole = await run([bytes], false);
      expect(whole.end.outcome).toBe("failed");
      for (let cut = 1; cut < bytes.length; cut++) {
        const split = await run(splitAt(bytes, [cut]), false);
        expect(split.text, `cut at ${cut}`).toBe(whole.text);
        expect(split.end).toEqual(whole.end);
      }
    }
  });

  it("sends a read of whole, unchanged events as the host's own bytes, and re-serializes a read it changes", async () => {
    // Valid SSE a serializer would not write back the same way: no space after the colon, a retry field.
    const own = `retry: 3000\ndata:${JSON.stringify({ choices: [{ index: 0, delta: { content: "Hi" } }], usage: null })}\n\n`;
    const reads = [own, usageChunk + DONE].map((r) => enc.encode(r));
    const asked = await run(
      reads.map((r) => r.slice()),
      true,
    );
    expect(asked.text).toBe(own + usageChunk + DONE);
    expect(asked.end).toMatchObject({ outcome: "completed", usage: { inputTokens: 11, outputTokens: 3 } });
    // Not asked: the first read loses its `"usage": null` and the second its usage chunk, so both are rewritten.
    const notAsked = await run(reads, false);
    expect(notAsked.text).toBe(
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "Hi" } }] })}\n\n${DONE}`,
    );
    // A read that begins inside an event is serialized, whatever follows.
    const split = await run([enc.encode(own.slice(0, 20)), enc.encode(own.slice(20) + DONE)], true);
    expect(split.text).toBe(
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "Hi" } }], usage: null })}\n\n${DONE}`,
    );
  });

  it("forwards nothing after [DONE]", async () => {
    const { text, end } = await run([enc.encode(vllmStream + chunk("late"))], true);
    expect(text).toBe(vllmStream);
    expect(end.outcome).toBe("completed");
  });

  it("fails a stream whose event never ends instead of buffering without bound", async () => {
    const endless = enc.encode(`data: ${"x".repeat(1024 * 1024)}`);
    const parts = [enc.encode(chunk("Hel")), ...Array.from({ length: 10 }, () => endless)];
    const { text, end } = await run(parts, true);
    expect(text.startsWith(chunk("Hel"))).toBe(true);
    expect(text).toContain("upstream_event_too_large");
    expect(text).not.toContain("[DONE]");
    expect(text.length).toBeLessThan(64 * 1024);
    expect(end.outcome).toBe("failed");
  });

  it("turns a stream that ends without [DONE] into an error event and a failure", async () => {
    const cut = chunk("") + chunk("Hel");
    const { text, end } = await run([enc.encode(cut)], true);
    expect(text.startsWith(cut)).toBe(true);
    expect(text).toContain('"code":"upstream_stream_cut"');
    expect(text).not.toContain("[DONE]");
    expect(end.outcome).toBe("failed");
    expect(end.outputChars).toBe(3);
  });

  it("turns a broken connection into an error event", async () => {
    const { text, end } = await run([enc.encode(chunk("") + chunk("Hel"))], true, { cutAfter: true });
    expect(text).toContain("upstream_stream_cut");
    expect(end.outcome).toBe("failed");
  });

  it("forwards an in-stream error in OpenAI's shape and no [DONE] after it", async () => {
    const flat = `data: ${JSON.stringify({ error: { message: "engine died", type: "InternalServerError", code: 500 } })}\n\n`;
    const { text, end } = await run([enc.encode(chunk("Hel") + flat + DONE)], false);
    const errorLine = text.split("\n\n").find((e) => e.includes("engine died")) ?? "";
    expect(JSON.parse(errorLine.slice("data: ".length))).toEqual({
      error: { message: "engine died", type: "InternalServerError", param: null, code: 500 },
    });
    expect(text).not.toContain("[DONE]");
    expect(end.outcome).toBe("failed");
  });

  it("reports a client abort and cancels the upstream", async () => {
    let cancelled = false;
    const upstream = new ReadableStream<Uint8Array>({
      pull: (c) => c.enqueue(enc.encode(chunk("tok"))),
      cancel: () => {
        cancelled = true;
      },
    });
    const { body, ended } = relay(upstream, sseObserver({ clientWantsUsage: false }), 5_000);
    const reader = body.getReader();
    await reader.read();
    await reader.cancel();
    expect((await ended).outcome).toBe("aborted");
    expect(cancelled).toBe(true);
  });
});

describe("JSON relay", () => {
  const runJson = async (json: string) => {
    const { body, ended } = relay(streamOf(splitAt(enc.encode(json), [7])), jsonObserver(), 5_000);
    expect(await new Response(body).text()).toBe(json);
    return ended;
  };

  it("reads the top-level usage, not a look-alike inside the content, nor nested details", async () => {
    const tricky = JSON.stringify({
      choices: [{ message: { content: '{"usage":{"prompt_tokens":999,"completion_tokens":999}}' } }],
      usage: { prompt_tokens: 5, completion_tokens: 2 },
    });
    expect((await runJson(tricky)).usage).toEqual({ inputTokens: 5, outputTokens: 2 });
    const nested = JSON.stringify({
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 3 } },
    });
    expect((await runJson(nested)).usage).toEqual({ inputTokens: 7, outputTokens: 1 });
    const embeddings = JSON.stringify({
      data: [{ embedding: Array.from({ length: 2048 }, (_, i) => i / 7) }],
      usage: { prompt_tokens: 4, total_tokens: 4 },
    });
    expect((await runJson(embeddings)).usage).toEqual({ inputTokens: 4, outputTokens: 0 });
  });

  it("has no usage, and counts the output for an estimate, when the body carries none", async () => {
    expect(await runJson(JSON.stringify({ choices: [{ message: { content: "Hello" } }], usage: null }))).toMatchObject({
      usage: null,
      outputChars: 5,
    });
  });

  it("passes the body through byte for byte and reads usage once complete", async () => {
    const json = JSON.stringify({
      choices: [{ message: { content: "Hello" } }],
      usage: { prompt_tokens: 5, completion_tokens: 2 },
    });
    const bytes = enc.encode(json);
    const { body, ended } = relay(streamOf(splitAt(bytes, [3, 10])), jsonObserver(), 5_000);
    expect(await new Response(body).text()).toBe(json);
    expect(await ended).toMatchObject({ outcome: "completed", usage: { inputTokens: 5, outputTokens: 2 } });
  });
});
