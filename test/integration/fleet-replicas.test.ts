// A fleet served by three FleetObject replicas (FLEET_REPLICAS=3) against real mock hosts: every replica
// knows every host, requests spread over them and their leases all return, the admin view adds up every
// replica's leases, a drain reaches all of them, and a session stays on its host.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatOnce, getInstance, listInstances, tally } from "../support/fleet";
import { chat, type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ hosts: 2, host: { tokenDelayMs: 30 }, vars: { FLEET_REPLICAS: "3" } });
});
afterAll(() => stack?.dispose());

const inflight = async () => (await listInstances(stack)).reduce((n, i) => n + (i.live?.inflight ?? 0), 0);

describe("three fleet replicas", () => {
  it("serve on both hosts, and the admin view counts every replica's open leases until they return", async () => {
    const abort = new AbortController();
    // Six streams held open after their first chunk: two per replica, in turn.
    const open = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const res = await fetch(`${stack.baseURL}/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${stack.tenant.memberKey}`, "content-type": "application/json" },
          body: JSON.stringify(chat(stack, `stream ${i} `.repeat(40), { stream: true })),
          signal: abort.signal,
        });
        const reader = res.body!.getReader();
        await reader.read();
        return { res, reader };
      }),
    );
    expect(open.every((o) => o.res.status === 200)).toBe(true);
    expect(await inflight()).toBe(6);
    abort.abort();
    await Promise.all(open.map((o) => o.reader.cancel().catch(() => undefined)));
    await waitFor(async () => (await inflight()) === 0, { timeoutMs: 10_000, what: "every replica's leases back" });

    const served = [];
    for (let i = 0; i < 12; i++) served.push(await chatOnce(stack, { content: `short ${i}` }));
    expect(served.every((s) => s.status === 200)).toBe(true);
    expect([...tally(served.map((s) => s.instance)).keys()].sort()).toEqual(
      stack.hosts.map((h) => h.instance.id).sort(),
    );
  });

  it("takes a drained host out of every replica, and keeps a session on one host", async () => {
    const [drained, other] = stack.hosts;
    expect((await stack.call("POST", `/instances/${drained!.instance.id}/drain`)).status).toBe(200);
    const before = drained!.gpu.stats().requests;
    for (let i = 0; i < 9; i++) expect((await chatOnce(stack)).instance).toBe(other!.instance.id);
    expect(drained!.gpu.stats().requests).toBe(before);
    expect((await getInstance(stack, drained!.instance.id)).live).toMatchObject({ routable: false });
    expect((await stack.call("POST", `/instances/${drained!.instance.id}/undrain`)).status).toBe(200);

    const hosts = new Set<string | null>();
    for (let i = 0; i < 6; i++) hosts.add((await chatOnce(stack, { session: "replicated-session" })).instance);
    expect(hosts.size).toBe(1);
  });
});
