// The simulated host's real-host modes: a plain server (no agent), vLLM's --api-key, a loading phase,
// data-parallel engines in /metrics, and a dead engine.
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type MockGpu, type MockGpuOptions, startMockGpu } from "../../dev/mock-gpu/server";
import { waitFor } from "../support/wait";

const MODEL = "Qwen/Qwen2.5-0.5B-Instruct";
const chat = JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "Hi there" }] });

const started: MockGpu[] = [];
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((g) => g.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
async function start(o: Partial<MockGpuOptions> = {}): Promise<MockGpu> {
  const gpu = await startMockGpu({ model: MODEL, port: 0, ...o });
  started.push(gpu);
  return gpu;
}
const postChat = (gpu: MockGpu, headers: Record<string, string> = {}) =>
  fetch(`${gpu.url}/v1/chat/completions`, {
    method: "POST",
    body: chat,
    headers: { "content-type": "application/json", ...headers },
  });

describe("--api-key", () => {
  it("answers /v1/* only with the key, vLLM's 401 otherwise; /health and /metrics stay open", async () => {
    const gpu = await start({ apiKey: "host-secret" });
    const models = (auth?: string) => fetch(`${gpu.url}/v1/models`, auth ? { headers: { authorization: auth } } : {});
    const denied = await models();
    expect([denied.status, await denied.json()]).toEqual([401, { error: "Unauthorized" }]);
    expect((await models("Bearer wrong")).status).toBe(401);
    expect((await postChat(gpu)).status).toBe(401);
    expect(gpu.stats().requests).toBe(0); // refused before any inference
    const ok = await models("Bearer host-secret");
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual([MODEL]);
    expect((await postChat(gpu, { authorization: "Bearer host-secret" })).status).toBe(200);
    expect((await fetch(`${gpu.url}/health`)).status).toBe(200);
    expect((await fetch(`${gpu.url}/metrics`)).status).toBe(200);
  });
});

describe("--load-ms", () => {
  it("binds the port at once but answers nothing until the model is loaded", async () => {
    const gpu = await start({ loadMs: 300 });
    // The TCP connection is accepted while loading (vLLM binds before it serves).
    await new Promise<void>((resolve, reject) => {
      const socket = connect(gpu.port, "127.0.0.1", () => {
        socket.destroy();
        resolve();
      });
      socket.once("error", reject);
    });
    let answered = false;
    const health = fetch(`${gpu.url}/health`).then((r) => {
      answered = true;
      return r.status;
    });
    await gpu.loaded;
    expect(answered).toBe(false);
    expect(await health).toBe(200); // the request that waited is answered once loaded
  });
});

describe("/metrics with data-parallel engines", () => {
  it("splits running and waiting over two `engine` series; KV usage rises with running requests", async () => {
    const gpu = await start();
    gpu.setFaults({ hang: true });
    const abort = new AbortController();
    const hung = [1, 2, 3].map(() =>
      fetch(`${gpu.url}/v1/chat/completions`, { method: "POST", body: chat, signal: abort.signal }).catch(() => 0),
    );
    await waitFor(() => gpu.stats().inflight === 3, { what: "three hung requests" });
    gpu.setReportedQueueDepth(8); // 3 running + 5 waiting
    const text = await (await fetch(`${gpu.url}/metrics`)).text();
    abort.abort();
    await Promise.all(hung);
    const series = (name: string) =>
      [...text.matchAll(new RegExp(`^${name}\\{engine="(\\d)",model_name="${MODEL}"\\} (\\S+)$`, "gm"))].map(
        (m) => `${m[1]}=${m[2]}`,
      );
    expect(series("vllm:num_requests_running")).toEqual(["0=2", "1=1"]);
    expect(series("vllm:num_requests_waiting")).toEqual(["0=3", "1=2"]);
    expect(series("vllm:kv_cache_usage_perc")).toEqual(["0=0.1", "1=0.05"]);
  });
});

describe("--max-num-seqs", () => {
  const total = (text: string, name: string) =>
    [...text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, "gm"))].reduce((a, m) => a + Number(m[1]), 0);
  const words = Array.from({ length: 200 }, (_, i) => `w${i}`).join(" ");
  const ask = (gpu: MockGpu, maxTokens: number, signal?: AbortSignal) =>
    fetch(`${gpu.url}/v1/chat/completions`, {
      method: "POST",
      // The mock echoes the last message: long enough for every token asked.
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: words }], max_tokens: maxTokens }),
      headers: { "content-type": "application/json" },
      signal,
    });

  it("generates that many at once; the rest wait in /metrics, and one that leaves while waiting frees its place", async () => {
    const gpu = await start({ maxNumSeqs: 2, tokenDelayMs: 20 });
    const long = [ask(gpu, 150), ask(gpu, 150)];
    await waitFor(() => gpu.stats().inflight === 2, { what: "two running" });
    const abort = new AbortController();
    const leaving = ask(gpu, 5, abort.signal).catch(() => "left");
    const queued = ask(gpu, 5);
    await waitFor(() => gpu.stats().inflight === 4, { what: "two waiting" });
    const metrics = async () => {
      const text = await (await fetch(`${gpu.url}/metrics`)).text();
      return [total(text, "vllm:num_requests_running"), total(text, "vllm:num_requests_waiting")];
    };
    expect(await metrics()).toEqual([2, 2]);
    abort.abort();
    expect(await leaving).toBe("left");
    await waitFor(() => gpu.stats().inflight === 3, { what: "the waiting client gone" });
    expect(await metrics()).toEqual([2, 1]);
    const answers = await Promise.all([...long, queued]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    const last = (await answers[2]!.json()) as { usage: { completion_tokens: number } };
    expect(last.usage.completion_tokens).toBe(5);
    expect(await metrics()).toEqual([0, 0]);
  });
});

describe("a dead engine", () => {
  it("answers /health 503 and inference 500 while the port stays open", async () => {
    const gpu = await start();
    gpu.setFaults({ engineDead: true });
    expect((await fetch(`${gpu.url}/health`)).status).toBe(503);
    const res = await postChat(gpu);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/^EngineCore encountered/);
    gpu.setFaults({});
    expect((await fetch(`${gpu.url}/health`)).status).toBe(200);
  });

  it("can be told so over HTTP", async () => {
    const gpu = await start();
    const set = await fetch(`${gpu.url}/_mock/faults`, { method: "POST", body: '{"engineDead":true}' });
    expect(set.status).toBe(200);
    expect((await fetch(`${gpu.url}/health`)).status).toBe(503);
  });
});

describe("--no-agent", () => {
  it("sends nothing to the router even when router, instance id and token are given", async () => {
    let calls = 0;
    const router = createServer((_req, res) => {
      calls++;
      res.end("{}");
    });
    servers.push(router);
    await new Promise<void>((r) => router.listen(0, "127.0.0.1", r));
    const port = (router.address() as { port: number }).port;
    const agentArgs = { router: `http://127.0.0.1:${port}`, instanceId: "i-1", token: "t" };
    const withAgent = await startMockGpu({ model: MODEL, ...agentArgs });
    await withAgent.heartbeatNow();
    await withAgent.close();
    expect(calls).toBeGreaterThan(0); // the control: an agent does call
    calls = 0;
    const plain = await start({ ...agentArgs, noAgent: true });
    await plain.heartbeatNow();
    expect(calls).toBe(0);
  });
});
