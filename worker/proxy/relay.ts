// Pipes an upstream body to the client chunk by chunk while an observer reads it, and
// settles a promise with how it ended: completed, failed (cut, error, idle) or aborted by the client.
import type { HostUsage } from "../usage/event";
import type { PrimedBody } from "./first-chunk";

export interface RelayEnd {
  outcome: "completed" | "failed" | "aborted";
  usage: HostUsage | null;
  /** Generated text seen, for estimating usage when the host reported none (JSON: counted only then). */
  outputChars: number;
  error: string | null;
  /** The host broke the connection or went silent mid-body: counts against its circuit breaker. */
  workerFault?: true;
}

/** Reads the body as it passes; `emit` sends bytes to the client. */
export interface BodyObserver {
  chunk(bytes: Uint8Array, emit: (bytes: Uint8Array) => void): void;
  /** Upstream ended cleanly; may still emit (e.g. an error event for a cut stream). */
  end(emit: (bytes: Uint8Array) => void): RelayEnd;
  /** Upstream broke or went idle mid-body. */
  fail(reason: string, emit: (bytes: Uint8Array) => void): RelayEnd;
  /** The observer has seen a terminal event: stop reading upstream. */
  finished(): RelayEnd | null;
  aborted(): RelayEnd;
  /** The body has no way to carry an error (audio bytes): a failure breaks the client's stream instead of ending it. */
  readonly breaksOnFailure?: boolean;
}

class IdleTimeout extends Error {}

/**
 * One timer per response, not one per read: a read only notes when it started and ended, and the
 * timer, when it fires, either finds a read pending for `idleMs` (the host went silent) or sleeps
 * again for what is left. Time between reads is the client's (backpressure), never the host's.
 * A timer and a Promise.race per read measurably cost CPU on every chunk.
 */
function idleWatchdog(idleMs: number, onIdle: () => void): { reading(): void; read(): void; stop(): void } {
  let since = Date.now();
  let pending = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (ms: number): void => {
    timer = setTimeout(() => {
      const silent = Date.now() - since;
      if (pending && silent >= idleMs) onIdle();
      else arm(pending ? idleMs - silent : idleMs);
    }, ms);
  };
  arm(idleMs);
  return {
    reading: () => {
      pending = true;
      since = Date.now();
    },
    read: () => {
      pending = false;
    },
    stop: () => clearTimeout(timer),
  };
}

export function relay(
  upstream: ReadableStream<Uint8Array> | PrimedBody,
  observer: BodyObserver,
  idleTimeoutMs: number,
): { body: ReadableStream<Uint8Array>; ended: Promise<RelayEnd> } {
  const reader = upstream instanceof ReadableStream ? upstream.getReader() : upstream.reader;
  // A read the attempt already made (first-chunk.ts), handed out before reading on.
  let primed = upstream instanceof ReadableStream ? undefined : upstream.first;
  // Set when the client went away: a read still pending then must not enqueue or settle again.
  let cancelled = false;
  // Set when the host went silent: the read the watchdog cancelled must not read as a clean end.
  let idle = false;
  let settle!: (end: RelayEnd) => void;
  const ended = new Promise<RelayEnd>((resolve) => (settle = resolve));
  const watchdog = idleWatchdog(idleTimeoutMs, () => {
    idle = true;
    reader.cancel().catch(() => {});
  });
  void ended.then(() => watchdog.stop());

  const read = async (): Promise<ReadableStreamReadResult<Uint8Array>> => {
    if (primed) {
      const first = primed;
      primed = undefined;
      return first;
    }
    watchdog.reading();
    const result = await reader.read();
    watchdog.read();
    if (idle) throw new IdleTimeout();
    return result;
  };

  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let emitted = 0;
        const emit = (bytes: Uint8Array) => {
          emitted += 1;
          controller.enqueue(bytes);
        };
        const close = (end: RelayEnd) => {
          controller.close();
          settle(end);
        };
        try {
          // Loop until something was emitted so the client always makes progress per pull.
          for (;;) {
            const { done, value } = await read();
            if (cancelled) return;
            if (done) return close(observer.end(emit));
            observer.chunk(value, emit);
            const terminal = observer.finished();
            if (terminal) {
              reader.cancel().catch(() => {});
              return close(terminal);
            }
            if (emitted > 0) return;
          }
        } catch (err) {
          if (cancelled) return;
          reader.cancel().catch(() => {});
          const reason =
            err instanceof IdleTimeout || idle ? `upstream idle for ${idleTimeoutMs} ms` : "upstream connection lost";
          const end: RelayEnd = { ...observer.fail(reason, emit), workerFault: true };
          if (!observer.breaksOnFailure) return close(end);
          controller.error(new Error(reason));
          settle(end);
        }
      },
      cancel() {
        cancelled = true;
        reader.cancel().catch(() => {});
        settle(observer.aborted());
      },
    },
    { highWaterMark: 0 },
  );
  return { body, ended };
}
