// Holds back a response until its body's first bytes have arrived. A stream's headers leave a GPU
// host before its first token (the request may sit in the engine's queue for a while), and until a
// byte has reached the client a host that dies can still be replaced: so the attempt is not over
// until the first chunk is in hand. The relay then replays it ahead of the rest from the same
// reader: no extra stream layer, which measurably cost CPU on every chunk.

/** A body whose first read is already done: `first` comes out ahead of what `reader` still holds. */
export interface PrimedBody {
  reader: ReadableStreamDefaultReader<Uint8Array>;
  first: ReadableStreamReadResult<Uint8Array>;
}

export async function withFirstChunk(body: ReadableStream<Uint8Array>): Promise<PrimedBody> {
  const reader = body.getReader();
  // Rejects when the connection is lost or the attempt's timeout aborts the fetch.
  return { reader, first: await reader.read() };
}
