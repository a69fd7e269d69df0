// Helpers for limit tests: a key with limits made through the admin API, what its limiter holds (read
// from the router's own Durable Object), and the key's ledger rows.
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { inferenceUsage } from "../../schema";
import type { LimiterScope } from "../../worker/contracts";
import type { Quota } from "../../worker/limits/policy";
import { limiterName } from "../../worker/stubs";
import type { Stack } from "./stack";
import type { UsageRow } from "./usage";

export interface LimitedKey {
  id: string;
  key: string;
}

/** A member key with these limits (the admin API's form), created with POST /api-keys. */
export async function limitedKey(stack: Stack, limits: Record<string, unknown> | null): Promise<LimitedKey> {
  const res = await stack.call("POST", "/api-keys", { body: { name: "limited", role: "member", limits } });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as LimitedKey;
}

/** What the scope's LimiterObject holds now. */
export async function limiterQuota(stack: Stack, scope: LimiterScope): Promise<Quota> {
  const ns = await stack.router.mf.getDurableObjectNamespace("LIMITER");
  const stub = ns.get(ns.idFromName(limiterName(scope))) as unknown as { quota(): Promise<Quota> };
  return stub.quota();
}

export function keyRows(stack: Stack, apiKeyId: string): Promise<UsageRow[]> {
  return stack.database.db.select().from(inferenceUsage).where(eq(inferenceUsage.apiKeyId, apiKeyId));
}

/** Runs `count` tasks with at most `clients` at once, like that many clients each sending in turn. */
export async function withClients<T>(count: number, clients: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let i = next++; i < count; i = next++) results[i] = await task(i);
    }),
  );
  return results;
}
