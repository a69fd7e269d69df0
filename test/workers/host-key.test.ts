// Host API keys sealed with AES-GCM under HOST_KEY_ENCRYPTION_KEY, bound to their instance.
import { describe, expect, it } from "vitest";
import { HostKeyError, openHostKey, sealHostKey } from "../../worker/hosts/host-key";

const SECRET = btoa(String.fromCharCode(...new Uint8Array(32).map((_, i) => i * 7)));
const OTHER = btoa(String.fromCharCode(...new Uint8Array(32).fill(9)));
const ID = "5f0c4a1e-0000-4000-8000-000000000001";

describe("sealHostKey / openHostKey", () => {
  it("round-trips, never shows the key, and seals the same key differently each time", async () => {
    const a = await sealHostKey("vllm-secret-key", SECRET, ID);
    const b = await sealHostKey("vllm-secret-key", SECRET, ID);
    expect(a).toMatch(/^v1\.[\w-]{16}\.[\w-]+$/);
    expect(a).not.toContain("vllm-secret");
    expect(a).not.toBe(b);
    expect(await openHostKey(a, SECRET, ID)).toBe("vllm-secret-key");
    expect(await openHostKey(b, SECRET, ID)).toBe("vllm-secret-key");
  });

  it("does not open under another secret, for another instance, or tampered", async () => {
    const sealed = await sealHostKey("k", SECRET, ID);
    await expect(openHostKey(sealed, OTHER, ID)).rejects.toBeInstanceOf(HostKeyError);
    await expect(openHostKey(sealed, SECRET, "another-instance")).rejects.toBeInstanceOf(HostKeyError);
    const [v, iv, data] = sealed.split(".");
    const flipped = `${v}.${iv}.${data?.startsWith("A") ? "B" : "A"}${data?.slice(1)}`;
    await expect(openHostKey(flipped, SECRET, ID)).rejects.toBeInstanceOf(HostKeyError);
    await expect(openHostKey("plain-text", SECRET, ID)).rejects.toThrow("not a sealed host key");
  });

  it("refuses a missing or malformed secret", async () => {
    await expect(sealHostKey("k", undefined, ID)).rejects.toThrow("HOST_KEY_ENCRYPTION_KEY is not set");
    await expect(sealHostKey("k", btoa("too short"), ID)).rejects.toThrow("must decode to 32 bytes");
    await expect(sealHostKey("k", "not base64!!", ID)).rejects.toThrow("must be base64");
  });
});
