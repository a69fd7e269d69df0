// Agent bodies of both protocols: ours and the seed system's worker agent, exactly as it sends them.
import { describe, expect, it } from "vitest";
import { hostUrl, parseAgentReport } from "../../worker/hosts/agent-report";
import { seedHeartbeat, seedRegister } from "../support/seed-agent";

const ID = "0b0f6a52-3c1e-4e51-9a55-2f1f8d9b7c11";
const SEED_REGISTER = seedRegister(ID, "10.0.3.7", 8000);
const SEED_HEARTBEAT = seedHeartbeat(ID, "10.0.3.7");

describe("the seed agent's bodies", () => {
  it("register: no status, the host at ip_address:vllm_port, GPU facts from metadata", () => {
    expect(parseAgentReport(SEED_REGISTER, "register")).toEqual({
      ok: true,
      report: {
        instanceId: ID,
        status: null,
        modelId: "Qwen/Qwen2.5-0.5B-Instruct",
        baseUrl: "http://10.0.3.7:8000",
        load: { total: 0, waiting: 0 },
        facts: {
          workerId: "worker-gpu-01",
          agentVersion: null,
          agentBuildDate: null,
          gpuUtilization: 12.5,
          gpuMemUsedMb: 20480,
          gpuMemTotalMb: 81920,
          gpuCount: 1,
        },
      },
    });
  });

  it("heartbeat: waiting from queue_depth, running from metadata.vllm, agent version kept", () => {
    const r = parseAgentReport(SEED_HEARTBEAT, "heartbeat");
    expect(r).toMatchObject({
      ok: true,
      report: {
        status: "ready",
        baseUrl: null,
        load: { total: 8, waiting: 2 },
        facts: { agentVersion: "1.4.2", agentBuildDate: "2025-11-02", gpuUtilization: 87, gpuCount: 2 },
      },
    });
  });

  it("heartbeat with queue_depth null (vLLM's /metrics did not answer): load unknown", () => {
    const r = parseAgentReport({ ...SEED_HEARTBEAT, queue_depth: null, metadata: {} }, "heartbeat");
    expect(r.ok && r.report.load).toBeNull();
  });
});

describe("our agent's bodies and refusals", () => {
  const ours = { instance_id: ID, status: "draining", base_url: "http://127.0.0.1:9001/", queue_depth: 3 };
  it("keeps base_url (trailing slash dropped) and counts queue_depth as the whole load", () => {
    expect(parseAgentReport(ours, "heartbeat")).toMatchObject({
      ok: true,
      report: { status: "draining", baseUrl: "http://127.0.0.1:9001", load: { total: 3, waiting: null } },
    });
  });
  it("a heartbeat must say its status; a register need not", () => {
    expect(parseAgentReport({ instance_id: ID }, "heartbeat")).toEqual({
      ok: false,
      message: "`status` must be starting, ready or draining.",
      param: "status",
    });
    expect(parseAgentReport({ instance_id: ID }, "register").ok).toBe(true);
    expect(parseAgentReport({ ...ours, status: "on fire" }, "register").ok).toBe(false);
  });
  it("refuses a missing id, a negative depth, a bad URL or a bad port", () => {
    expect(parseAgentReport({ status: "ready" }, "heartbeat")).toMatchObject({ ok: false, param: "instance_id" });
    expect(parseAgentReport({ ...ours, queue_depth: -1 }, "heartbeat")).toMatchObject({ param: "queue_depth" });
    expect(parseAgentReport({ ...ours, base_url: "ftp://x" }, "heartbeat")).toMatchObject({ param: "base_url" });
    const badPort = { ...SEED_REGISTER, vllm_port: 70000 };
    expect(parseAgentReport(badPort, "register")).toMatchObject({ ok: false, param: "ip_address" });
  });
});

describe("hostUrl", () => {
  it("builds http URLs for IPv4, IPv6 and names; refuses anything else", () => {
    expect(hostUrl("10.0.0.1", 8000)).toBe("http://10.0.0.1:8000");
    expect(hostUrl("fd00::1", 8000)).toBe("http://[fd00::1]:8000");
    expect(hostUrl("gpu-1.internal", 80)).toBe("http://gpu-1.internal:80");
    expect(hostUrl("a b", 80)).toBeNull();
    expect(hostUrl("10.0.0.1/x", 80)).toBeNull();
    expect(hostUrl("10.0.0.1", 0)).toBeNull();
  });
});
