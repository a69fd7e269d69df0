// The settings table: every kind of bad value fails loudly, on every route and in every Durable Object.
import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { FleetObject } from "../../durable-objects/fleet";
import { SessionObject } from "../../durable-objects/session";
import { UsageOutbox } from "../../durable-objects/usage-outbox";
import { type ConfigSource, configOf, parseConfig } from "../../worker/config";
import { CONFIG_VARS } from "../../worker/config-vars";
import { RouterError } from "../../worker/errors";
import app from "../../worker/index";

// Expected noise: each bad config logs `config_invalid` once, each 500 its request line.
beforeEach(() => {
  vi.spyOn(console, "error").mockImplementation(() => {});
  vi.spyOn(console, "log").mockImplementation(() => {});
});

/** The RouterError a source fails with. */
function failure(source: ConfigSource): RouterError {
  try {
    parseConfig(source);
  } catch (err) {
    if (err instanceof RouterError) return err;
    throw err;
  }
  throw new Error("the config was accepted");
}

describe("parseConfig", () => {
  it("gives every default when nothing is set, the budget twice the attempt timeout", () => {
    const config = parseConfig({});
    for (const [name, spec] of Object.entries(CONFIG_VARS))
      if (spec.default !== null) expect(config[name as keyof typeof CONFIG_VARS], name).toBe(spec.default);
    expect(config.UPSTREAM_BUDGET_MS).toBe(60_000);
    expect(parseConfig({ UPSTREAM_TIMEOUT_MS: "700" }).UPSTREAM_BUDGET_MS).toBe(1_400);
  });

  it("reads a word from its list", () => {
    expect(parseConfig({}).RATE_LIMIT_FAIL_MODE).toBe("open");
    expect(parseConfig({ RATE_LIMIT_FAIL_MODE: "closed" }).RATE_LIMIT_FAIL_MODE).toBe("closed");
  });

  it("reads set values as integers", () => {
    const config = parseConfig({
      STALE_AFTER_SECONDS: "2",
      SESSION_AFFINITY_BOUND_MS: "0",
      UPSTREAM_BUDGET_MS: "30000",
    });
    expect([config.STALE_AFTER_SECONDS, config.SESSION_AFFINITY_BOUND_MS, config.UPSTREAM_BUDGET_MS]).toEqual([
      2, 0, 30_000,
    ]);
  });

  const expectedTimeout = "expected an integer number of milliseconds from 1 to 3600000.";
  it.each([
    ["an empty string", { UPSTREAM_TIMEOUT_MS: "" }, `UPSTREAM_TIMEOUT_MS is ""; ${expectedTimeout}`],
    [
      "a unit suffix",
      { STALE_AFTER_SECONDS: "5m" },
      'STALE_AFTER_SECONDS is "5m"; expected an integer number of seconds from 1 to 86400.',
    ],
    ["a negative number", { UPSTREAM_TIMEOUT_MS: "-1" }, `UPSTREAM_TIMEOUT_MS is "-1"; ${expectedTimeout}`],
    ["zero where at least 1 is needed", { UPSTREAM_TIMEOUT_MS: "0" }, `UPSTREAM_TIMEOUT_MS is "0"; ${expectedTimeout}`],
    [
      "a value above the range",
      { UPSTREAM_TIMEOUT_MS: "3600001" },
      `UPSTREAM_TIMEOUT_MS is "3600001"; ${expectedTimeout}`,
    ],
    [
      "a fraction",
      { MAX_BODY_BYTES: "1.5" },
      'MAX_BODY_BYTES is "1.5"; expected an integer number of bytes from 1 to 104857600.',
    ],
    [
      "an exponent",
      { USAGE_OUTBOX_MAX_BACKLOG: "1e6" },
      'USAGE_OUTBOX_MAX_BACKLOG is "1e6"; expected an integer number of events from 1 to 100000000.',
    ],
    [
      "padding",
      { FLEET_SYNC_SECONDS: " 5" },
      'FLEET_SYNC_SECONDS is " 5"; expected an integer number of seconds from 1 to 3600.',
    ],
    [
      "a word not in its list",
      { RATE_LIMIT_FAIL_MODE: "half-open" },
      'RATE_LIMIT_FAIL_MODE is "half-open"; expected one of open, closed.',
    ],
    [
      "a budget shorter than the attempt timeout",
      { UPSTREAM_TIMEOUT_MS: "30000", UPSTREAM_BUDGET_MS: "1000" },
      "UPSTREAM_BUDGET_MS (1000) is shorter than UPSTREAM_TIMEOUT_MS (30000); expected at least UPSTREAM_TIMEOUT_MS.",
    ],
    [
      "a breaker maximum below its first cooldown",
      { BREAKER_COOLDOWN_MS: "5000", BREAKER_MAX_COOLDOWN_MS: "4000" },
      "BREAKER_MAX_COOLDOWN_MS (4000) is shorter than BREAKER_COOLDOWN_MS (5000); expected at least BREAKER_COOLDOWN_MS.",
    ],
  ])("refuses %s, naming the variable and the expected form", (_kind, source, problem) => {
    const err = failure(source);
    expect(err.status).toBe(500);
    expect(err.body()).toEqual({
      error: {
        message: `Router misconfigured: ${problem}`,
        type: "api_error",
        param: Object.keys(source).at(-1),
        code: "config_invalid",
      },
    });
  });

  it("remembers the parse per env object", () => {
    const source = { UPSTREAM_TIMEOUT_MS: "700" };
    expect(configOf(source)).toBe(configOf(source));
    const bad = { UPSTREAM_TIMEOUT_MS: "x" };
    expect(() => configOf(bad)).toThrow(RouterError);
    expect(() => configOf(bad)).toThrow('UPSTREAM_TIMEOUT_MS is "x"');
  });
});

describe("a bad setting in the router", () => {
  const badEnv = { ...env, STALE_AFTER_SECONDS: "5m" };
  it.each([
    ["GET", "/health"],
    ["GET", "/v1/models"],
    ["POST", "/v1/chat/completions"],
    ["GET", "/no/such/route"],
  ])("answers %s %s with 500 config_invalid", async (method, path) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`http://router${path}`, { method }), badEnv, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: {
        message:
          'Router misconfigured: STALE_AFTER_SECONDS is "5m"; expected an integer number of seconds from 1 to 86400.',
        type: "api_error",
        param: "STALE_AFTER_SECONDS",
        code: "config_invalid",
      },
    });
  });

  it("stops every Durable Object from starting", async () => {
    const bad = { ...env, SESSION_IDLE_TTL_SECONDS: "-5", USAGE_FLUSH_MAX_BACKOFF_MS: "" };
    const stubs = [
      env.FLEET.get(env.FLEET.idFromName("config-test")),
      env.SESSION.get(env.SESSION.idFromName("config-test")),
      env.USAGE_OUTBOX.get(env.USAGE_OUTBOX.idFromName("config-test")),
    ];
    const classes = [FleetObject, SessionObject, UsageOutbox] as const;
    for (const [i, stub] of stubs.entries()) {
      await runInDurableObject(stub, (_instance, state) => {
        expect(() => new classes[i]!(state, bad)).toThrow(
          /^Router misconfigured: (SESSION_IDLE_TTL_SECONDS|USAGE_FLUSH_MAX_BACKOFF_MS) is/,
        );
      });
    }
  });
});
