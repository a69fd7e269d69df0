// Deterministic "tokenizer" and embedding: tests and the router's accounting can predict every count.
// A token is 4 Unicode code points (not UTF-16 units, so emoji are never split in half).

const CHARS_PER_TOKEN = 4;

export function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** prompt_tokens = ceil(chars / 4), at least 1. */
export function promptTokensFor(chars: number): number {
  return Math.max(1, Math.ceil(chars / CHARS_PER_TOKEN));
}

/** The answer cut into 4-code-point pieces; each piece is one token and one SSE delta. */
export function splitTokens(text: string): string[] {
  const points = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < points.length; i += CHARS_PER_TOKEN) {
    out.push(points.slice(i, i + CHARS_PER_TOKEN).join(""));
  }
  return out;
}

export const EMBEDDING_DIMS = 8;

/** 8 floats in [-1, 1) from FNV-1a hashes of the text: same text, same vector. */
export function embed(text: string): number[] {
  const out: number[] = [];
  for (let d = 0; d < EMBEDDING_DIMS; d++) {
    let h = 0x811c9dc5 ^ d;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    // Round through float32 so base64 and float encodings decode to identical numbers.
    out.push(Math.fround((h >>> 0) / 0x80000000 - 1));
  }
  return out;
}

/** OpenAI/vLLM `encoding_format: "base64"`: little-endian float32 bytes. */
export function toBase64(vec: number[]): string {
  const buf = Buffer.alloc(vec.length * 4);
  for (const [i, v] of vec.entries()) buf.writeFloatLE(v, i * 4);
  return buf.toString("base64");
}
