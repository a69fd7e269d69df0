// Ownership proof against real mock hosts: only a keyed host's own key proves it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MockGpu, startMockGpu } from "../../dev/mock-gpu/server";
import { normalizeBaseUrl, provesHostKey } from "../../worker/hosts/ownership";

const MODEL = "Qwen/Qwen2.5-0.5B-Instruct";
let keyed: MockGpu;
let plain: MockGpu;
beforeAll(async () => {
  keyed = await startMockGpu({ model: MODEL, apiKey: "owner-key" });
  plain = await startMockGpu({ model: MODEL });
});
afterAll(() => Promise.all([keyed.close(), plain.close()]));

describe("provesHostKey", () => {
  it("is true only for a keyed host's own key", async () => {
    expect(await provesHostKey(keyed.url, "owner-key", 1000)).toBe(true);
    expect(await provesHostKey(keyed.url, "guess", 1000)).toBe(false);
    expect(await provesHostKey(plain.url, "anything", 1000)).toBe(false);
    expect(await provesHostKey("http://127.0.0.1:9", "owner-key", 1000)).toBe(false);
  });
});

describe("normalizeBaseUrl", () => {
  it("spells one host one way", () => {
    expect(normalizeBaseUrl("HTTP://GPU-1.Example.com:80/")).toBe("http://gpu-1.example.com");
    expect(normalizeBaseUrl("https://h.example:8443/vllm//")).toBe("https://h.example:8443/vllm");
    expect(normalizeBaseUrl("http://127.0.0.1:8000")).toBe("http://127.0.0.1:8000");
  });
  it("refuses what is not a plain http(s) base URL", () => {
    expect(normalizeBaseUrl("ftp://h")).toBeNull();
    expect(normalizeBaseUrl("http://u:p@h")).toBeNull();
    expect(normalizeBaseUrl("http://h/?x=1")).toBeNull();
    expect(normalizeBaseUrl("not a url")).toBeNull();
  });
});
