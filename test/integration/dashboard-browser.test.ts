// The dashboard in a real Chromium against a real stack (router in workerd, Postgres, two simulated
// hosts): sign-in (a wrong key refused), the fleet, usage after traffic, a drain, the other pages,
// no console errors anywhere, and CSRF: a cross-site post carrying the session cookie is refused.
// Screenshots go to test/results/ (CI artifacts).
import { eq, sql } from "drizzle-orm";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiKeys, inferenceUsage, instances } from "../../schema";
import { cookieHeader, launchChromium, screenshot, signIn, type WatchedPage, watchedPage } from "../support/browser";
import { sha256Hex } from "../support/fixtures";
import { chat, type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let tab: WatchedPage;

const url = (path: string) => `${stack.router.url}${path}`;

beforeAll(async () => {
  [stack, browser] = await Promise.all([
    // A short key memo, so a revocation reaches the dashboard's sessions quickly.
    startStack({ hosts: 2, vars: { AUTH_CACHE_TTL_MS: "300" } }),
    launchChromium(),
  ]);
  // An operator's desktop screen; the screenshots are full pages at this width.
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  tab = await watchedPage(context);
});
afterAll(async () => {
  await browser?.close();
  await stack?.dispose();
});

const hostRow = (id: string) => tab.page.locator(`tr[data-instance="${id}"]`);

const SESSION = "browser-session-1";

// Generous: the machine running this may be busy; every wait is on a condition, never a sleep.
const SLOW = { timeout: 20_000, interval: 250 };

describe("dashboard in Chromium", { timeout: 60_000 }, () => {
  it("refuses a wrong key with a message, then signs in to a fleet page listing both hosts", async () => {
    await tab.page.goto(url("/dashboard"));
    expect(new URL(tab.page.url()).pathname).toBe("/dashboard/sign-in");
    await signIn(tab.page, stack.router.url, "sk-inv-not-a-real-key");
    await tab.page.getByRole("alert").waitFor();
    expect(await tab.page.getByRole("alert").textContent()).toBe("That API key is not valid, or it was revoked.");
    expect(await tab.page.content()).not.toMatch(/Error|\.ts:\d+/);
    expect((await context.cookies()).map((c) => c.name)).toEqual([]);
    await screenshot(tab.page, "01-sign-in-refused");

    await tab.page.getByLabel("API key").fill(stack.tenant.adminKey);
    await tab.page.getByRole("button", { name: "Sign in" }).click();
    await tab.page.waitForURL(url("/dashboard/fleet"));
    for (const host of stack.hosts) {
      const row = hostRow(host.instance.id);
      // The page refreshes itself: a host whose first heartbeat is still on its way shows up ready.
      await expect.poll(() => row.locator('[data-field="routable"]').textContent(), SLOW).toBe("yes");
      expect(await row.locator('[data-field="status"]').textContent()).toBe("ready");
      expect(await row.locator("code").textContent()).toBe(host.gpu.url);
      // The probes' /metrics reading: an idle simulated host's KV cache is empty.
      await expect.poll(() => row.locator('[data-field="kv"]').textContent(), SLOW).toBe("0 %");
      expect(await row.locator('[data-field="queue"]').textContent()).toBe("0 / 0");
      expect(await row.locator('[data-field="probe"]').textContent()).toMatch(/^\d+ s ago, ok$/);
      expect(await row.locator('[data-field="heartbeat"]').textContent()).toMatch(/^\d+ s ago$/);
    }
    expect(await tab.page.getByRole("heading", { level: 2 }).allTextContents()).toEqual([stack.model]);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: "inv_dashboard", httpOnly: true, sameSite: "Strict", path: "/dashboard" });
    expect(cookie?.value).not.toContain(stack.tenant.adminKey);
    await screenshot(tab.page, "02-fleet");
  });

  it("shows traffic on the usage chart and in the requests list", async () => {
    const sent = 3;
    // The first one in a session, for the sessions page.
    for (let i = 0; i < sent; i++) {
      const headers: Record<string, string> = i === 0 ? { "x-inventiv-session": SESSION } : {};
      expect((await stack.post("/v1/chat/completions", chat(stack, `hi ${i}`), headers)).status).toBe(200);
    }
    await waitFor(
      async () => {
        const [row] = await stack.database.db
          .select({ n: sql<number>`count(*)::int` })
          .from(inferenceUsage)
          .where(eq(inferenceUsage.consumerOrganizationId, stack.tenant.orgId));
        return row?.n === sent;
      },
      { timeoutMs: 15_000, what: "the usage rows" },
    );
    await tab.page.goto(url("/dashboard/usage?range=1h"));
    expect(await tab.page.locator('svg[data-chart="Requests"]').getAttribute("data-total")).toBe(String(sent));
    expect(Number(await tab.page.locator('svg[data-chart="Tokens"]').getAttribute("data-total"))).toBeGreaterThan(0);
    expect(
      await tab.page.locator('svg[data-chart="Requests"] rect.bar[height]:not([height="0"])').count(),
    ).toBeGreaterThan(0);
    const byModel = tab.page.getByRole("region", { name: "Usage by model" });
    expect(await byModel.locator("tbody td").first().textContent()).toBe(stack.model);
    expect(await byModel.locator("tbody td").nth(1).textContent()).toBe(String(sent));
    await screenshot(tab.page, "03-usage");

    await tab.page.goto(url("/dashboard/requests?range=1h&status=succeeded"));
    expect(await tab.page.locator("tbody tr").count()).toBe(sent);
    expect(await tab.page.locator('[data-field="outcome"]').allTextContents()).toEqual(Array(sent).fill("succeeded"));
    await screenshot(tab.page, "04-requests");
    await tab.page.goto(url("/dashboard/requests?range=1h&status=failed"));
    expect(await tab.page.locator("tbody tr").count()).toBe(0);
  });

  it("drains a host from its button, shows it draining and unroutable, then undrains it back", async () => {
    await tab.page.goto(url("/dashboard/fleet"));
    const [first, second] = stack.hosts;
    const row = hostRow(first!.instance.id);
    const statusInDb = async () =>
      (await stack.database.db.select().from(instances).where(eq(instances.id, first!.instance.id)))[0]?.status;
    expect(await row.getByRole("button", { name: "Undrain", exact: true }).count()).toBe(0);
    await row.getByRole("button", { name: "Drain", exact: true }).click();
    await tab.page.waitForURL(url("/dashboard/fleet"));
    expect(await row.locator('[data-field="status"]').textContent()).toBe("draining");
    expect(await row.locator('[data-field="routable"]').textContent()).toBe("no (draining)");
    expect(await row.getByRole("button", { name: "Drain", exact: true }).count()).toBe(0);
    expect(await hostRow(second!.instance.id).locator('[data-field="status"]').textContent()).toBe("ready");
    expect(await statusInDb()).toBe("draining");
    await screenshot(tab.page, "05-fleet-drained");

    await row.getByRole("button", { name: "Undrain", exact: true }).click();
    await tab.page.waitForURL(url("/dashboard/fleet"));
    expect(await row.locator('[data-field="status"]').textContent()).toBe("ready");
    expect(await row.locator('[data-field="routable"]').textContent()).toBe("yes");
    expect(await row.getByRole("button", { name: "Undrain", exact: true }).count()).toBe(0);
    expect(await statusInDb()).toBe("ready");
    await screenshot(tab.page, "06-fleet-undrained");
  });

  it("refuses a cross-site post carrying the session cookie, and the admin API ignores the cookie", async () => {
    const cookie = await cookieHeader(context);
    const token = await tab.page.locator('input[name="_csrf"]').first().inputValue();
    const target = stack.hosts[1]!.instance.id;
    const post = (headers: Record<string, string>, body: string) =>
      fetch(url(`/dashboard/instances/${target}/delete`), {
        method: "POST",
        redirect: "manual",
        headers: { cookie, ...headers },
        body,
      });
    const form = { "content-type": "application/x-www-form-urlencoded" };
    // Another origin, even with the right token: hono/csrf's Origin check.
    const crossSite = await post({ ...form, origin: "http://evil.example" }, `_csrf=${token}`);
    expect(crossSite.status).toBe(403);
    expect(await crossSite.text()).toContain("came from another site");
    // No Origin and no token (e.g. a non-form body): the token check.
    expect((await post({ "content-type": "application/json" }, "{}")).status).toBe(403);
    expect((await post(form, "_csrf=wrong")).status).toBe(403);
    const adminApi = await fetch(url(`/instances/${target}/drain`), {
      method: "POST",
      headers: { cookie, origin: stack.router.url },
    });
    expect(adminApi.status).toBe(401);
    const [row] = await stack.database.db.select().from(instances).where(eq(instances.id, target));
    expect(row?.status).toBe("ready");
  });

  it("shows the sessions and models pages, and a member neither fleet nor its actions", async () => {
    await tab.page.goto(url("/dashboard/sessions"));
    expect(await tab.page.getByRole("heading", { level: 1 }).textContent()).toBe("Sessions");
    const session = tab.page.locator("tbody tr");
    expect(await session.count()).toBe(1);
    expect(await session.locator("code").allTextContents()).toEqual([
      SESSION,
      expect.stringMatching(new RegExp(`^(${stack.hosts.map((h) => h.instance.id).join("|")})$`)),
    ]);
    await screenshot(tab.page, "08-sessions");
    await tab.page.goto(url("/dashboard/models"));
    expect(await tab.page.getByRole("cell", { name: stack.model, exact: true }).count()).toBe(1);
    await screenshot(tab.page, "09-models");

    const member = await browser.newContext();
    const memberTab = await watchedPage(member);
    await signIn(memberTab.page, stack.router.url, stack.tenant.memberKey);
    expect(memberTab.page.url()).toBe(url("/dashboard/usage"));
    expect(await memberTab.page.getByRole("navigation").getByRole("link").allTextContents()).toEqual([
      "Usage",
      "Requests",
      "Sessions",
      "Models",
    ]);
    // The member's key sent no traffic: its own usage is empty.
    expect(await memberTab.page.locator('svg[data-chart="Requests"]').getAttribute("data-total")).toBe("0");
    await screenshot(memberTab.page, "10-member-usage");
    const cookie = await cookieHeader(member);
    expect((await fetch(url("/dashboard/fleet"), { headers: { cookie } })).status).toBe(403);
    expect(memberTab.errors).toEqual([]);
    await member.close();
  });

  it("ends the session when its key is revoked, and on sign-out", async () => {
    const other = await browser.newContext();
    const otherTab = await watchedPage(other);
    await signIn(otherTab.page, stack.router.url, stack.tenant.memberKey);
    expect(otherTab.page.url()).toBe(url("/dashboard/usage"));
    const cookie = await cookieHeader(other);
    await stack.database.db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(eq(apiKeys.keyHash, await sha256Hex(stack.tenant.memberKey)));
    await waitFor(
      async () => {
        const res = await fetch(url("/dashboard/usage"), { headers: { cookie }, redirect: "manual" });
        return res.status === 302 && res.headers.get("location") === "/dashboard/sign-in";
      },
      { timeoutMs: 10_000, what: "the revoked key's session to end" },
    );
    await other.close();

    await tab.page.getByRole("button", { name: "Sign out" }).click();
    await tab.page.waitForLoadState();
    expect(await tab.page.getByText("Signed out.").count()).toBe(1);
    await screenshot(tab.page, "11-signed-out");
    await tab.page.goto(url("/dashboard/fleet"));
    expect(new URL(tab.page.url()).pathname).toBe("/dashboard/sign-in");
    expect(tab.errors).toEqual([]);
  });
});
