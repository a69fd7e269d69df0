// Audio uploads and speech when something fails: the upload limit (declared and streamed), a form
// whose `model` comes after its file, hosts that reset, refuse or die mid-request (failover within
// the router's replay window), a client that leaves mid-upload, speech cut mid-way.
import http from "node:http";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wavFile } from "../../dev/mock-gpu/wav";
import { CAP, forAllHosts, rid, SPEECH, startAudioStack, WORDS, wav } from "../support/audio";
import { getInstance } from "../support/fleet";
import type { Stack } from "../support/stack";
import { leasesInFlight, usageRowFor } from "../support/usage";
import { waitFor } from "../support/wait";

let stack: Stack;
let client: OpenAI;
beforeAll(async () => {
  stack = await startAudioStack();
  client = new OpenAI({ baseURL: stack.baseURL, apiKey: stack.tenant.memberKey, maxRetries: 0 });
});
afterAll(() => stack?.dispose());

/** A form sent as the client chooses: `model` first or last, chunked (no Content-Length) or not. */
function form(model: string, file: Uint8Array, order: "model-first" | "file-first" = "model-first"): Uint8Array[] {
  const b = "----audio-test-boundary";
  const field = `--${b}\r\nContent-Disposition: form-data; name="model"\r\n\r\n${model}\r\n`;
  const fileHead = `--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
  const enc = (s: string) => new TextEncoder().encode(s);
  return order === "model-first"
    ? [enc(field + fileHead), file, enc(`\r\n--${b}--\r\n`)]
    : [enc(fileHead), file, enc(`\r\n${field}--${b}--\r\n`)];
}
const FORM_TYPE = "multipart/form-data; boundary=----audio-test-boundary";

/** POSTs the pieces in 64 KiB chunks without a Content-Length. */
function postChunked(pieces: Uint8Array[], requestId: string): Promise<Response> {
  const chunks = pieces.flatMap((p) =>
    Array.from({ length: Math.ceil(p.length / 65536) }, (_, i) => p.subarray(i * 65536, (i + 1) * 65536)),
  );
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  return fetch(`${stack.baseURL}/audio/transcriptions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${stack.tenant.memberKey}`,
      "content-type": FORM_TYPE,
      "x-request-id": requestId,
    },
    body,
    duplex: "half",
  } as RequestInit);
}

const requestsSeen = () => stack.hosts.slice(0, 2).reduce((n, h) => n + h.gpu.stats().requests, 0);

describe("limits and failures", () => {
  it("answers 413 beyond AUDIO_MAX_BODY_BYTES: declared, before any host; streamed, once the limit passes", async () => {
    const before = requestsSeen();
    const big = await toFile(Buffer.alloc(CAP + 1), "big.wav", { type: "audio/wav" });
    const declared = client.audio.transcriptions.create({ model: stack.model, file: big });
    await expect(declared).rejects.toMatchObject({ status: 413, code: "request_too_large" });
    expect(requestsSeen()).toBe(before);

    const res = await postChunked(form(stack.model, wavFile(30)), "stt-413-chunked");
    // 30 s at 48 kB/s: 1.44 MB fits; 45 s does not.
    expect(res.status).toBe(200);
    const over = await postChunked(form(stack.model, wavFile(45)), "stt-413-chunked-over");
    expect(over.status, await over.clone().text()).toBe(413);
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe("request_too_large");
    const row = await usageRowFor(stack, "stt-413-chunked-over");
    expect(row).toMatchObject({ status: "failed", audioSeconds: "0.000", chargedAmount: "0.00000000" });
    expect(row.metadata.http_status).toBe(413);
  });

  it("answers 400 model_after_file when the file comes first, without calling a host", async () => {
    const before = requestsSeen();
    const res = await postChunked(form(stack.model, wavFile(1), "file-first"), "stt-order-1");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      code: "model_after_file",
      param: "model",
    });
    expect(requestsSeen()).toBe(before);
    const anon = await fetch(`${stack.baseURL}/audio/transcriptions`, { method: "POST", body: "x" });
    expect(anon.status).toBe(401);
  });

  it("fails over from a host that resets the connection, sending the upload again from its start", async () => {
    const [refusing, other] = stack.hosts as [Stack["hosts"][0], Stack["hosts"][0]];
    // The other host looks busy, so the refusing one is tried first.
    other.gpu.setReportedQueueDepth(50);
    await other.gpu.heartbeatNow();
    refusing.gpu.setFaults({ refuse: true });
    try {
      // 120 kB: all of it within the 128 KiB the router keeps, however much the reset connection took.
      const { data, response } = await client.audio.transcriptions
        .create({ model: stack.model, file: await wav() }, rid("stt-failover-1"))
        .withResponse();
      expect(data.text).toBe(WORDS);
      expect(response.headers.get("x-inventiv-instance")).toBe(other.instance.id);
    } finally {
      refusing.gpu.setFaults({});
      other.gpu.setReportedQueueDepth(undefined);
      await other.gpu.heartbeatNow();
    }
    const row = await usageRowFor(stack, "stt-failover-1");
    expect(row).toMatchObject({ status: "succeeded", instanceId: other.instance.id, audioSeconds: "3.000" });
    expect(row.metadata.attempts).toBe(2);
  });

  it("fails over from a host whose port is closed, a file larger than what the router keeps", async () => {
    const busy = [...stack.hosts];
    for (const h of busy) h.gpu.setReportedQueueDepth(50);
    await Promise.all(busy.map((h) => h.gpu.heartbeatNow()));
    // An idle third host, tried first, gone before the request: its connection is refused.
    const gone = await stack.addHost();
    await gone.gpu.close();
    try {
      // 480 kB, more than the 128 KiB kept: a refused connection took one chunk of it.
      const file = await toFile(wavFile(10, WORDS), "long.wav", { type: "audio/wav" });
      const t = await client.audio.transcriptions.create({ model: stack.model, file }, rid("stt-failover-2"));
      expect(t.text).toBe(WORDS);
    } finally {
      expect((await stack.call("DELETE", `/instances/${gone.instance.id}`)).status).toBe(200);
      for (const h of busy) h.gpu.setReportedQueueDepth(undefined);
      await Promise.all(busy.map((h) => h.gpu.heartbeatNow()));
    }
    const row = await usageRowFor(stack, "stt-failover-2");
    expect(row).toMatchObject({ status: "succeeded", audioSeconds: "10.000" });
    expect(busy.map((h) => h.instance.id)).toContain(row.instanceId);
    expect(row.metadata.attempts).toBe(2);
  });

  it("hosts that die after taking the upload: 502, failed rows, nothing charged; retried only within the replay window", async () => {
    forAllHosts(stack, { cutAfterTokens: 1 });
    try {
      // 120 kB: within the 128 KiB the router keeps, so it is sent again to the other host (which dies too).
      const small = client.audio.transcriptions.create({ model: stack.model, file: await wav() }, rid("stt-cut-1"));
      await expect(small).rejects.toMatchObject({ status: 502, code: "upstream_unreachable" });
      // 480 kB: past the window, the first host's failure is final.
      const file = await toFile(wavFile(10, WORDS), "long.wav", { type: "audio/wav" });
      const big = client.audio.transcriptions.create({ model: stack.model, file }, rid("stt-cut-2"));
      await expect(big).rejects.toMatchObject({ status: 502, code: "upstream_unreachable" });
    } finally {
      forAllHosts(stack, {});
    }
    for (const [id, attempts] of [
      ["stt-cut-1", 2],
      ["stt-cut-2", 1],
    ] as const) {
      const row = await usageRowFor(stack, id);
      expect(row).toMatchObject({ status: "failed", audioSeconds: "0.000", chargedAmount: "0.00000000" });
      expect(row.metadata.attempts).toBe(attempts);
    }
  });

  it("a client that leaves mid-upload: a failed row, nothing charged, the host not blamed", async () => {
    const pieces = form(stack.model, wavFile(20));
    const length = pieces.reduce((n, p) => n + p.length, 0);
    const url = new URL(`${stack.baseURL}/audio/transcriptions`);
    const req = http.request(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${stack.tenant.memberKey}`,
        "content-type": FORM_TYPE,
        "content-length": length,
        "x-request-id": "stt-client-gone-1",
      },
    });
    req.on("error", () => {});
    // The head and 256 KiB of the file: the router has chosen a host and is sending it the upload.
    req.write(pieces[0]!);
    req.write(pieces[1]!.subarray(0, 256 * 1024));
    await waitFor(async () => (await leasesInFlight(stack)) === 1, { what: "the upload's lease" });
    req.destroy();
    const row = await usageRowFor(stack, "stt-client-gone-1");
    expect(row).toMatchObject({ status: "failed", audioSeconds: "0.000", chargedAmount: "0.00000000" });
    expect(row.metadata.http_status).toBe(400);
    const host = (await getInstance(stack, row.instanceId!)).live;
    expect(host?.consecutive_failures).toBe(0);
  });

  it("speech cut mid-way: the client's read fails, a failed row, nothing charged", async () => {
    forAllHosts(stack, { cutAfterTokens: 2 });
    try {
      const { data, response } = await client.audio.speech
        .create({ model: stack.model, input: SPEECH, voice: "alloy", response_format: "wav" }, rid("tts-cut-1"))
        .withResponse();
      expect(response.status).toBe(200);
      await expect(data.arrayBuffer()).rejects.toThrow();
    } finally {
      forAllHosts(stack, {});
    }
    const row = await usageRowFor(stack, "tts-cut-1");
    expect(row).toMatchObject({
      kind: "speech",
      status: "failed",
      inputCharacters: 0,
      chargedAmount: "0.00000000",
    });
    expect(row.metadata.error).toBe("upstream connection lost");
  });
});
