// A WAV file's duration from its first bytes: the `fmt ` chunk's byte rate and the `data` chunk's
// size. What the router meters a transcription by when the host reports no duration of its own.

export interface WavLayout {
  byteRate: number;
  /** Where the samples start, from the file's first byte. */
  dataOffset: number;
  /** The `data` chunk's declared size (a streaming recorder may leave it at 0 or 0xFFFFFFFF). */
  dataBytes: number;
}

const tag = (b: Uint8Array, at: number) =>
  String.fromCharCode(b[at] ?? 0, b[at + 1] ?? 0, b[at + 2] ?? 0, b[at + 3] ?? 0);

/** The layout of a RIFF/WAVE file, from as much of its start as is at hand; null if not one (or not yet). */
export function wavLayout(head: Uint8Array): WavLayout | null {
  if (head.length < 12 || tag(head, 0) !== "RIFF" || tag(head, 8) !== "WAVE") return null;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let byteRate = 0;
  for (let at = 12; at + 8 <= head.length; ) {
    const id = tag(head, at);
    const size = view.getUint32(at + 4, true);
    if (id === "fmt " && at + 20 <= head.length) byteRate = view.getUint32(at + 16, true);
    if (id === "data") return byteRate > 0 ? { byteRate, dataOffset: at + 8, dataBytes: size } : null;
    at += 8 + size + (size % 2);
  }
  return null;
}

/**
 * Milliseconds of audio, given how many bytes of the file passed by: the `data` chunk's size, or
 * what actually followed its header when that is less (a placeholder size, a truncated file).
 */
export function wavMs(layout: WavLayout, fileBytes: number): number {
  const samples = Math.max(0, Math.min(layout.dataBytes, fileBytes - layout.dataOffset));
  return Math.round((samples * 1000) / layout.byteRate);
}
