// The memo that keeps API keys and the catalog usable while Postgres is unreachable.
import { describe, expect, it } from "vitest";
import { type MemoPolicy, StaleIfErrorMemo } from "../../worker/stale-if-error";

const down = () => Promise.reject(new Error("database unreachable"));
const always: MemoPolicy = { freshMs: 0, staleIfErrorMs: 3_600_000, retryMs: 3_600_000 };

describe("StaleIfErrorMemo", () => {
  it("serves a fresh entry without loading", async () => {
    const memo = new StaleIfErrorMemo<string>();
    let loads = 0;
    const load = async () => `v${++loads}`;
    const policy = { ...always, freshMs: 3_600_000 };
    expect(await memo.get("k", load, policy)).toBe("v1");
    expect(await memo.get("k", load, policy)).toBe("v1");
    expect(loads).toBe(1);
    expect(await memo.get("k", load, policy, { force: true })).toBe("v2");
  });

  it("remembers a key that does not exist for missMs, so made-up keys cannot each cost a load", async () => {
    const memo = new StaleIfErrorMemo<string>();
    let loads = 0;
    let exists = false;
    const load = async () => {
      loads++;
      return exists ? "v" : undefined;
    };
    const policy = { ...always, freshMs: 3_600_000, missMs: 3_600_000 };
    expect(await memo.get("k", load, policy)).toBeUndefined();
    exists = true;
    expect(await memo.get("k", load, policy)).toBeUndefined();
    expect(loads).toBe(1);
    expect(await memo.get("k", load, policy, { force: true })).toBe("v"); // force looks again
    // Without missMs a miss is asked about every time.
    const fresh = new StaleIfErrorMemo<string>();
    let asked = 0;
    const none = async () => {
      asked++;
      return undefined;
    };
    await fresh.get("k", none, always);
    await fresh.get("k", none, always);
    expect(asked).toBe(2);
  });

  it("serves the stale value when the reload fails, and does not retry before retryMs", async () => {
    const memo = new StaleIfErrorMemo<string>();
    expect(await memo.get("k", async () => "v1", always)).toBe("v1");
    let attempts = 0;
    const failing = () => {
      attempts += 1;
      return down();
    };
    expect(await memo.get("k", failing, always)).toBe("v1");
    expect(await memo.get("k", failing, always)).toBe("v1");
    expect(attempts).toBe(1);
  });

  it("retries on every request once retryMs is over, and takes the new value when it comes", async () => {
    const memo = new StaleIfErrorMemo<string>();
    const policy = { ...always, retryMs: 0 };
    await memo.get("k", async () => "v1", policy);
    let attempts = 0;
    const failing = () => {
      attempts += 1;
      return down();
    };
    await memo.get("k", failing, policy);
    await memo.get("k", failing, policy);
    expect(attempts).toBe(2);
    expect(await memo.get("k", async () => "v2", policy)).toBe("v2");
  });

  it("serves a stale value at once and refreshes it in the background when given a place for that", async () => {
    const memo = new StaleIfErrorMemo<string>();
    await memo.get("k", async () => "v1", always);
    let release!: (v: string) => void;
    const slow = () => new Promise<string>((resolve) => (release = resolve));
    const background: Promise<unknown>[] = [];
    expect(await memo.get("k", slow, always, { background: (w) => background.push(w) })).toBe("v1");
    expect(background).toHaveLength(1);
    // Another request meanwhile is served the same, and hands over no second wait on that refresh.
    expect(await memo.get("k", slow, always, { background: (w) => background.push(w) })).toBe("v1");
    expect(background).toHaveLength(1);
    release("v2");
    await Promise.all(background);
    expect(memo.peek("k")).toBe("v2");
    // A forced load (an unknown name, say) still waits for the database.
    expect(await memo.get("k", async () => "v3", always, { force: true, background: (w) => background.push(w) })).toBe(
      "v3",
    );
  });

  it("fails when nothing, or nothing young enough, is held", async () => {
    const memo = new StaleIfErrorMemo<string>();
    await expect(memo.get("k", down, always)).rejects.toThrow("unreachable");
    await memo.get("k", async () => "v1", always);
    await expect(memo.get("k", down, { ...always, staleIfErrorMs: 0 })).rejects.toThrow("unreachable");
  });

  it("forgets a key whose load says it no longer exists", async () => {
    const memo = new StaleIfErrorMemo<string>();
    await memo.get("k", async () => "v1", always);
    expect(await memo.get("k", async () => undefined, always)).toBeUndefined();
    expect(memo.peek("k")).toBeUndefined();
  });

  it("shares one load between concurrent callers", async () => {
    const memo = new StaleIfErrorMemo<string>();
    let loads = 0;
    const load = async () => {
      loads += 1;
      await new Promise((r) => setTimeout(r, 5));
      return "v";
    };
    const got = await Promise.all(Array.from({ length: 10 }, () => memo.get("k", load, always)));
    expect(got).toEqual(Array(10).fill("v"));
    expect(loads).toBe(1);
  });
});
