// GET /v1/sessions and /v1/sessions/{id}: the caller's conversations from Postgres, paginated,
// with one session's live pin from its SessionObject; never another organization's.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant, type Tenant } from "../support/fixtures";
import { chatOnce } from "../support/fleet";
import { type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

interface SessionJson {
  id: string;
  object: string;
  model: string;
  instance_id: string;
  requests: number;
  total_tokens: number;
  created_at: number;
  last_used_at: number;
}
interface Page {
  object: "list";
  data: SessionJson[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

let stack: Stack;
let other: Tenant;
const KEYS = ["conv-a", "conv-b", "conv-c", "conv-d", "conv-e"];

const page = async (query: string, key = stack.tenant.memberKey) => {
  const res = await stack.call("GET", `/v1/sessions${query}`, { key });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
};

beforeAll(async () => {
  stack = await startStack({ hosts: 2 });
  other = await createTenant(stack.database.db, "other");
  // Tenants never share hosts: the other organization serves the same model on its own.
  await stack.addHost({}, other.orgId);
  for (const [i, key] of KEYS.entries()) {
    for (let turn = 0; turn <= i % 2; turn++)
      expect((await chatOnce(stack, { session: key, content: `turn ${turn} of ${key}` })).status).toBe(200);
  }
  await waitFor(
    async () =>
      (await page("?limit=100")).data.filter((s) => s.requests === 1 + (KEYS.indexOf(s.id) % 2)).length === KEYS.length,
    {
      what: "the sessions' usage to land",
    },
  );
});
afterAll(() => stack?.dispose());

describe("GET /v1/sessions", () => {
  it("lists the caller's sessions with model, pinned instance, requests, tokens and times", async () => {
    const { object, data, has_more } = await page("");
    expect(object).toBe("list");
    expect(has_more).toBe(false);
    expect(data.map((s) => s.id).sort()).toEqual(KEYS);
    const hostIds = stack.hosts.slice(0, 2).map((h) => h.instance.id); // this tenant's two hosts
    for (const s of data) {
      expect(s).toEqual({
        id: expect.any(String),
        object: "chat.session",
        model: stack.model,
        instance_id: expect.any(String),
        requests: 1 + (KEYS.indexOf(s.id) % 2),
        total_tokens: expect.any(Number),
        created_at: expect.any(Number),
        last_used_at: expect.any(Number),
      });
      expect(hostIds).toContain(s.instance_id);
      expect(s.total_tokens).toBeGreaterThan(0);
      expect(s.last_used_at).toBeGreaterThanOrEqual(s.created_at);
    }
  });

  it("pages with limit and after, newest first, without repeating or skipping a session", async () => {
    const seen: string[] = [];
    let after = "";
    let pages = 0;
    for (;;) {
      const p = await page(`?limit=2${after ? `&after=${after}` : ""}`);
      pages += 1;
      expect(p.data.length).toBeLessThanOrEqual(2);
      seen.push(...p.data.map((s) => s.id));
      if (!p.has_more) break;
      expect(p.last_id).toBe(p.data.at(-1)?.id);
      after = p.last_id!;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual((await page("?limit=100")).data.map((s) => s.id));
    expect([...seen].sort()).toEqual(KEYS);
  });

  it("rejects a bad limit or an unknown cursor with 400", async () => {
    for (const q of ["?limit=0", "?limit=101", "?limit=two"]) {
      const res = await stack.call("GET", `/v1/sessions${q}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { type: "invalid_request_error", param: "limit" } });
    }
    const res = await stack.call("GET", "/v1/sessions?after=never-seen");
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { param: "after", code: "invalid_cursor" } });
  });

  it("shows one session with its live pin and the reason it was pinned", async () => {
    const res = await stack.call("GET", "/v1/sessions/conv-b", { key: stack.tenant.memberKey });
    expect(res.status).toBe(200);
    const body = (await res.json()) as SessionJson & {
      pin: { instance_id: string; requests_routed: number; repins: { reason: string; to: string }[] };
    };
    expect(body).toMatchObject({ id: "conv-b", model: stack.model, requests: 2 });
    expect(body.pin).toMatchObject({
      instance_id: body.instance_id,
      requests_routed: 2,
      repins: [{ reason: "first_request", to: body.instance_id }],
    });
  });

  it("answers for a session at once, before its usage reaches Postgres", async () => {
    const served = await chatOnce(stack, { session: "brand-new" });
    const res = await stack.call("GET", "/v1/sessions/brand-new");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: "brand-new", model: stack.model, instance_id: served.instance });
  });

  it("never shows another organization's sessions, even under the same id", async () => {
    expect((await stack.call("GET", "/v1/sessions/conv-a", { key: other.memberKey })).status).toBe(404);
    expect((await page("", other.memberKey)).data).toEqual([]);
    // The other tenant's own "conv-a" is a different session, pinned on its own.
    const own = await chatOnce(stack, { session: "conv-a", key: other.memberKey });
    expect(own.status).toBe(200);
    const theirs = await stack.call("GET", "/v1/sessions/conv-a", { key: other.memberKey });
    expect(await theirs.json()).toMatchObject({ id: "conv-a", pin: { requests_routed: 1 } });
    const ours = await stack.call("GET", "/v1/sessions/conv-a");
    expect(await ours.json()).toMatchObject({ id: "conv-a", pin: { requests_routed: 1 }, requests: 1 });
  });
});
