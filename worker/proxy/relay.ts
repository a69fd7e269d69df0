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

/**
 * The client's body is a native IdentityTransformStream that this loop writes into: the runtime hands
 * the bytes to the client itself, and a write settles only once the client has taken it (no buffering:
 * a slow client holds the loop, never memory). A JS ReadableStream here would cost a pull, a read and
 * an enqueue through JS for every chunk on the client's side too (measured: about half of a stream's
 * throughput).
 */
export function relay(
  upstream: ReadableStream<Uint8Array> | PrimedBody,
  observer: BodyObserver,
  idleTimeoutMs: number,
): { body: ReadableStream<Uint8Array>; ended: Promise<RelayEnd> } {
  const reader = upstream instanceof ReadableStream ? upstream.getReader() : upstream.reader;
  // A read the attempt already made (first-chunk.ts), handed out before reading on.
  let primed = upstream instanceof ReadableStream ? undefined : upstream.first;
  // Set when the host went silent: the read the watchdog cancelled must not read as a clean end.
  let idle = false;
  const watchdog = idleWatchdog(idleTimeoutMs, () => {
    idle = true;
    reader.cancel().catch(() => {});
  });
  const { readable, writable } = new IdentityTransformStream();
  const writer = writable.getWriter();
  // The client went away (its side was cancelled): the host's read is cancelled at once, not at the next write.
  let gone = false;
  writer.closed.catch(() => {
    gone = true;
    reader.cancel().catch(() => {});
  });
  let out: Uint8Array[] = [];
  const emit = (bytes: Uint8Array) => void out.push(bytes);
  /** Writes what the observer emitted; false once the client has gone away (its side was cancelled). */
  const deliver = async (): Promise<boolean> => {
    const pending = out;
    out = [];
    try {
      for (const bytes of pending) await writer.write(bytes);
      return true;
    } catch {
      return false;
    }
  };

  /** The client went away: stop reading the host. */
  const leave = (): RelayEnd => {
    reader.cancel().catch(() => {});
    return observer.aborted();
  };

  const pump = async (): Promise<RelayEnd> => {
    let end: RelayEnd;
    // Set when the body cannot carry an error (audio): the client's stream is broken instead of ended.
    let broken: string | null = null;
    try {
      for (;;) {
        // Read inline, not through a helper: one promise less per chunk.
        let result: ReadableStreamReadResult<Uint8Array>;
        if (primed) {
          result = primed;
          primed = undefined;
        } else {
          watchdog.reading();
          result = await reader.read();
          watchdog.read();
          if (idle) throw new IdleTimeout();
        }
        const { done, value } = result;
        if (gone) return leave();
        if (done) {
          end = observer.end(emit);
          break;
        }
        observer.chunk(value, emit);
        const terminal = observer.finished();
        if (terminal) {
          reader.cancel().catch(() => {});
          end = terminal;
          break;
        }
        if (out.length > 0 && !(await deliver())) return leave();
      }
    } catch (err) {
      if (gone) return leave();
      reader.cancel().catch(() => {});
      const reason =
        err instanceof IdleTimeout || idle ? `upstream idle for ${idleTimeoutMs} ms` : "upstream connection lost";
      end = { ...observer.fail(reason, emit), workerFault: true };
      if (observer.breaksOnFailure) broken = reason;
    }
    if (!(await deliver())) return leave();
    (broken === null ? writer.close() : writer.abort(new Error(broken))).catch(() => {});
    return end;
  };
  const ended = pump();
  void ended.then(() => watchdog.stop());
  return { body: readable, ended };
}
