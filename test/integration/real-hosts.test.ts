// Real GPU hosts without an agent of ours: registered by one API call, probed by the router (health,
// metrics, models), taken out after 3 failed probes and back after 2 good ones; keyed hosts and
// ownership across organizations; saturation. Real mock hosts on loopback, real Postgres, workerd.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type MockGpu, type MockGpuOptions, startMockGpu } from "../../dev/mock-gpu/server";
import { freePort } from "../../dev/ports";
import { createTenant } from "../support/fixtures";
import { chat, type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

const HOST_KEY_SECRET = btoa(String.fromCharCode(...new Uint8Array(32).map((_, i) => 255 - i)));
const INTERVAL_S = 1;

let stack: Stack;
const gpus: MockGpu[] = [];
beforeAll(async () => {
  stack = await startStack({
    hosts: 0,
    vars: { PROBE_INTERVAL_SECONDS: String(INTERVAL_S), HOST_KEY_ENCRYPTION_KEY: HOST_KEY_SECRET },
  });
});
// Each test starts with no routable host: every instance left is deleted (out of routing at once).
afterEach(async () => {
  const list = (await (await stack.call("GET", "/instances")).json()) as { data: InstanceView[] };
  for (const v of list.data) if (v.status !== "terminated") await stack.call("DELETE", `/instances/${v.id}`);
});
afterAll(async () => {
  await Promise.all(gpus.map((g) => g.close()));
  await stack?.dispose();
});

async function plainHost(o: Partial<MockGpuOptions> = {}): Promise<MockGpu> {
  const gpu = await startMockGpu({ model: stack.model, noAgent: true, ...o });
  gpus.push(gpu);
  return gpu;
}

interface InstanceView {
  id: string;
  status: string;
  routable: boolean;
  failure_reason: string | null;
  probe: { phase: string; last_result: string | null; consecutive_failures: number; last_error: string | null } | null;
  load: { waiting: number; running: number; kv_cache_usage: number | null; source: string } | null;
  agent: { version: string | null; gpu_count: number | null } | null;
  max_num_seqs: number | null;
}

async function register(body: Record<string, unknown>, key = stack.tenant.adminKey): Promise<Response> {
  return stack.call("POST", "/deployments", { body: { model: stack.model, ...body }, key });
}
async function deploy(gpu: MockGpu, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await register({ base_url: gpu.url, ...extra });
  if (res.status !== 201) throw new Error(`deploy ${gpu.url}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
const show = async (id: string): Promise<InstanceView> =>
  (await (await stack.call("GET", `/instances/${id}`)).json()) as InstanceView;
const untilShown = (id: string, ok: (v: InstanceView) => boolean, what: string) =>
  waitFor(async () => ok(await show(id)), { timeoutMs: 20_000, intervalMs: 50, what });
const chatOnce = () => stack.post("/v1/chat/completions", chat(stack, "probe me"));

describe("a plain vLLM server registered by API", () => {
  it("is probed at once and serves; stays booting while loading", async () => {
    const loading = await plainHost({ loadMs: 6_000 });
    const t0 = Date.now();
    const id = await deploy(loading);
    await untilShown(id, (v) => v.probe?.last_result === "failed", "a first, unanswered probe");
    const booting = await show(id);
    expect([booting.status, booting.routable, booting.probe?.phase]).toEqual(["booting", false, "booting"]);
    expect(booting.probe?.last_error).toBe("no answer in time");
    expect((await chatOnce()).status).toBe(503);
    await loading.loaded;
    const loadedAt = Date.now();
    let served = 0;
    await waitFor(
      async () => {
        const res = await chatOnce();
        await res.text();
        served = Date.now();
        return res.status === 200 && res.headers.get("x-inventiv-instance") === id;
      },
      { timeoutMs: 20_000, intervalMs: 25, what: "the first routed request" },
    );
    console.log(
      `figure: loading host registered → first routed request ${served - t0} ms (answering from ${loadedAt - t0} ms; probe interval ${INTERVAL_S * 1000} ms)`,
    );
    // The probe's verdict reaches routing first; its write to `instances` follows in the background.
    await untilShown(id, (v) => v.status === "ready", "the ready status in Postgres");
    const ready = await show(id);
    expect([ready.status, ready.routable, ready.probe?.phase]).toEqual(["ready", true, "up"]);
    expect(ready.load).toMatchObject({ source: "probe", waiting: 0 });
    await stack.call("DELETE", `/instances/${id}`);
  });

  it("time from POST /deployments to the first routed request", async () => {
    const gpu = await plainHost();
    const t0 = Date.now();
    const id = await deploy(gpu);
    await waitFor(
      async () => {
        const res = await chatOnce();
        await res.text();
        return res.status === 200 && res.headers.get("x-inventiv-instance") === id;
      },
      { timeoutMs: 20_000, intervalMs: 10, what: "the first routed request" },
    );
    console.log(`figure: POST /deployments → first routed request ${Date.now() - t0} ms`);
    expect(gpu.stats().requests).toBeGreaterThan(0);
    await stack.call("DELETE", `/instances/${id}`);
  });

  it("a host listing another model is failed, with the reason", async () => {
    const other = await plainHost({ model: "meta-llama/Llama-3.1-8B-Instruct" });
    const id = await deploy(other);
    await untilShown(id, (v) => v.status === "failed", "the instance to fail");
    const v = await show(id);
    expect(v.routable).toBe(false);
    expect(v.failure_reason).toBe(`the host serves meta-llama/Llama-3.1-8B-Instruct, not ${stack.model}`);
    expect(other.stats().requests).toBe(0);
  });
});

describe("a host dying under traffic", () => {
  it("costs no client an error, is out within 3 probes and back after 2 good ones", async () => {
    const a = await plainHost();
    const b = await plainHost();
    const [idA, idB] = [await deploy(a), await deploy(b)];
    await untilShown(idA, (v) => v.routable, "a routable");
    await untilShown(idB, (v) => v.routable, "b routable");
    const statuses: number[] = [];
    let stop = false;
    const traffic = (async () => {
      while (!stop) {
        const batch = await Promise.all(
          [1, 2, 3].map(() =>
            chatOnce().then(async (r) => {
              await r.text();
              return r.status;
            }),
          ),
        );
        statuses.push(...batch);
      }
    })();
    await waitFor(() => statuses.length >= 6, { what: "traffic on both hosts" });
    const port = a.port;
    const killedAt = Date.now();
    await a.close();
    await untilShown(idA, (v) => !v.routable && v.probe?.phase === "down", "a ejected by its probes");
    const ejectedAt = Date.now();
    const downView = await show(idA);
    expect(downView.probe?.consecutive_failures).toBeGreaterThanOrEqual(3);
    await waitFor(() => statuses.length >= 30, { timeoutMs: 20_000, what: "more traffic" });
    stop = true;
    await traffic;
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    console.log(
      `figure: host death → ejection by probes ${ejectedAt - killedAt} ms (interval ${INTERVAL_S * 1000} ms)`,
    );

    const again = await plainHost({ port });
    await untilShown(idA, (v) => v.routable && v.probe?.phase === "up", "a back after 2 good probes");
    expect((await show(idA)).status).toBe("ready");
    await waitFor(
      async () => {
        await (await chatOnce()).text();
        return again.stats().requests > 0;
      },
      { what: "traffic on the recovered host" },
    );
    await Promise.all([idA, idB].map((id) => stack.call("DELETE", `/instances/${id}`)));
  }, 60_000);
});

describe("keyed hosts and ownership", () => {
  it("a host started with --api-key is reached only with its key; the key is never shown", async () => {
    const keyed = await plainHost({ apiKey: "owner-secret-1" });
    const noKey = await register({ base_url: keyed.url });
    const noKeyId = ((await noKey.json()) as { id: string }).id;
    await untilShown(noKeyId, (v) => v.status === "failed", "the keyless registration to fail");
    expect((await show(noKeyId)).failure_reason).toBe(
      "the host answered 401 to /v1/models: its API key is missing or wrong",
    );
    await stack.call("DELETE", `/instances/${noKeyId}`);
    await untilShown(noKeyId, (v) => v.status === "terminated", "the failed registration to end");

    const res = await register({ base_url: keyed.url, api_key: "owner-secret-1" });
    const text = await res.text();
    expect(res.status).toBe(201);
    expect(text).not.toContain("owner-secret-1");
    const id = (JSON.parse(text) as { id: string }).id;
    await untilShown(id, (v) => v.routable, "the keyed host routable");
    const served = await chatOnce();
    expect([served.status, served.headers.get("x-inventiv-instance")]).toEqual([200, id]);
    expect(JSON.stringify(await (await stack.call("GET", "/instances")).json())).not.toContain("owner-secret-1");

    // Same URL twice in one organization.
    expect((await register({ base_url: `${keyed.url}/`, api_key: "owner-secret-1" })).status).toBe(409);

    // Another organization: refused without the host's key, and never served by it.
    const other = await createTenant(stack.database.db, "thief");
    const before = keyed.stats().requests;
    const stolen = await register({ base_url: keyed.url }, other.adminKey);
    expect(stolen.status).toBe(409);
    expect(await stolen.json()).toMatchObject({ error: { code: "host_owned_elsewhere", param: "base_url" } });
    expect((await register({ base_url: keyed.url, api_key: "a guess" }, other.adminKey)).status).toBe(409);
    const theirs = await stack.call("POST", "/v1/chat/completions", { body: chat(stack, "x"), key: other.adminKey });
    expect(theirs.status).toBe(503);
    expect(keyed.stats().requests).toBe(before);
    // The host's own key proves it is theirs too.
    expect((await register({ base_url: keyed.url, api_key: "owner-secret-1" }, other.adminKey)).status).toBe(201);
    await stack.call("DELETE", `/instances/${id}`);
  });

  it("a keyless host another organization registered is refused (409)", async () => {
    const gpu = await plainHost();
    const id = await deploy(gpu);
    const other = await createTenant(stack.database.db, "other");
    expect((await register({ base_url: gpu.url, api_key: "anything" }, other.adminKey)).status).toBe(409);
    await stack.call("DELETE", `/instances/${id}`);
  });
});

describe("saturation", () => {
  it("takes the host's max_num_seqs at registration: shown, and refused unless an integer from 1 to 65536", async () => {
    const gpu = await plainHost();
    for (const bad of [0, 1.5, "8", 65_537])
      expect(await (await register({ base_url: gpu.url, max_num_seqs: bad })).json()).toMatchObject({
        error: { type: "invalid_request_error", param: "max_num_seqs" },
      });
    const id = await deploy(gpu, { max_num_seqs: 8 });
    expect(await show(id)).toMatchObject({ max_num_seqs: 8 });
  });

  it("a host with a long waiting queue is avoided while another has room", async () => {
    const busy = await plainHost();
    const free = await plainHost();
    busy.setReportedQueueDepth(7); // /metrics: 7 waiting
    const [busyId, freeId] = [await deploy(busy), await deploy(free)];
    await untilShown(busyId, (v) => v.routable && v.load?.waiting === 7, "busy host's load sampled");
    await untilShown(freeId, (v) => v.routable, "free host routable");
    for (let i = 0; i < 10; i++) {
      const res = await chatOnce();
      await res.text();
      expect(res.headers.get("x-inventiv-instance")).toBe(freeId);
    }
    expect(busy.stats().requests).toBe(0);
    await Promise.all([busyId, freeId].map((id) => stack.call("DELETE", `/instances/${id}`)));
  });
});

describe("operator actions", () => {
  it("undrain: draining → ready; from ready → 409", async () => {
    const gpu = await plainHost();
    const id = await deploy(gpu);
    await untilShown(id, (v) => v.routable, "routable");
    expect((await stack.call("POST", `/instances/${id}/undrain`)).status).toBe(409);
    expect((await stack.call("POST", `/instances/${id}/drain`)).status).toBe(200);
    expect((await show(id)).routable).toBe(false);
    const back = await stack.call("POST", `/instances/${id}/undrain`);
    expect(back.status).toBe(200);
    expect(await back.json()).toMatchObject({ status: "ready", routable: true });
    await stack.call("DELETE", `/instances/${id}`);
  });

  it("DELETE of a host that never answered reaches terminated", async () => {
    const port = await freePort(); // nothing listens there
    const res = await register({ base_url: `http://127.0.0.1:${port}` });
    const id = ((await res.json()) as { id: string }).id;
    expect((await stack.call("DELETE", `/instances/${id}`)).status).toBe(200);
    await untilShown(id, (v) => v.status === "terminated", "terminated");
  });
});
