// The probe state machine and the /v1/models check: pure transitions.
import { describe, expect, it } from "vitest";
import { checkModels } from "../../worker/probes/model-check";
import {
  applyProbe,
  initialProbeState,
  isProbed,
  needsModelCheck,
  type ProbeResult,
  type ProbeState,
  probeAllowsRouting,
} from "../../worker/probes/probe-state";

const good: ProbeResult = { alive: true };
const goodChecked: ProbeResult = { alive: true, models: { ok: true } };
const bad: ProbeResult = { alive: false, error: "connection refused" };
const run = (s: ProbeState, results: ProbeResult[]): ProbeState =>
  results.reduce((state, r, i) => applyProbe(state, r, 1000 + i, undefined), s);
const up = (): ProbeState => run(initialProbeState(), [goodChecked]);

describe("booting", () => {
  it("stays booting while the host does not answer, however long", () => {
    const s = run(initialProbeState(), [bad, bad, bad, bad, bad]);
    expect(s).toMatchObject({
      phase: "booting",
      consecutiveFailures: 5,
      lastResult: "failed",
      lastError: "connection refused",
    });
  });
  it("is admitted by its first good probe that proves the model", () => {
    const s = run(initialProbeState(), [bad, goodChecked]);
    expect(s).toMatchObject({ phase: "up", consecutiveFailures: 0, consecutiveSuccesses: 1, lastProbeAt: 1001 });
  });
  it("waits for a round with the model check", () => {
    expect(run(initialProbeState(), [good]).phase).toBe("booting");
    expect(needsModelCheck(initialProbeState())).toBe(true);
  });
  it("fails with the reason when /v1/models does not prove the model, and is not probed any more", () => {
    const s = run(initialProbeState(), [{ alive: true, models: { ok: false, reason: "the host serves x, not y" } }]);
    expect(s).toMatchObject({ phase: "failed", failedReason: "the host serves x, not y" });
    expect(isProbed(s)).toBe(false);
    expect(run(s, [goodChecked, goodChecked]).phase).toBe("failed");
  });
});

describe("up → down → up", () => {
  it("goes down after exactly 3 failed probes in a row", () => {
    expect(run(up(), [bad, bad]).phase).toBe("up");
    expect(run(up(), [bad, bad, bad])).toMatchObject({ phase: "down", consecutiveFailures: 3 });
  });
  it("a good probe in between resets the count", () => {
    expect(run(up(), [bad, bad, good, bad, bad]).phase).toBe("up");
  });
  it("comes back after exactly 2 good probes, the second with the model check", () => {
    const down = run(up(), [bad, bad, bad]);
    expect(needsModelCheck(down)).toBe(false);
    const once = run(down, [good]);
    expect(once).toMatchObject({ phase: "down", consecutiveSuccesses: 1 });
    expect(needsModelCheck(once)).toBe(true);
    expect(run(once, [goodChecked])).toMatchObject({ phase: "up", lastError: "connection refused" });
  });
  it("a failure while recovering starts the count again", () => {
    const down = run(up(), [bad, bad, bad]);
    expect(run(down, [good, bad, good]).phase).toBe("down");
  });
  it("a recovered host that now lists another model fails", () => {
    const down = run(up(), [bad, bad, bad, good]);
    expect(run(down, [{ alive: true, models: { ok: false, reason: "r" } }]).phase).toBe("failed");
  });
});

describe("probeAllowsRouting", () => {
  it("routes up hosts, and booting ones only on their agent's word", () => {
    expect(probeAllowsRouting(up(), false)).toBe(true);
    expect(probeAllowsRouting(initialProbeState(), false)).toBe(false);
    expect(probeAllowsRouting(initialProbeState(), true)).toBe(true);
    expect(probeAllowsRouting(run(up(), [bad, bad, bad]), true)).toBe(false);
  });
});

describe("checkModels", () => {
  const list = (...ids: string[]) =>
    JSON.stringify({ object: "list", data: ids.map((id) => ({ id, object: "model" })) });
  it("accepts a list that names the model", () => {
    expect(checkModels(200, list("a/b", "Qwen/Q"), "Qwen/Q")).toEqual({ ok: true });
  });
  it("names what the host serves instead", () => {
    expect(checkModels(200, list("meta/llama"), "Qwen/Q")).toEqual({
      ok: false,
      reason: "the host serves meta/llama, not Qwen/Q",
    });
    expect(checkModels(200, list(), "Qwen/Q")).toEqual({ ok: false, reason: "the host serves nothing, not Qwen/Q" });
  });
  it("tells a refused key from other answers", () => {
    expect(checkModels(401, '{"error":"Unauthorized"}', "m")).toEqual({
      ok: false,
      reason: "the host answered 401 to /v1/models: its API key is missing or wrong",
    });
    expect(checkModels(404, "{}", "m")).toEqual({ ok: false, reason: "the host answered 404 to /v1/models" });
    expect(checkModels(200, "<html>", "m")).toEqual({
      ok: false,
      reason: "the host's /v1/models answer is not an OpenAI model list",
    });
  });
});
