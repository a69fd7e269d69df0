// The JSON relay: bytes pass through untouched, usage is read from the end, and a large body
// (float embeddings, tens of MB) is never held or parsed whole.
import { afterEach, describe, expect, it, vi } from "vitest";
import { jsonObserver, wholeJsonEnd } from "../../worker/proxy/json-observer";
import { type RelayEnd, relay } from "../../worker/proxy/relay";

const enc = new TextEncoder();

function streamOf(parts: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(c) {
      const next = parts.shift();
      if (next) c.enqueue(next);
      else c.close();
    },
  });
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [0, ...cuts, bytes.length];
  return points.slice(1).map((end, i) => bytes.slice(points[i], end));
}

/** Deterministic cut points (mulberry32), so a failing split can be reproduced. */
function randomCuts(length: number, count: number, seed: number): number[] {
  let s = seed;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return [...new Set(Array.from({ length: count }, () => 1 + Math.floor(next() * (length - 1))))].sort((a, b) => a - b);
}

async function run(parts: Uint8Array[]): Promise<{ bytes: Uint8Array; end: RelayEnd }> {
  const { body, ended } = relay(streamOf(parts), jsonObserver(), 5_000);
  const bytes = new Uint8Array(await new Response(body).arrayBuffer());
  return { bytes, end: await ended };
}

/** A float embeddings answer of about `mb` MB, as vLLM and OpenAI send it (usage last). */
const embeddings = (mb: number, usage: unknown) =>
  JSON.stringify({
    object: "list",
    data: Array.from({ length: Math.ceil((mb * 1e6) / 20_000) }, (_, index) => ({
      object: "embedding",
      index,
      embedding: Array.from({ length: 1000 }, (_, i) => Math.sin(index * 1000 + i) / 3),
    })),
    model: "e5",
    ...(usage === undefined ? {} : { usage }),
  });

describe("JSON relay", () => {
  afterEach(() => vi.restoreAllMocks());

  it("reads the usage at the end of a body far over the kept-whole cap", async () => {
    for (const usage of [
      { prompt_tokens: 40, total_tokens: 40 },
      { prompt_tokens: 40, total_tokens: 40, prompt_tokens_details: { cached_tokens: 8 } },
    ]) {
      const json = embeddings(3, usage);
      expect(json.length).toBeGreaterThan(2 ** 21);
      const bytes = enc.encode(json);
      const { bytes: out, end } = await run(splitAt(bytes, randomCuts(bytes.length, 60, 1)));
      expect(out).toEqual(bytes);
      expect(end).toEqual({
        outcome: "completed",
        usage: { inputTokens: 40, outputTokens: 0 },
        outputChars: 0,
        error: null,
      });
    }
  });

  it("gives no usage, counts nothing, and parses nothing whole, for a big body without usage", async () => {
    const parse = vi.spyOn(JSON, "parse");
    for (const usage of [undefined, null]) {
      const json = embeddings(3, usage);
      const bytes = enc.encode(json);
      const { bytes: out, end } = await run(splitAt(bytes, randomCuts(bytes.length, 60, 2)));
      expect(out).toEqual(bytes);
      expect(end).toEqual({ outcome: "completed", usage: null, outputChars: 0, error: null });
    }
    const longest = Math.max(0, ...parse.mock.calls.map(([text]) => text.length));
    expect(longest).toBeLessThan(64 * 1024);
  });

  it("parses a small body whole when its tail has no usage, and counts the generated text", async () => {
    const content = "Hällo wörld 🙂 ".repeat(400); // pushes a leading usage out of the tail
    const early = JSON.stringify({
      usage: { prompt_tokens: 9, completion_tokens: 1200 },
      choices: [{ message: { content } }],
    });
    expect((await run([enc.encode(early)])).end).toEqual({
      outcome: "completed",
      usage: { inputTokens: 9, outputTokens: 1200 },
      outputChars: content.length,
      error: null,
    });
    const none = JSON.stringify({ choices: [{ message: { content } }, { text: "abc" }] });
    expect((await run([enc.encode(none)])).end).toEqual({
      outcome: "completed",
      usage: null,
      outputChars: content.length + 3,
      error: null,
    });
    // Declared JSON but not JSON: the host's fault, and nothing to charge.
    expect((await run([enc.encode("<html>bad gateway</html>")])).end).toEqual({
      outcome: "failed",
      usage: { inputTokens: 0, outputTokens: 0 },
      outputChars: 0,
      error: "response body was not JSON",
      workerFault: true,
    });
  });

  it("reads a body read whole (attempt.ts) exactly as the relay reads it streamed", async () => {
    const content = "Hällo wörld 🙂 ".repeat(400);
    const bodies = [
      JSON.stringify({ choices: [{ message: { content: "hi" } }], usage: { prompt_tokens: 3, completion_tokens: 1 } }),
      JSON.stringify({ usage: { prompt_tokens: 9, completion_tokens: 1200 }, choices: [{ message: { content } }] }),
      JSON.stringify({ choices: [{ message: { content } }, { text: "abc" }] }),
      "<html>bad gateway</html>",
      embeddings(1.2, undefined),
    ];
    const ends = [];
    for (const text of bodies) {
      const bytes = enc.encode(text);
      const relayed = await run(splitAt(bytes, randomCuts(bytes.length, 7, bytes.length)));
      expect(wholeJsonEnd(bytes)).toEqual(relayed.end);
      ends.push(relayed.end.outcome === "failed" ? "failed" : relayed.end.usage === null ? "no usage" : "usage");
    }
    expect(ends).toEqual(["usage", "usage", "no usage", "failed", "no usage"]);
  });

  it("emits the input byte for byte, and ends the same, for random splits through multi-byte characters", async () => {
    const content = "日本語🙂é".repeat(300);
    const bodies = [
      JSON.stringify({ choices: [{ message: { content } }], usage: { prompt_tokens: 5, completion_tokens: 2 } }),
      JSON.stringify({ choices: [{ message: { content } }], usage: null }),
    ];
    for (const json of bodies) {
      const bytes = enc.encode(json);
      const whole = await run([bytes]);
      expect(whole.bytes).toEqual(bytes);
      for (let seed = 1; seed <= 40; seed++) {
        const got = await run(splitAt(bytes, randomCuts(bytes.length, 1 + (seed % 25), seed)));
        expect(got.bytes, `seed ${seed}`).toEqual(bytes);
        expect(got.end, `seed ${seed}`).toEqual(whole.end);
      }
    }
    // Every single cut through the last characters before the usage, including inside 🙂 and 日.
    const bytes = enc.encode(bodies[0]);
    const whole = await run([bytes]);
    for (let cut = bytes.length - 200; cut < bytes.length; cut++) {
      const got = await run(splitAt(bytes, [cut]));
      expect(got.bytes, `cut at ${cut}`).toEqual(bytes);
      expect(got.end, `cut at ${cut}`).toEqual(whole.end);
    }
  });
});
