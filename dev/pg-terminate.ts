// Watches a client-to-server Postgres byte stream for the Terminate message ('X', int32 4).
// The ws proxy needs it: the Neon driver sends Terminate but never closes its WebSocket, and
// pglite-socket keeps the TCP side open after Terminate, so nobody would ever hang up.
// Frames do not align with messages, so this tracks message boundaries across chunks.

const TERMINATE = 0x58; // 'X'
const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

export class TerminateScanner {
  /** After the StartupMessage every frontend message is type byte + int32 length. */
  private typed = false;
  /** Once bytes are encrypted (or malformed) there is nothing left to read. */
  private opaque = false;
  private awaitingNegotiation = false;
  private header: number[] = [];
  private skip = 0;

  /** Feeds client bytes; true when a Terminate message has just been completed. */
  feed(chunk: Uint8Array): boolean {
    let i = 0;
    while (i < chunk.length && !this.opaque) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        continue;
      }
      const need = this.typed ? 5 : 8;
      while (this.header.length < need && i < chunk.length) this.header.push(chunk[i++] ?? 0);
      if (this.header.length < need) break;
      if (this.typed ? this.readTyped() : this.readUntyped()) return true;
      this.header = [];
    }
    return false;
  }

  /** Sees the server's reply to SSLRequest/GSSENCRequest: 'S'/'G' means encryption follows. */
  server(chunk: Uint8Array): void {
    if (!this.awaitingNegotiation || chunk.length === 0) return;
    this.awaitingNegotiation = false;
    if (chunk[0] === 0x53 || chunk[0] === 0x47) this.opaque = true;
  }

  private readTyped(): boolean {
    const length = int32(this.header, 1);
    if (this.header[0] === TERMINATE && length === 4) return true;
    if (length < 4) this.opaque = true;
    this.skip = length - 4;
    return false;
  }

  private readUntyped(): boolean {
    const length = int32(this.header, 0);
    const code = int32(this.header, 4);
    if (length < 8) this.opaque = true;
    this.skip = length - 8;
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) this.awaitingNegotiation = true;
    else if (code >>> 16 === 3) this.typed = true; // protocol 3.x StartupMessage
    return false;
  }
}

function int32(bytes: number[], at: number): number {
  return (
    (((bytes[at] ?? 0) << 24) | ((bytes[at + 1] ?? 0) << 16) | ((bytes[at + 2] ?? 0) << 8) | (bytes[at + 3] ?? 0)) >>> 0
  );
}
