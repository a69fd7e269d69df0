// Minimal PCM WAV: what the speech endpoint answers and what transcription reads a duration from.

export const SPEECH_SAMPLE_RATE = 24_000;

/**
 * A 16-bit mono PCM WAV of `seconds` of a quiet 440 Hz tone (a real, playable file). `text`, when
 * given, rides in a `mock` chunk (players skip unknown chunks) so that the mock's transcription of
 * its own speech gives the words back: a TTS → STT round trip can be checked end to end.
 */
export function wavFile(seconds: number, text?: string, sampleRate = SPEECH_SAMPLE_RATE): Buffer {
  const samples = Math.round(seconds * sampleRate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++)
    data.writeInt16LE(Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / sampleRate)), i * 2);
  const header = wavHeader(data.length, sampleRate);
  if (text === undefined) return Buffer.concat([header, data]);
  const words = Buffer.from(text, "utf8");
  const chunk = Buffer.alloc(8 + words.length + (words.length % 2));
  chunk.write("mock", 0, "ascii");
  chunk.writeUInt32LE(words.length, 4);
  words.copy(chunk, 8);
  // The RIFF size grows by the extra chunk; the `data` chunk moves behind it.
  const riff = Buffer.from(header.subarray(0, 36));
  riff.writeUInt32LE(36 + chunk.length + data.length, 4);
  return Buffer.concat([riff, chunk, header.subarray(36), data]);
}

/** The words a mock-made WAV carries (see wavFile), or null. */
export function wavText(file: Uint8Array): string | null {
  const b = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  for (let at = 12; at + 8 <= b.length; ) {
    const id = b.toString("ascii", at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === "mock") return b.toString("utf8", at + 8, at + 8 + size);
    if (id === "data") return null;
    at += 8 + size + (size % 2);
  }
  return null;
}

export function wavHeader(dataBytes: number, sampleRate: number, channels = 1, bitsPerSample = 16): Buffer {
  const h = Buffer.alloc(44);
  const blockAlign = (channels * bitsPerSample) / 8;
  h.write("RIFF", 0, "ascii");
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write("WAVE", 8, "ascii");
  h.write("fmt ", 12, "ascii");
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * blockAlign, 28);
  h.writeUInt16LE(blockAlign, 32);
  h.writeUInt16LE(bitsPerSample, 34);
  h.write("data", 36, "ascii");
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** Seconds of audio in a RIFF/WAVE file (its `data` chunk over the byte rate), or null if it is not one. */
export function wavSeconds(file: Uint8Array): number | null {
  const b = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (b.length < 12 || b.toString("ascii", 0, 4) !== "RIFF" || b.toString("ascii", 8, 12) !== "WAVE") return null;
  let byteRate = 0;
  for (let at = 12; at + 8 <= b.length; ) {
    const id = b.toString("ascii", at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === "fmt " && at + 20 <= b.length) byteRate = b.readUInt32LE(at + 16);
    if (id === "data") return byteRate > 0 ? Math.min(size, b.length - at - 8) / byteRate : null;
    at += 8 + size + (size % 2);
  }
  return null;
}
