// Leases always come back: after 200 mixed requests — streamed and not, some aborted by the
// client before or during the answer, some failed upstream (503 retried, 500 passed through,
// streams cut mid-way) — every worker's in-flight count returns to zero.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatOnce, listInstances } from "../support/fleet";
import { type Stack, startStack } from "../support/stack";
import { waitFor } from "../support/wait";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ hosts: 3, host: { tokenDelayMs: 4 } });
});
afterAll(() => stack?.dispose());

type Kind = "json" | "stream" | "abort-before-answer" | "abort-mid-stream";
const KINDS: Kind[] = ["json", "stream", "abort-before-answer", "abort-mid-stream"];

async function send(i: number, kind: Kind): Promise<string> {
  const controller = new AbortController();
  const stream = kind === "stream" || kind === "abort-mid-stream";
  const session = i % 3 === 0 ? `lease-session-${i % 7}` : undefined;
  const request = chatOnce(stack, {
    session,
    content: `request ${i} `.repeat(8),
    extra: stream ? { stream: true } : {},
    signal: controller.signal,
  });
  if (kind === "abort-before-answer") setTimeout(() => controller.abort(), 5);
  if (kind === "abort-mid-stream") setTimeout(() => controller.abort(), 30);
  return request.then(
    (r) => String(r.status),
    () => "aborted",
  );
}

describe("leases", () => {
  it("all return after 200 mixed requests", async () => {
    const [a, b, c] = stack.hosts;
    a!.gpu.setFaults({ failNext: { count: 15, status: 503 } });
    b!.gpu.setFaults({ failNext: { count: 10, status: 500 } });
    c!.gpu.setFaults({ cutAfterTokens: 6 });

    const outcomes: string[] = [];
    let next = 0;
    const client = async () => {
      while (next < 200) {
        const i = next++;
        outcomes.push(await send(i, KINDS[i % KINDS.length]!));
      }
    };
    await Promise.all(Array.from({ length: 12 }, client));
    expect(outcomes).toHaveLength(200);
    // The mix really happened: aborts, passed-through 500s, and plain successes.
    expect(outcomes.filter((o) => o === "aborted").length).toBeGreaterThan(20);
    expect(outcomes).toContain("500");
    expect(outcomes.filter((o) => o === "200").length).toBeGreaterThan(50);
    expect(a!.gpu.stats().errors).toBeGreaterThan(0);
    expect(c!.gpu.stats().cut).toBeGreaterThan(0);

    for (const h of stack.hosts) h.gpu.setFaults({});
    await waitFor(async () => (await listInstances(stack)).every((i) => i.live?.inflight === 0), {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: "every lease to be released",
    });
    // And the load routing sees is back to zero once the hosts report their (empty) queues.
    for (const h of stack.hosts) await h.gpu.heartbeatNow();
    for (const i of await listInstances(stack)) expect(i.live).toMatchObject({ inflight: 0, live_load: 0 });
  });
});
