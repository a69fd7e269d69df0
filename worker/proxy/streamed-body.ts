// What forward.ts needs of an upload (worker/audio/upload.ts makes them).
import type { RouterError } from "../errors";

/**
 * A request body streamed from the client to the host (an upload), never held whole. Only what the
 * router read to route it can be sent again: an attempt that failed before taking any of the rest
 * may be retried on another host, one that took part of it cannot.
 */
export interface StreamedBody {
  contentType: string;
  /** Bytes each attempt sends, when known (the client declared its length). */
  length: number | null;
  /** The body for one attempt (a later call supersedes the earlier one); `abort` ends the attempt's call. */
  open(abort: () => void): ReadableStream<Uint8Array>;
  /** False once an attempt has taken bytes the router does not hold. */
  replayable(): boolean;
  /** When the upload itself failed (too large, too slow, cut by the client): that is the answer. */
  failure(): RouterError | null;
  /** Resolves once the latest attempt's body has stopped flowing (so failure() is known), or after `ms`. */
  settled(ms: number): Promise<void>;
}
