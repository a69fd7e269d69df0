// Platform operators and organizations over HTTP: the CLI's first platform key, organizations,
// the global model catalog, offerings, and inference through an offering billed at its price.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { adminCli } from "../../cli/admin-cli";
import { SLUG } from "../../worker/organizations/create";
import { uniqueSlug } from "../support/fixtures";
import { chat, type Stack, startStack } from "../support/stack";
import { usageRowFor } from "../support/usage";

let stack: Stack;
let platformKey: string;

async function json<T>(res: Response, status: number): Promise<T> {
  const body = await res.text();
  expect(res.status, body).toBe(status);
  return JSON.parse(body) as T;
}
const errorOf = async (res: Response, status: number) =>
  (await json<{ error: { code: string; param: string | null } }>(res, status)).error;

beforeAll(async () => {
  stack = await startStack({ hosts: 1 });
  const { stdout } = await promisify(execFile)(
    "npx",
    ["tsx", "cli/admin.ts", "create-org", "--slug", uniqueSlug("platform"), "--platform"],
    { env: { ...process.env, DATABASE_URL: inject("databaseUrl") } },
  );
  platformKey = (JSON.parse(stdout) as { admin_key: { key: string } }).admin_key.key;
}, 60_000);
afterAll(() => stack?.dispose());

describe("the admin CLI", () => {
  /** The CLI in-process: its exit code and what it printed. */
  const cli = async (argv: string[], env: NodeJS.ProcessEnv = { DATABASE_URL: inject("databaseUrl") }) => {
    const lines: { log: string[]; error: string[] } = { log: [], error: [] };
    const code = await adminCli(argv, env, { log: (l) => lines.log.push(l), error: (l) => lines.error.push(l) });
    return { code, ...lines };
  };

  it("prints a working platform admin key (run as `npm run admin` runs it)", async () => {
    expect(platformKey).toMatch(/^sk-inv-[0-9a-f]{32}$/);
    expect((await stack.call("GET", "/organizations", { key: platformKey })).status).toBe(200);
  });

  it("creates an organization with its first admin key, and refuses a taken slug with exit code 1", async () => {
    const slug = uniqueSlug("cli-org");
    const created = await cli(["create-org", "--slug", slug, "--name", "CLI Org"]);
    expect(created.code).toBe(0);
    const printed = JSON.parse(created.log.join("\n")) as {
      organization: { slug: string; is_platform: boolean };
      admin_key: { key: string };
    };
    expect(printed.organization).toMatchObject({ slug, is_platform: false });
    expect((await stack.call("GET", "/api-keys", { key: printed.admin_key.key })).status).toBe(200);
    expect(await cli(["create-org", "--slug", slug])).toEqual({
      code: 1,
      log: [],
      error: [`organization ${slug} already exists`],
    });
  });

  it("refuses an unknown command, a missing DATABASE_URL and a bad slug with the usage and exit code 2", async () => {
    const usage = "usage: npm run admin -- create-org --slug <slug> [--name <name>] [--platform]";
    expect(await cli(["drop-org", "--slug", "x"])).toEqual({ code: 2, log: [], error: [usage] });
    expect(await cli(["create-org", "--slug", "fine"], {})).toEqual({
      code: 2,
      log: [],
      error: ["DATABASE_URL is not set"],
    });
    const bad = await cli(["create-org", "--slug", "Not A Slug"]);
    expect(bad).toMatchObject({ code: 2, log: [] });
    expect(bad.error[0]).toContain(`--slug must match ${SLUG}`);
    expect(bad.error[0]).toContain(usage);
  });
});

describe("organizations and models (platform keys)", () => {
  it("creates an organization with a first admin key that works", async () => {
    const slug = uniqueSlug("acme");
    const created = await json<{
      id: string;
      slug: string;
      is_platform: boolean;
      admin_key: { key: string; role: string };
    }>(await stack.call("POST", "/organizations", { key: platformKey, body: { slug, name: "Acme" } }), 201);
    expect(created).toMatchObject({ slug, is_platform: false, admin_key: { role: "admin" } });
    const keys = await json<{ data: unknown[] }>(
      await stack.call("GET", "/api-keys", { key: created.admin_key.key }),
      200,
    );
    expect(keys.data).toHaveLength(1);
    // Not a platform key: it may neither create organizations nor models.
    expect(
      (
        await errorOf(
          await stack.call("POST", "/organizations", { key: created.admin_key.key, body: { slug: uniqueSlug("x") } }),
          403,
        )
      ).code,
    ).toBe("platform_required");
    expect(
      (await errorOf(await stack.call("POST", "/organizations", { key: platformKey, body: { slug } }), 409)).code,
    ).toBe("organization_exists");
    expect(
      (await errorOf(await stack.call("POST", "/organizations", { key: platformKey, body: { slug: "Bad Slug" } }), 400))
        .param,
    ).toBe("slug");
  });

  it("adds and changes a global model with exact prices; other admins list active models only", async () => {
    const modelId = `org/${uniqueSlug("m")}`;
    const created = await json<{ id: string; input_price_per_1k: string; context_length: number | null }>(
      await stack.call("POST", "/models", {
        key: platformKey,
        body: {
          model_id: modelId,
          input_price_per_1k: "0.123456",
          output_price_per_1k: "2",
          context_length: 8192,
          is_active: false,
        },
      }),
      201,
    );
    expect(created).toMatchObject({ input_price_per_1k: "0.123456", context_length: 8192 });
    const tenantList = async () =>
      (await json<{ data: { model_id: string }[] }>(await stack.call("GET", "/models"), 200)).data.map(
        (m) => m.model_id,
      );
    expect(await tenantList()).not.toContain(modelId);
    const patched = await json<{ is_active: boolean; output_price_per_1k: string }>(
      await stack.call("PATCH", `/models/${created.id}`, {
        key: platformKey,
        body: { is_active: true, output_price_per_1k: "2.5" },
      }),
      200,
    );
    expect(patched).toMatchObject({ is_active: true, output_price_per_1k: "2.500000" });
    expect(await tenantList()).toContain(modelId);

    expect((await errorOf(await stack.call("POST", "/models", { body: { model_id: "x/y" } }), 403)).code).toBe(
      "platform_required",
    );
    expect(
      (await errorOf(await stack.call("POST", "/models", { key: platformKey, body: { model_id: modelId } }), 409)).code,
    ).toBe("model_exists");
    expect(
      await errorOf(
        await stack.call("POST", "/models", { key: platformKey, body: { model_id: "a/b", input_price_per_1k: 1 } }),
        400,
      ),
    ).toMatchObject({ param: "input_price_per_1k" });
    expect(
      (await errorOf(await stack.call("PATCH", `/models/${crypto.randomUUID()}`, { key: platformKey, body: {} }), 404))
        .code,
    ).toBe("model_not_found");
  });

  it("takes a model's audio prices (per second in, per character in), exact and validated", async () => {
    const created = await json<{ id: string; price_per_audio_second: string; price_per_character: string }>(
      await stack.call("POST", "/models", {
        key: platformKey,
        body: { model_id: `org/${uniqueSlug("whisper")}`, price_per_audio_second: "0.0001" },
      }),
      201,
    );
    expect(created).toMatchObject({ price_per_audio_second: "0.000100", price_per_character: "0.000000" });
    const patched = await json<{ price_per_character: string }>(
      await stack.call("PATCH", `/models/${created.id}`, {
        key: platformKey,
        body: { price_per_character: "0.000015" },
      }),
      200,
    );
    expect(patched).toMatchObject({ price_per_audio_second: "0.000100", price_per_character: "0.000015" });
    for (const bad of ["-1", "0.0000001", 0.5])
      expect(
        await errorOf(
          await stack.call("PATCH", `/models/${created.id}`, {
            key: platformKey,
            body: { price_per_audio_second: bad },
          }),
          400,
        ),
      ).toMatchObject({ param: "price_per_audio_second" });
  });
});

describe("offerings (organization admins)", () => {
  it("creates an offering that inference resolves at once, billed at its own price", async () => {
    const code = uniqueSlug("chat");
    const offering = await json<{ id: string; model: string; input_price_per_1k: string }>(
      await stack.call("POST", "/offerings", {
        body: { code, model_id: stack.model, input_price_per_1k: "2", output_price_per_1k: "3" },
      }),
      201,
    );
    expect(offering.model).toBe(`${stack.tenant.slug}/${code}`);
    const xRequestId = `off-${code}`;
    const res = await stack.call("POST", "/v1/chat/completions", {
      key: stack.tenant.memberKey,
      body: { ...chat(stack), model: offering.model },
      headers: { "x-request-id": xRequestId },
    });
    expect(res.status, await res.text()).toBe(200);
    const row = await usageRowFor(stack, xRequestId);
    expect(row).toMatchObject({
      organizationModelId: offering.id,
      unitPriceInputPer1k: "2.000000",
      unitPriceOutputPer1k: "3.000000",
    });

    const listed = await json<{ data: { id: string }[] }>(await stack.call("GET", "/offerings"), 200);
    expect(listed.data.map((o) => o.id)).toContain(offering.id);
    expect((await json<{ code: string }>(await stack.call("GET", `/offerings/${offering.id}`), 200)).code).toBe(code);
    const patched = await json<{ input_price_per_1k: string | null }>(
      await stack.call("PATCH", `/offerings/${offering.id}`, { body: { input_price_per_1k: null } }),
      200,
    );
    expect(patched.input_price_per_1k).toBeNull();

    const removed = await json<{ active: boolean }>(await stack.call("DELETE", `/offerings/${offering.id}`), 200);
    expect(removed.active).toBe(false);
    const after = await stack.call("POST", "/v1/chat/completions", { body: { ...chat(stack), model: offering.model } });
    expect((await errorOf(after, 404)).code).toBe("model_not_found");
  });

  it("refuses a taken code (409), an unknown model (400) and member keys (403)", async () => {
    const code = uniqueSlug("dup");
    await json(await stack.call("POST", "/offerings", { body: { code, model_id: stack.modelUuid } }), 201);
    expect(
      (await errorOf(await stack.call("POST", "/offerings", { body: { code, model_id: stack.model } }), 409)).code,
    ).toBe("offering_exists");
    expect(
      await errorOf(
        await stack.call("POST", "/offerings", { body: { code: uniqueSlug("c"), model_id: "no/such" } }),
        400,
      ),
    ).toMatchObject({
      param: "model_id",
      code: "model_not_found",
    });
    expect((await errorOf(await stack.call("GET", "/offerings", { key: stack.tenant.memberKey }), 403)).code).toBe(
      "admin_required",
    );
    // Another organization's offering is not found.
    const other = await json<{ admin_key: { key: string } }>(
      await stack.call("POST", "/organizations", { key: platformKey, body: { slug: uniqueSlug("other") } }),
      201,
    );
    const mine = await json<{ data: { id: string }[] }>(await stack.call("GET", "/offerings"), 200);
    const res = await stack.call("GET", `/offerings/${mine.data[0]?.id}`, { key: other.admin_key.key });
    expect((await errorOf(res, 404)).code).toBe("offering_not_found");
  });
});
