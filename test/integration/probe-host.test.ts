// One probe round against real mock hosts on loopback: alive, dead, loading, keyed, wrong model.
import { afterEach, describe, expect, it } from "vitest";
import { type MockGpu, type MockGpuOptions, startMockGpu } from "../../dev/mock-gpu/server";
import { type ProbeTarget, probeHost } from "../../worker/probes/probe-host";
import { waitFor } from "../support/wait";

const MODEL = "Qwen/Qwen2.5-0.5B-Instruct";
const started: MockGpu[] = [];
afterEach(() => Promise.all(started.splice(0).map((g) => g.close())));
async function start(o: Partial<MockGpuOptions> = {}): Promise<MockGpu> {
  const gpu = await startMockGpu({ model: MODEL, port: 0, ...o });
  started.push(gpu);
  return gpu;
}
const target = (gpu: MockGpu, o: Partial<ProbeTarget> = {}): ProbeTarget => ({
  baseUrl: gpu.url,
  apiKey: null,
  modelId: MODEL,
  checkModels: true,
  ...o,
});

describe("probeHost", () => {
  it("a healthy host: alive, model proven, load from both engines", async () => {
    const gpu = await start();
    gpu.setFaults({ hang: true });
    const abort = new AbortController();
    const hung = [1, 2, 3].map(() =>
      fetch(`${gpu.url}/v1/completions`, { method: "POST", body: "{}", signal: abort.signal }).catch(() => 0),
    );
    await waitFor(() => gpu.stats().inflight === 3, { what: "three requests in flight" });
    gpu.setReportedQueueDepth(10);
    const out = await probeHost(target(gpu), 1000);
    abort.abort();
    await Promise.all(hung);
    expect(out.result).toEqual({ alive: true, models: { ok: true } });
    expect(out.load).toEqual({ waiting: 7, running: 3, kvUsage: 0.1 });
  });

  it("skips /v1/models unless asked", async () => {
    const gpu = await start({ model: "other/model" });
    expect((await probeHost(target(gpu, { checkModels: false }), 1000)).result).toEqual({ alive: true });
  });

  it("a host serving another model: alive, with the reason", async () => {
    const gpu = await start({ model: "meta-llama/Llama-3.1-8B-Instruct" });
    expect((await probeHost(target(gpu), 1000)).result).toEqual({
      alive: true,
      models: { ok: false, reason: `the host serves meta-llama/Llama-3.1-8B-Instruct, not ${MODEL}` },
    });
  });

  it("a keyed host proves the model only with its key", async () => {
    const gpu = await start({ apiKey: "k-1" });
    const without = await probeHost(target(gpu), 1000);
    expect(without.result).toMatchObject({ alive: true, models: { ok: false } });
    expect((await probeHost(target(gpu, { apiKey: "k-1" }), 1000)).result).toEqual({
      alive: true,
      models: { ok: true },
    });
  });

  it("a dead engine, a closed port and a loading host are failed rounds", async () => {
    const dead = await start();
    dead.setFaults({ engineDead: true });
    expect((await probeHost(target(dead), 1000)).result).toEqual({ alive: false, error: "/health answered 503" });
    const gone = await start();
    const url = gone.url;
    await gone.close();
    const refused = await probeHost({ ...target(gone), baseUrl: url }, 1000);
    expect(refused.result).toMatchObject({ alive: false, error: expect.stringMatching(/^unreachable: /) });
    const loading = await start({ loadMs: 5000 });
    expect((await probeHost(target(loading), 200)).result).toEqual({ alive: false, error: "no answer in time" });
  });
});
