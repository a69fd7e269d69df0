// GPU host agents: register and heartbeat with their own instance's token, mirrored to Postgres;
// plus the per-request structured log line.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instances } from "../../schema";
import { createInstance } from "../support/fixtures";
import { chat, type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ hosts: 1 });
});
afterAll(() => stack?.dispose());

const report = (instanceId: string, token: string | null, extra: Record<string, unknown> = {}) =>
  fetch(`${stack.router.url}/internal/worker/heartbeat`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({
      instance_id: instanceId,
      worker_id: "w",
      status: "ready",
      model_id: stack.model,
      base_url: "http://127.0.0.1:9",
      queue_depth: 0,
      ...extra,
    }),
  });

describe("worker agent endpoints", () => {
  it("rejects a missing or unknown token (401) and another instance's token (403)", async () => {
    const own = stack.hosts[0]!.instance;
    const other = await createInstance(stack.database.db, {
      orgId: stack.tenant.orgId,
      modelUuid: stack.modelUuid,
      baseUrl: "http://127.0.0.1:9",
    });
    expect((await report(own.id, null)).status).toBe(401);
    expect((await report(own.id, "wt-not-a-token")).status).toBe(401);
    const res = await report(own.id, other.token);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "instance_mismatch" } });
  });

  it("rejects a malformed report with 400", async () => {
    const own = stack.hosts[0]!.instance;
    expect((await report(own.id, own.token, { status: "on fire" })).status).toBe(400);
    expect((await report(own.id, own.token, { queue_depth: -1 })).status).toBe(400);
  });

  it("promotes a booting host that reports ready, and mirrors its state into instances", async () => {
    const { id } = stack.hosts[0]!.instance;
    await waitFor(
      async () => {
        const [row] = await stack.database.db.select().from(instances).where(eq(instances.id, id));
        return (
          row?.status === "ready" &&
          row.workerStatus === "ready" &&
          row.workerModelId === stack.model &&
          row.workerLastHeartbeat !== null
        );
      },
      { what: "instances row to show the heartbeat" },
    );
  });

  it("writes one JSON log line per request with model, instance, status, tokens and timings", async () => {
    const res = await stack.post("/v1/chat/completions", chat(stack, "log me"), { "x-request-id": "req-log-1" });
    expect(res.status).toBe(200);
    await res.text();
    await waitFor(() => stack.logs.some((l) => l.request_id === "req-log-1"), { what: "the request's log line" });
    const lines = stack.logs.filter((l) => l.request_id === "req-log-1");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: "request",
      model: stack.model,
      instance: stack.hosts[0]!.instance.id,
      status: 200,
      outcome: "completed",
      input_tokens: expect.any(Number),
      output_tokens: expect.any(Number),
      duration_ms: expect.any(Number),
    });
  });
});
