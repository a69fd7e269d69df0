// A request's usage, as recorded once it has ended. Plain data: it crosses into the outbox
// Durable Object and is replayed into Postgres, so it must be JSON-serialisable.
import type { UsageKind, UsageStatus } from "../../schema";

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
}

/** What a host's usage object says: tokens, and for a transcription the audio it heard. */
export interface HostUsage extends TokenUsage {
  audioMs?: number;
}

/** The units audio is priced by (absent: 0). */
export interface AudioQuantities {
  /** Transcriptions and translations: milliseconds of audio in. */
  audioMs?: number;
  /** Speech: characters of text in. */
  inputCharacters?: number;
}

export interface AudioPrices {
  pricePerAudioSecond?: string;
  pricePerCharacter?: string;
}

/** Audio fields are absent in events of other kinds and in events stored before audio existed. */
export interface UsageEvent extends TokenUsage, AudioQuantities, AudioPrices {
  /** The ledger's key (unique per request the router served). */
  requestId: string;
  /** The X-Request-Id echoed to the client (theirs or ours), for finding the row. */
  clientRequestId: string;
  occurredAt: string;
  endpoint: string;
  /** Absent in events stored before kinds existed: generation. */
  kind?: UsageKind;
  status: UsageStatus;
  apiKeyId: string;
  organizationId: string;
  modelUuid: string;
  modelHfId: string;
  offeringId: string | null;
  instanceId: string | null;
  sessionKey: string | null;
  /** True when the host sent no usage and the router estimated it. */
  estimated: boolean;
  priceInputPer1k: string;
  priceOutputPer1k: string;
  httpStatus: number;
  attempts: number;
  durationMs: number;
  /** Streams: from the request's arrival to the host's first body bytes. Null otherwise (and in older events). */
  ttftMs?: number | null;
  error: string | null;
}

const SCALE = 1_000_000n; // prices carry at most 6 decimals

function toMicro(price: string): bigint {
  const [whole = "0", frac = ""] = price.split(".");
  return BigInt(whole) * SCALE + BigInt(`${frac}000000`.slice(0, 6));
}

/**
 * tokens × price per 1k + seconds of audio × price per second + characters × price per character,
 * exact, rounded half-up to 8 decimals (the column's scale).
 */
export function chargedAmount(
  usage: TokenUsage & AudioQuantities,
  priceInputPer1k: string,
  priceOutputPer1k: string,
  audio: AudioPrices = {},
): string {
  // micro-units per 1k tokens × tokens = units of 1e-9; so are micro-units per second × milliseconds.
  const nano =
    BigInt(usage.inputTokens) * toMicro(priceInputPer1k) +
    BigInt(usage.outputTokens) * toMicro(priceOutputPer1k) +
    BigInt(usage.audioMs ?? 0) * toMicro(audio.pricePerAudioSecond ?? "0") +
    BigInt(usage.inputCharacters ?? 0) * toMicro(audio.pricePerCharacter ?? "0") * 1000n;
  const e8 = (nano + 5n) / 10n;
  const whole = e8 / 100_000_000n;
  const frac = (e8 % 100_000_000n).toString().padStart(8, "0");
  return `${whole}.${frac}`;
}

/** What an event is charged, at the prices it carries. */
export const eventCharge = (e: UsageEvent): string => chargedAmount(e, e.priceInputPer1k, e.priceOutputPer1k, e);

/** Milliseconds as the ledger's `audio_seconds` (numeric, scale 3), exactly. */
export const secondsText = (ms: number): string => `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, "0")}`;

/**
 * The largest count one request may carry (tokens, audio milliseconds, characters). No context window
 * comes near it, so a larger report is nonsense; the ledger's columns and `charged_amount` are sized
 * so that any such counts fit.
 */
export const MAX_TOKENS = 2 ** 31 - 1;

const isCount = (v: unknown): v is number =>
  Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_TOKENS;

/**
 * Text Postgres can store: `text` and `jsonb` refuse NUL, and `jsonb` a lone surrogate (JSON.stringify
 * writes it as an escape that jsonb rejects). Both become U+FFFD, as a UTF-8 decoder would make them.
 */
export function storableText(s: string): string {
  return s
    .replaceAll("\u0000", "\ufffd")
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

/**
 * A host's `usage` object as the router trusts it: whole, non-negative counts, else nothing (and
 * the request is estimated). Hosts are the tenants' own; a `1.5`, a string or a count over
 * MAX_TOKENS must not reach billing.
 */
export function usageFromWire(u: unknown): HostUsage | null {
  if (typeof u !== "object" || u === null) return null;
  const w = u as Record<string, unknown>;
  // A transcription's (OpenAI's and vLLM's): `{"type": "duration", "seconds": 3}`, no tokens.
  if (w.type === "duration") {
    const ms = typeof w.seconds === "number" ? Math.round(w.seconds * 1000) : Number.NaN;
    return isCount(ms) ? { inputTokens: 0, outputTokens: 0, audioMs: ms } : null;
  }
  // Chat-style names, or the Responses API's (`input_tokens`/`output_tokens`).
  // Rerank reports only `total_tokens`: all of it is input.
  const input = w.prompt_tokens ?? w.input_tokens ?? w.total_tokens;
  const output = w.completion_tokens ?? w.output_tokens ?? 0;
  return isCount(input) && isCount(output) ? { inputTokens: input, outputTokens: output } : null;
}

/** Why Postgres must not be asked to write this event (it could only fail, forever), or null. */
export function unwritableReason(e: UsageEvent): string | null {
  if (!isCount(e.inputTokens) || !isCount(e.outputTokens))
    return `token counts must be integers from 0 to ${MAX_TOKENS}`;
  if (!isCount(e.audioMs ?? 0) || !isCount(e.inputCharacters ?? 0))
    return `audio milliseconds and characters must be integers from 0 to ${MAX_TOKENS}`;
  if (!PRICE.test(e.pricePerAudioSecond ?? "0") || !PRICE.test(e.pricePerCharacter ?? "0"))
    return "prices must be non-negative decimals";
  if (e.error !== null && storableText(e.error) !== e.error) return "error text has characters Postgres refuses";
  if (!PRICE.test(e.priceInputPer1k) || !PRICE.test(e.priceOutputPer1k)) return "prices must be non-negative decimals";
  if (Number.isNaN(Date.parse(e.occurredAt))) return "occurredAt is not a date";
  return null;
}

const PRICE = /^\d+(\.\d+)?$/;

/** Rough token count (≈ 4 characters a token) for hosts that report no usage. */
export const estimateTokens = (chars: number): number => Math.ceil(chars / 4);
