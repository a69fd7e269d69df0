// One router in workerd, its own model and tenant, and N simulated GPU hosts heartbeating to it:
// the unit every integration test starts from. Everything is unique per call, so test files
// sharing the database never see each other's fleet.
import type { Miniflare } from "miniflare";
import { inject } from "vitest";
import type { MockGpu, MockGpuOptions } from "../../dev/mock-gpu/server";
import { freePort } from "../../dev/ports";
import { type RunningRouter, startLocalStack } from "../../dev/stack";
import { openTestDb, type TestDatabase } from "./db";
import { type CreatedInstance, createInstance, createModel, createTenant, type Tenant, uniqueSlug } from "./fixtures";

export interface StackOptions {
  hosts?: number;
  /** Options for every host (model, router, instance and token are filled in). */
  host?: Partial<MockGpuOptions>;
  /** Extra router vars, e.g. UPSTREAM_TIMEOUT_MS. */
  vars?: Record<string, string>;
  /** Another DB_WS_PROXY (a test's own proxy, to simulate an outage). */
  wsProxy?: string;
  priceInputPer1k?: string;
  priceOutputPer1k?: string;
  pricePerAudioSecond?: string;
  pricePerCharacter?: string;
  /** The local stack's mock provider: mock deployments without base_url get a simulated host. */
  mockProvider?: boolean;
  /** Durable Object bindings served by another class (dev/router-miniflare.ts `classOverrides`). */
  classOverrides?: Record<string, string>;
}

/** A JSON line the Worker logged. */
export type LogLine = Record<string, unknown>;

export interface TestHost {
  gpu: MockGpu;
  instance: CreatedInstance;
}

export interface Stack {
  router: RunningRouter & { mf: Miniflare };
  /** Router base URL for OpenAI SDKs: `${router.url}/v1`. */
  baseURL: string;
  tenant: Tenant;
  /** Hugging Face id of this stack's own model. */
  model: string;
  modelUuid: string;
  hosts: TestHost[];
  /** With `mockProvider`: instance id → the simulated host the mock provider started. */
  mockHosts: ReadonlyMap<string, MockGpu>;
  database: TestDatabase;
  /** Every structured (JSON) line the Worker logged so far. */
  logs: LogLine[];
  /** Every other line: workerd's own warnings (e.g. a promise settled from another request's context). */
  runtimeLines: string[];
  /** Adds a host for the model and waits until the router has its heartbeat. */
  /** Adds a host for the model (for another organization when `orgId` is given). */
  addHost(options?: Partial<MockGpuOptions>, orgId?: string): Promise<TestHost>;
  /** POST JSON to the router with the tenant's admin key. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  /** Any method; the admin key unless `key` is given; `body` is sent as JSON. */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; key?: string; headers?: Record<string, string> },
  ): Promise<Response>;
  dispose(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const database = openTestDb();
  const { db } = database;
  const tenant = await createTenant(db);
  const model = `test/${uniqueSlug("model")}`;
  const modelUuid = await createModel(db, {
    modelId: model,
    priceInputPer1k: options.priceInputPer1k ?? "0.5",
    priceOutputPer1k: options.priceOutputPer1k ?? "1.5",
    pricePerAudioSecond: options.pricePerAudioSecond,
    pricePerCharacter: options.pricePerCharacter,
  });
  const logs: LogLine[] = [];
  const runtimeLines: string[] = [];
  const local = await startLocalStack({
    router: {
      runner: "miniflare",
      classOverrides: options.classOverrides,
      onLog: (message) => {
        try {
          logs.push(JSON.parse(message) as LogLine);
        } catch {
          runtimeLines.push(message);
        }
      },
      vars: { DATABASE_URL: inject("databaseUrl"), DB_WS_PROXY: options.wsProxy ?? inject("wsProxy"), ...options.vars },
    },
    hostDefaults: { model, heartbeatMs: 1_000, ...options.host },
    ...(options.mockProvider ? { mockProvider: { databaseUrl: inject("databaseUrl") } } : {}),
  });
  const router = local.router;
  const mf = router?.mf;
  if (!router || !mf) {
    await local.stop();
    throw new Error("the stack started without its router");
  }
  local.defer("test database client", () => database.close());
  const hosts: TestHost[] = [];

  const addHost = async (extra: Partial<MockGpuOptions> = {}, orgId = tenant.orgId): Promise<TestHost> => {
    const port = await freePort();
    const instance = await createInstance(db, { orgId, modelUuid, baseUrl: `http://127.0.0.1:${port}` });
    const gpu = await local.addHost({ port, instanceId: instance.id, token: instance.token, ...extra });
    const host = { gpu, instance };
    hosts.push(host);
    return host;
  };
  for (let i = 0; i < (options.hosts ?? 1); i++) await addHost();

  return {
    router: { ...router, mf },
    baseURL: `${router.url}/v1`,
    tenant,
    model,
    modelUuid,
    hosts,
    mockHosts: local.mockProvisioner?.hosts ?? new Map(),
    database,
    logs,
    runtimeLines,
    addHost,
    post: (path, body, headers = {}) =>
      fetch(`${router.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${tenant.adminKey}`, "content-type": "application/json", ...headers },
        body: JSON.stringify(body),
      }),
    call: (method, path, { body, key = tenant.adminKey, headers = {} } = {}) =>
      fetch(`${router.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    dispose: () => local.stop(),
  };
}

/** A minimal chat request body for this stack's model. */
export const chat = (stack: Stack, content = "Hello", extra: Record<string, unknown> = {}) => ({
  model: stack.model,
  messages: [{ role: "user", content }],
  ...extra,
});
