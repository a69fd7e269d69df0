// `limits` over the admin API, against the real router and Postgres: set, shown, replaced and cleared on
// API keys (organization admins) and organizations (platform admins); bad values are 400s naming the field.
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys, organizations } from "../../schema";
import { createApiKey, createOrg, uniqueSlug } from "../support/fixtures";
import { type Stack, startStack } from "../support/stack";

let stack: Stack;
let platformKey: string;

beforeAll(async () => {
  stack = await startStack({ hosts: 0 });
  const orgId = await createOrg(stack.database.db, uniqueSlug("platform"));
  await stack.database.db.update(organizations).set({ isPlatform: true }).where(eq(organizations.id, orgId));
  platformKey = await createApiKey(stack.database.db, orgId, "admin");
});
afterAll(() => stack?.dispose());

async function json<T>(res: Response, status: number): Promise<T> {
  const body = await res.text();
  expect(res.status, body).toBe(status);
  return JSON.parse(body) as T;
}

const LIMITS = { rpm: 30, tpm: 10_000, max_concurrent: 4, budget: { amount: "25.50", period: "month" } };

describe("limits on API keys", () => {
  it("are set on create, shown, replaced whole on PATCH, cleared with null, and stored in the policy's form", async () => {
    const created = await json<{ id: string; limits: unknown }>(
      await stack.call("POST", "/api-keys", { body: { name: "limited", limits: LIMITS } }),
      201,
    );
    expect(created.limits).toEqual(LIMITS);
    const [stored] = await stack.database.db
      .select({ limits: apiKeys.limits })
      .from(apiKeys)
      .where(eq(apiKeys.id, created.id));
    expect(stored?.limits).toEqual({
      rpm: 30,
      tpm: 10_000,
      maxConcurrent: 4,
      budget: { amount: "25.50", period: "month" },
    });
    expect((await json<{ limits: unknown }>(await stack.call("GET", `/api-keys/${created.id}`), 200)).limits).toEqual(
      LIMITS,
    );

    const renamed = await json<{ limits: unknown }>(
      await stack.call("PATCH", `/api-keys/${created.id}`, { body: { name: "renamed" } }),
      200,
    );
    expect(renamed.limits).toEqual(LIMITS);
    const replaced = await json<{ limits: unknown }>(
      await stack.call("PATCH", `/api-keys/${created.id}`, { body: { limits: { rpm: 5 } } }),
      200,
    );
    expect(replaced.limits).toEqual({ rpm: 5 });
    const cleared = await json<{ limits: unknown }>(
      await stack.call("PATCH", `/api-keys/${created.id}`, { body: { limits: null } }),
      200,
    );
    expect(cleared.limits).toBeNull();
    const plain = await json<{ limits: unknown }>(
      await stack.call("POST", "/api-keys", { body: { name: "plain" } }),
      201,
    );
    expect(plain.limits).toBeNull();
  });

  it.each([
    [{ rpm: 0 }, "limits.rpm", "must be at least 1"],
    [{ rpm: 1.5 }, "limits.rpm", "must be a whole number"],
    [{ rpm: "30" }, "limits.rpm", ""],
    [{ tpm: 1_000_000_001 }, "limits.tpm", "must be at most 1000000000"],
    [{ max_concurrent: -1 }, "limits.max_concurrent", "must be at least 1"],
    [{ budget: { amount: 10, period: "day" } }, "limits.budget.amount", "must be a decimal string"],
    [{ budget: { amount: "1.123456789", period: "day" } }, "limits.budget.amount", "at most 8 decimals"],
    [{ budget: { amount: "-1", period: "day" } }, "limits.budget.amount", "at most 8 decimals"],
    [{ budget: { amount: "1", period: "week" } }, "limits.budget.period", ""],
    [{ budget: { amount: "1" } }, "limits.budget.period", ""],
    [{ rpm: 1, max_concurent: 2 }, "limits", "max_concurent"],
    [{}, "limits", "must set at least one of rpm, tpm, max_concurrent, budget"],
  ])("refuses limits %j with a 400 naming %s", async (limits, param, words) => {
    for (const [method, path] of [
      ["POST", "/api-keys"],
      [
        "PATCH",
        `/api-keys/${(await json<{ id: string }>(await stack.call("POST", "/api-keys", { body: { name: "k" } }), 201)).id}`,
      ],
    ] as const) {
      const { error } = await json<{ error: { message: string; param: string; code: string; type: string } }>(
        await stack.call(method, path, { body: { name: "bad", limits } }),
        400,
      );
      expect(error).toMatchObject({ param, code: "invalid_request", type: "invalid_request_error" });
      expect(error.message).toContain(`\`${param}\``);
      expect(error.message).toContain(words);
    }
  });
});

describe("limits on organizations (platform keys)", () => {
  it("are set on create, shown in the list and one by one, changed and cleared with PATCH", async () => {
    const slug = uniqueSlug("limited-org");
    const created = await json<{ id: string; limits: unknown }>(
      await stack.call("POST", "/organizations", { key: platformKey, body: { slug, limits: { tpm: 500 } } }),
      201,
    );
    expect(created.limits).toEqual({ tpm: 500 });
    const list = await json<{ data: { id: string; limits: unknown }[] }>(
      await stack.call("GET", "/organizations", { key: platformKey }),
      200,
    );
    expect(list.data.find((o) => o.id === created.id)?.limits).toEqual({ tpm: 500 });
    const changed = await json<{ name: string; limits: unknown }>(
      await stack.call("PATCH", `/organizations/${created.id}`, {
        key: platformKey,
        body: { name: "Renamed", limits: { budget: { amount: "100", period: "day" } } },
      }),
      200,
    );
    expect(changed).toMatchObject({ name: "Renamed", limits: { budget: { amount: "100", period: "day" } } });
    const shown = await json<{ limits: unknown }>(
      await stack.call("GET", `/organizations/${created.id}`, { key: platformKey }),
      200,
    );
    expect(shown.limits).toEqual({ budget: { amount: "100", period: "day" } });
    const cleared = await json<{ name: string; limits: unknown }>(
      await stack.call("PATCH", `/organizations/${created.id}`, { key: platformKey, body: { limits: null } }),
      200,
    );
    expect(cleared).toMatchObject({ name: "Renamed", limits: null });
  });

  it("refuses bad limits with a 400, an unknown id with a 404, and other organizations' admins with a 403", async () => {
    const bad = await json<{ error: { param: string } }>(
      await stack.call("POST", "/organizations", {
        key: platformKey,
        body: { slug: uniqueSlug("o"), limits: { rpm: 0 } },
      }),
      400,
    );
    expect(bad.error.param).toBe("limits.rpm");
    const missing = await json<{ error: { code: string } }>(
      await stack.call("PATCH", `/organizations/${crypto.randomUUID()}`, { key: platformKey, body: { limits: null } }),
      404,
    );
    expect(missing.error.code).toBe("organization_not_found");
    const own = await json<{ error: { code: string } }>(
      await stack.call("PATCH", `/organizations/${stack.tenant.orgId}`, { body: { limits: null } }),
      403,
    );
    expect(own.error.code).toBe("platform_required");
  });
});
