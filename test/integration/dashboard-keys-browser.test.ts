// The dashboard's Keys page in a real Chromium against a real stack: create a key with limits and see
// its secret exactly once, use it, revoke it and see it refused at /v1/models and its signed-in
// session ended; rotate a key and see the old secret refused; a bad form refused with the field; a
// member kept out. No console errors on any page. Screenshots go to test/results/.
import { eq } from "drizzle-orm";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys } from "../../schema";
import { cookieHeader, launchChromium, screenshot, signIn, type WatchedPage, watchedPage } from "../support/browser";
import { sha256Hex } from "../support/fixtures";
import { type Stack, startStack } from "../support/stack";

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let tab: WatchedPage;

const url = (path: string) => `${stack.router.url}${path}`;
const keyRow = (id: string) => tab.page.locator(`tr[data-key="${id}"]`);
const field = (id: string, name: string) => keyRow(id).locator(`[data-field="${name}"]`).textContent();
const keyByHash = async (secret: string) =>
  (
    await stack.database.db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.keyHash, await sha256Hex(secret)))
  )[0];
const modelsWith = async (key: string) => {
  const res = await stack.call("GET", "/v1/models", { key });
  return { status: res.status, body: await res.text() };
};

beforeAll(async () => {
  [stack, browser] = await Promise.all([startStack({ hosts: 1 }), launchChromium()]);
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  tab = await watchedPage(context);
  await signIn(tab.page, stack.router.url, stack.tenant.adminKey);
});
afterAll(async () => {
  await browser?.close();
  await stack?.dispose();
});

describe("dashboard keys in Chromium", { timeout: 60_000 }, () => {
  it("creates a key with limits and shows its secret once; revoked, it is refused at /v1/models and its session ends", async () => {
    await tab.page.goto(url("/dashboard/keys"));
    const form = tab.page.getByRole("form", { name: "Create a key" });
    await form.getByLabel("Name").fill("browser key");
    await form.getByLabel("Requests / min").fill("120");
    await form.getByLabel("Budget").fill("25.50");
    await form.getByLabel("per").selectOption("month");
    await form.getByRole("button", { name: "Create key" }).click();
    await tab.page.waitForLoadState();
    const secret = (await tab.page.locator('[data-field="secret"]').textContent()) ?? "";
    expect(secret).toMatch(/^sk-inv-[0-9a-f]{32}$/);
    const row = await keyByHash(secret);
    expect(row).toMatchObject({
      name: "browser key",
      role: "member",
      organizationId: stack.tenant.orgId,
      limits: { rpm: 120, budget: { amount: "25.50", period: "month" } },
      revokedAt: null,
    });
    const id = row!.id;
    expect(await field(id, "prefix")).toBe(`${secret.slice(0, 12)}…`);
    expect(await field(id, "limits")).toBe("120 req/min · $25.50 a month");
    expect(await field(id, "status")).toBe("active");
    await screenshot(tab.page, "07a-keys-created");

    // Once: the list itself never carries it.
    await tab.page.goto(url("/dashboard/keys"));
    expect(await tab.page.locator('[data-field="secret"]').count()).toBe(0);
    expect(await tab.page.content()).not.toContain(secret);

    // It works, and signs in elsewhere.
    expect((await modelsWith(secret)).status).toBe(200);
    const other = await browser.newContext();
    const otherTab = await watchedPage(other);
    await signIn(otherTab.page, stack.router.url, secret);
    expect(otherTab.page.url()).toBe(url("/dashboard/usage"));

    await keyRow(id).getByRole("button", { name: "Revoke" }).click();
    await tab.page.waitForURL(url("/dashboard/keys"));
    expect(await field(id, "status")).toMatch(/^revoked \d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(await keyRow(id).getByRole("button").count()).toBe(0);
    expect((await keyByHash(secret))?.revokedAt).toBeInstanceOf(Date);
    // The revocation dropped the key's memo entry: refused at once, in the API and in its session.
    const refused = await modelsWith(secret);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).error.type).toBe("authentication_error");
    await otherTab.page.goto(url("/dashboard/usage"));
    expect(new URL(otherTab.page.url()).pathname).toBe("/dashboard/sign-in");
    expect(otherTab.errors).toEqual([]);
    await other.close();
    await screenshot(tab.page, "07c-keys-revoked");
    expect(tab.errors).toEqual([]);
  });

  it("rotates a key: the new secret is shown once and works, the old one is refused at once", async () => {
    const created = await stack.call("POST", "/api-keys", { body: { name: "to rotate" } });
    const { id, key: old } = (await created.json()) as { id: string; key: string };
    expect((await modelsWith(old)).status).toBe(200);
    await tab.page.goto(url("/dashboard/keys"));
    await keyRow(id).getByLabel("Grace for rotating to rotate").selectOption("0");
    await keyRow(id).getByRole("button", { name: "Rotate" }).click();
    await tab.page.waitForLoadState();
    const fresh = (await tab.page.locator('[data-field="secret"]').textContent()) ?? "";
    expect(fresh).toMatch(/^sk-inv-[0-9a-f]{32}$/);
    expect(fresh).not.toBe(old);
    expect(await tab.page.getByRole("status").textContent()).toContain("Key to rotate rotated.");
    expect(await field(id, "prefix")).toBe(`${fresh.slice(0, 12)}…`);
    await screenshot(tab.page, "07b-keys-rotated");
    expect((await modelsWith(old)).status).toBe(401);
    expect((await modelsWith(fresh)).status).toBe(200);
    expect(tab.errors).toEqual([]);
  });

  it("refuses a bad form with the field named, and creates nothing", async () => {
    const cookie = await cookieHeader(context);
    const csrf = await tab.page.locator('input[name="_csrf"]').first().inputValue();
    const res = await fetch(url("/dashboard/keys"), {
      method: "POST",
      headers: { cookie, origin: stack.router.url, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf, name: "bad budget", budget_amount: "lots", budget_period: "day" }),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("`limits.budget.amount`:");
    expect(await stack.database.db.select().from(apiKeys).where(eq(apiKeys.name, "bad budget"))).toEqual([]);
  });

  it("keeps a member out of the Keys page and its forms", async () => {
    const member = await browser.newContext();
    const memberTab = await watchedPage(member);
    await signIn(memberTab.page, stack.router.url, stack.tenant.memberKey);
    expect(await memberTab.page.getByRole("navigation").getByRole("link", { name: "Keys" }).count()).toBe(0);
    const cookie = await cookieHeader(member);
    const csrf = await memberTab.page.locator('input[name="_csrf"]').first().inputValue();
    expect((await fetch(url("/dashboard/keys"), { headers: { cookie } })).status).toBe(403);
    const post = await fetch(url("/dashboard/keys"), {
      method: "POST",
      headers: { cookie, origin: stack.router.url, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf, name: "member made", role: "admin" }),
    });
    expect(post.status).toBe(403);
    expect(await post.text()).toContain("Keys needs an admin key.");
    expect(await stack.database.db.select().from(apiKeys).where(eq(apiKeys.name, "member made"))).toEqual([]);
    expect(memberTab.errors).toEqual([]);
    await member.close();
  });
});
