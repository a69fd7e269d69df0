// An upload on its way to a host: the head the router read (possibly rewritten), then the rest of
// the client's body chunk by chunk as the host takes it — never held whole. Counts what passes (the
// limit for bodies without Content-Length; the file's size for metering) and bounds the silence
// between chunks.
//
// Retrying: workerd reads a request body a chunk or a few ahead of the connection (measured: one
// 4 KiB chunk before a refused connection failed, four before a reset one). So the first
// REPLAY_WINDOW bytes after the head are kept until an attempt takes more than that: an attempt
// that failed within them (refused, reset, unreachable) is sent again, whole, to another host.
// Past the window the chunks are let go, and a failure is final.
import { RouterError } from "../errors";
import { discardRest, readTimedOut, tooLarge, unreadable } from "../http/body";
import type { StreamedBody } from "../proxy/streamed-body";

const REPLAY_WINDOW = 128 * 1024;

export interface UploadOptions {
  contentType: string;
  /** Bytes of the client's body the head was read from. */
  headBytesRead: number;
  /** The client's declared Content-Length, if any. */
  declaredLength: number | null;
  maxBytes: number;
  /** The longest silence between two chunks of the client's body. */
  idleMs: number;
}

export class Upload implements StreamedBody {
  readonly contentType: string;
  readonly length: number | null;
  /** Bumped by each attempt: a stream an earlier attempt still holds gets nothing more. */
  private generation = 0;
  /** The rest's chunks in order; null once let go (past the window). */
  private chunks: (Uint8Array | null)[] = [];
  private windowBytes = 0;
  private withinWindow = true;
  private restDone: boolean;
  private reading: Promise<void> | null = null;
  private failed: RouterError | null = null;
  private seen: number;

  constructor(
    private readonly head: Uint8Array,
    /** Null when the head is the whole body. */
    private readonly rest: ReadableStreamDefaultReader<Uint8Array> | null,
    private readonly options: UploadOptions,
  ) {
    this.contentType = options.contentType;
    this.seen = options.headBytesRead;
    this.restDone = rest === null;
    // The head may have been rewritten; the rest passes as it is.
    this.length = options.declaredLength === null ? null : options.declaredLength - options.headBytesRead + head.length;
  }

  /** Bytes of the client's body seen so far (all of it, once the host has taken it). */
  get bytesSeen(): number {
    return this.seen;
  }

  replayable(): boolean {
    return this.withinWindow;
  }

  failure(): RouterError | null {
    return this.failed;
  }

  open(abort: () => void): ReadableStream<Uint8Array> {
    const generation = ++this.generation;
    let next = -1; // -1: the head; then the index of the rest's next chunk
    const body = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          try {
            if (generation !== this.generation) throw new Error("superseded by a later attempt");
            if (next < 0) {
              next = 0;
              // A copy: the head is sent again if this attempt fails.
              return controller.enqueue(this.head.slice());
            }
            const chunk = await this.chunkAt(next);
            if (generation !== this.generation) throw new Error("superseded by a later attempt");
            if (chunk === null) return controller.close();
            // Kept for a retry: send a copy (enqueueing may hand the buffer over). Past the window: let it go.
            controller.enqueue(this.withinWindow ? chunk.slice() : chunk);
            if (!this.withinWindow) this.chunks[next] = null;
            next++;
          } catch (err) {
            // Abort first: a chunked body that errors may otherwise reach the host as a shorter, whole one.
            if (this.failed) abort();
            controller.error(err);
          }
        },
      },
      { highWaterMark: 0 },
    );
    if (this.length === null) return body;
    // Sent with its Content-Length rather than chunked (some proxies in front of hosts refuse chunked uploads).
    const fixed = new FixedLengthStream(this.length);
    body.pipeTo(fixed.writable).catch(() => {});
    return fixed.readable;
  }

  /** After an answer that did not take the whole upload: read the rest and drop it (the client then sees the answer). */
  async discard(): Promise<void> {
    this.generation++;
    this.chunks = [];
    if (this.rest && !this.restDone) await discardRest(this.rest, this.options.maxBytes, this.options.idleMs);
  }

  /** The rest's chunk `i`, read now if no attempt has read it yet; null at the end. */
  private async chunkAt(i: number): Promise<Uint8Array | null> {
    while (i >= this.chunks.length && !this.restDone) {
      this.reading ??= this.readOne().finally(() => {
        this.reading = null;
      });
      await this.reading;
    }
    if (i >= this.chunks.length) return null;
    const chunk = this.chunks[i];
    if (!chunk) throw new Error("this part of the upload was already sent and let go");
    return chunk;
  }

  private async readOne(): Promise<void> {
    if (!this.rest) return;
    const { idleMs, maxBytes } = this.options;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(readTimedOut(idleMs)), idleMs);
    });
    try {
      const { done, value } = await Promise.race([this.rest.read(), idle]);
      if (done) {
        this.restDone = true;
        return;
      }
      this.seen += value.byteLength;
      if (this.seen > maxBytes) throw tooLarge(maxBytes);
      this.windowBytes += value.byteLength;
      if (this.withinWindow && this.windowBytes > REPLAY_WINDOW) {
        this.withinWindow = false;
        this.chunks.fill(null);
      }
      this.chunks.push(value);
    } catch (err) {
      this.failed = err instanceof RouterError ? err : unreadable();
      // Over the limit, the client is still sending: discard() drains it so that it sees the 413.
      if (this.failed.status !== 413) this.rest.cancel().catch(() => {});
      throw this.failed;
    } finally {
      clearTimeout(timer);
    }
  }
}
