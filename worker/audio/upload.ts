// An upload on its way to a host: the head the router read (possibly rewritten), then the rest of
// the client's body as the host takes it — never held whole.
//
// With a declared Content-Length (what SDKs, browsers and curl send for files), the head and the
// replay window go through JS and then the client's body is piped to the host natively: no JS
// touches the megabytes after that, so the isolate's memory stays flat (bench/audio-upload.ts).
// Without one, every chunk passes through JS, counted against AUDIO_MAX_BODY_BYTES (413) and
// against BODY_READ_TIMEOUT_MS of silence (408).
//
// Retrying: workerd reads a request body a chunk or a few ahead of the connection (measured: one
// 4 KiB chunk before a refused connection failed; a reset one, as much as the socket's buffers
// took). So the first REPLAY_WINDOW bytes after the head are kept until an attempt takes more than
// that: an attempt that failed within them is sent again, whole, to another host. Past the window
// the chunks are let go, and a failure is final.
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

const superseded = () => new Error("superseded by a later attempt");

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
  /** Set once the client's body is piped natively: the reader is released. */
  private piped = false;
  private pumping: Promise<void> = Promise.resolve();

  constructor(
    private readonly head: Uint8Array,
    /** The client's body and the reader the head was read with; null when the head is the whole body. */
    private readonly rest: { body: ReadableStream<Uint8Array>; reader: ReadableStreamDefaultReader<Uint8Array> } | null,
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

  /** Resolves once the latest attempt's body has stopped flowing (so a failure is known), or after `ms`. */
  settled(ms: number): Promise<void> {
    return Promise.race([this.pumping, new Promise<void>((resolve) => setTimeout(resolve, ms))]);
  }

  open(abort: () => void): ReadableStream<Uint8Array> {
    const generation = ++this.generation;
    if (this.length === null) return this.pulled(generation, abort);
    const pipe = new FixedLengthStream(this.length);
    this.pumping = this.pump(generation, pipe.writable, abort);
    return pipe.readable;
  }

  /** After an answer that did not take the whole upload: read the rest and drop it (the client then sees the answer). */
  async discard(): Promise<void> {
    this.generation++;
    this.chunks = [];
    if (this.rest && !this.restDone && !this.piped)
      await discardRest(this.rest.reader, this.options.maxBytes, this.options.idleMs);
  }

  /** Declared length: head and window written from JS, then the client's body piped natively. */
  private async pump(generation: number, writable: WritableStream<Uint8Array>, abort: () => void): Promise<void> {
    const writer = writable.getWriter();
    try {
      await writer.write(this.head.slice());
      for (let i = 0; this.withinWindow || i < this.chunks.length; i++) {
        const chunk = await this.chunkAt(i);
        if (generation !== this.generation) throw superseded();
        if (chunk === null) return await writer.close();
        // Kept for a retry: send a copy (writing may hand the buffer over). Past the window: let it go.
        await writer.write(this.withinWindow ? chunk.slice() : chunk);
        if (!this.withinWindow) this.chunks[i] = null;
      }
    } catch (err) {
      if (this.failed) abort();
      await writer.abort(err).catch(() => {});
      return;
    }
    writer.releaseLock();
    if (!this.rest) return;
    this.rest.reader.releaseLock();
    this.piped = true;
    try {
      await this.rest.body.pipeTo(writable);
      this.seen = this.options.declaredLength ?? this.seen;
      this.restDone = true;
    } catch {
      // The host's side cancels the client's body (which then reads as closed); the client's own
      // failure leaves it errored. Only the latter is the client's fault.
      const clientBroke = await this.rest.body
        .getReader()
        .read()
        .then(
          () => false,
          () => true,
        );
      if (clientBroke) {
        this.failed = unreadable();
        abort();
      }
    }
  }

  /** No declared length: every chunk through JS, counted and timed. */
  private pulled(generation: number, abort: () => void): ReadableStream<Uint8Array> {
    let next = -1; // -1: the head; then the index of the rest's next chunk
    let ended!: () => void;
    this.pumping = new Promise<void>((resolve) => (ended = resolve));
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          try {
            if (generation !== this.generation) throw superseded();
            if (next < 0) {
              next = 0;
              return controller.enqueue(this.head.slice());
            }
            const chunk = await this.chunkAt(next);
            if (generation !== this.generation) throw superseded();
            if (chunk === null) {
              ended();
              return controller.close();
            }
            controller.enqueue(this.withinWindow ? chunk.slice() : chunk);
            if (!this.withinWindow) this.chunks[next] = null;
            next++;
          } catch (err) {
            // Abort first: a chunked body that errors may otherwise reach the host as a shorter, whole one.
            if (this.failed) abort();
            controller.error(err);
            ended();
          }
        },
        cancel: () => ended(),
      },
      { highWaterMark: 0 },
    );
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
      const { done, value } = await Promise.race([this.rest.reader.read(), idle]);
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
      if (this.failed.status !== 413) this.rest.reader.cancel().catch(() => {});
      throw this.failed;
    } finally {
      clearTimeout(timer);
    }
  }
}
