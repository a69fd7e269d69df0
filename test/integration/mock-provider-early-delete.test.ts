// A mock deployment deleted before the local stack's mock provider started its host: the router
// terminates it at once (no fleet ever knew it), and the provider, which acts only on instances
// still provisioning, never starts a host for it. Its own file: another provider polling the shared
// database (mock-provider.test.ts has one) would race this one.
import { describe, expect, inject, it } from "vitest";
import { startMockGpu } from "../../dev/mock-gpu/server";
import { startMockProvisioner } from "../../dev/mock-provisioner";
import { startStack } from "../support/stack";

describe("a mock instance deleted before the mock provider got to it", () => {
  it("is terminated at once, and the provider never starts a host for it", async () => {
    // The router accepts mock deployments, but no provider runs yet: the instance waits, hostless.
    const waiting = await startStack({ hosts: 0, vars: { MOCK_PROVISIONING: "1" } });
    const started: string[] = [];
    const provisioner = await startMockProvisioner({
      databaseUrl: inject("databaseUrl"),
      pollMs: 3_600_000, // passes only when reconcile() is called
      startHost: async (part) => {
        started.push(part.instanceId);
        return startMockGpu({ model: part.model ?? waiting.model, port: part.port });
      },
    }).catch(async (error: unknown) => {
      await waiting.dispose();
      throw error;
    });
    try {
      const created = await waiting.post("/deployments", { provider: "mock", model: waiting.model });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      expect((await waiting.call("DELETE", `/instances/${id}`)).status).toBe(200);
      // No fleet ever knew it, so nothing can be running on it: done without waiting for a sync.
      const view = (await (await waiting.call("GET", `/instances/${id}`)).json()) as Record<string, unknown>;
      expect(view).toMatchObject({ status: "terminated", base_url: "" });

      await provisioner.reconcile();
      expect(started).not.toContain(id);
      expect(provisioner.hosts.has(id)).toBe(false);
      const after = (await (await waiting.call("GET", `/instances/${id}`)).json()) as Record<string, unknown>;
      expect(after).toMatchObject({ status: "terminated", base_url: "" });
    } finally {
      for (const host of provisioner.hosts.values()) await host.close();
      await provisioner.stop();
      await waiting.dispose();
    }
  });
});
