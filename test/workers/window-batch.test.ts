// The one window batcher behind usage group commit and owed calls: who sends (the opener after its
// window, or the filler), that everyone else is answered at once, that a taken batch is not sent, and
// that a send is retried and then given up with its last error.
import { describe, expect, it } from "vitest";
import { type BatchPlan, retrying, WindowBatches } from "../../worker/window-batch";

function recorder(windowMs: number, maxItems?: number) {
  const sent: string[][] = [];
  const plan = (): BatchPlan<string> => ({
    windowMs,
    maxItems,
    send: async (items) => void sent.push([...items]),
  });
  return { sent, plan };
}

describe("window batches", () => {
  it("send once per window, by the item that opened it; the others settle before the send", async () => {
    const batches = new WindowBatches<string>();
    const { sent, plan } = recorder(20);
    const order: string[] = [];
    const opener = batches.add("k", "a", plan).then(() => order.push(`opener saw ${sent.length} sends`));
    await batches.add("k", "b", plan).then(() => order.push(`joiner saw ${sent.length} sends`));
    await opener;
    expect(order).toEqual(["joiner saw 0 sends", "opener saw 1 sends"]);
    expect(sent).toEqual([["a", "b"]]);
  });

  it("keep one batch per key", async () => {
    const batches = new WindowBatches<string>();
    const { sent, plan } = recorder(5);
    await Promise.all([batches.add("x", "1", plan), batches.add("y", "2", plan), batches.add("x", "3", plan)]);
    expect(sent).toEqual([["1", "3"], ["2"]]);
  });

  it("are sent at once by the item that fills them; the opener's window then sends nothing", async () => {
    const batches = new WindowBatches<string>();
    const { sent, plan } = recorder(30_000, 3);
    const opener = batches.add("k", "a", plan);
    await batches.add("k", "b", plan);
    expect(sent).toEqual([]);
    await batches.add("k", "c", plan);
    expect(sent).toEqual([["a", "b", "c"]]);
    // The next item opens a new batch.
    void batches.add("k", "d", plan);
    expect(batches.take("k")?.items).toEqual(["d"]);
    void opener;
  });

  it("taken by a call that carries them, are not sent when the window ends", async () => {
    const batches = new WindowBatches<string>();
    const { sent, plan } = recorder(5);
    const opener = batches.add("k", "a", plan);
    expect(batches.take("k")?.items).toEqual(["a"]);
    expect(batches.take("k")).toBeUndefined();
    await opener;
    expect(sent).toEqual([]);
  });
});

describe("retrying", () => {
  it("tries again after backoffMs × attempt, and stops at the first success", async () => {
    const at: number[] = [];
    const started = Date.now();
    const send = retrying(
      async (items: string[]) => {
        at.push(Date.now() - started);
        if (at.length < 3) throw new Error(`refused ${items.length}`);
      },
      { attempts: 3, backoffMs: 10, giveUp: () => at.push(-1) },
    );
    await send(["a"]);
    expect(at).toHaveLength(3);
    expect(at[1]).toBeGreaterThanOrEqual(10);
    expect(at[2]).toBeGreaterThanOrEqual(30);
  });

  it("gives up after `attempts` with the items and the last error, and never rejects", async () => {
    let calls = 0;
    const given: { items: string[]; err: unknown }[] = [];
    const send = retrying(
      async () => {
        calls += 1;
        throw new Error(`refused #${calls}`);
      },
      { attempts: 2, backoffMs: 1, giveUp: (items: string[], err) => given.push({ items, err }) },
    );
    await expect(send(["a", "b"])).resolves.toBeUndefined();
    expect(calls).toBe(2);
    expect(given).toEqual([{ items: ["a", "b"], err: new Error("refused #2") }]);
  });
});
