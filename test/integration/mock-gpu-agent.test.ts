// The simulated GPU host's heartbeat agent: a tiny node:http server plays the router.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { startMockGpu } from "../../dev/mock-gpu/server";
import { waitFor } from "../support/wait";

const MODEL = "Qwen/Qwen2.5-0.5B-Instruct";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("heartbeat agent", () => {
  it("registers (retrying until 2xx) then heartbeats with the Bearer token and live values", async () => {
    const seen: { path: string; auth: string; body: Record<string, unknown> }[] = [];
    let registerCalls = 0;
    const router = createServer(async (req: IncomingMessage, res) => {
      let raw = "";
      for await (const chunk of req) raw += String(chunk);
      const body = JSON.parse(raw) as Record<string, unknown>;
      seen.push({ path: req.url ?? "", auth: req.headers.authorization ?? "", body });
      const fail = req.url === "/internal/worker/register" && ++registerCalls === 1; // first register: router "not up"
      res.writeHead(fail ? 503 : 200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((r) => router.listen(0, "127.0.0.1", r));
    const routerUrl = `http://127.0.0.1:${(router.address() as AddressInfo).port}`;
    const host = await startMockGpu({
      model: MODEL,
      router: routerUrl,
      instanceId: "inst-1",
      token: "tok-1",
      heartbeatMs: 40,
    });
    try {
      await waitFor(() => seen.some((s) => s.path === "/internal/worker/heartbeat"), { what: "a heartbeat" });
      const paths = seen.map((s) => s.path);
      expect(paths.slice(0, 3)).toEqual([
        "/internal/worker/register",
        "/internal/worker/register",
        "/internal/worker/heartbeat",
      ]);
      for (const s of seen) expect(s.auth).toBe("Bearer tok-1");
      const num = expect.any(Number);
      expect(seen[2]?.body).toEqual({
        instance_id: "inst-1",
        worker_id: `mock-${host.port}`,
        status: "ready",
        model_id: MODEL,
        base_url: host.url,
        queue_depth: 0,
        gpu_utilization: num,
        gpu_mem_used_mb: num,
        metadata: { provider: "mock" },
      });
      host.setWorkerStatus("draining");
      host.setReportedQueueDepth(7);
      await host.heartbeatNow();
      expect(seen.at(-1)?.body).toMatchObject({
        status: "draining",
        queue_depth: 7,
        gpu_utilization: expect.closeTo(0.91, 2),
      });
    } finally {
      await host.close();
      router.close();
    }
  });

  it("survives an unreachable router", async () => {
    const host = await startMockGpu({
      model: MODEL,
      router: "http://127.0.0.1:1",
      instanceId: "i",
      token: "t",
      heartbeatMs: 20,
    });
    await host.heartbeatNow();
    await sleep(60);
    expect((await fetch(`${host.url}/health`)).status).toBe(200);
    await host.close();
  });
});
