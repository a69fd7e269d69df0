// A batch of usage events as the one JSON parameter of the usage write (write-postgres.ts): one flat
// record per event, with what only JS computes (the charge, exact; the histogram buckets) done here.
// Short keys: a flush of hundreds of events serialises and parses every key once per event.
import { bucketOf } from "../metrics/buckets";
import { eventCharge, secondsText, type UsageEvent } from "./event";

/** One event; write-postgres.ts's `json_to_recordset` column list names and types these keys. */
export interface BatchRecord {
  /** Position in the batch: of two events of a session at the same instant, the later one is the latest. */
  i: number;
  rid: string;
  at: string;
  key: string;
  org: string;
  offer: string | null;
  model: string;
  inst: string | null;
  endpoint: string;
  kind: string;
  status: UsageEvent["status"];
  tin: number;
  tout: number;
  est: boolean;
  pin: string;
  pout: string;
  audio: string;
  chars: number;
  paudio: string;
  pchar: string;
  /** Numeric text at the ledger's scale (8): summed by Postgres, exactly. */
  charge: string;
  meta: Record<string, unknown>;
  hf: string;
  session: string | null;
  http: number;
  dur: number;
  ttft: number | null;
  /** The duration histogram's bucket bound (metrics/buckets.ts). */
  dur_le: number;
  /** The TTFT histogram's bucket bound, null when the request has no TTFT. */
  ttft_le: number | null;
}

export function batchRecord(e: UsageEvent, i: number): BatchRecord {
  const ttft = e.ttftMs ?? null;
  return {
    i,
    rid: e.requestId,
    // unwritableReason only asks Date.parse: a format it reads, Postgres might not.
    at: new Date(e.occurredAt).toISOString(),
    key: e.apiKeyId,
    org: e.organizationId,
    offer: e.offeringId,
    model: e.modelUuid,
    inst: e.instanceId,
    endpoint: e.endpoint,
    kind: e.kind ?? "generation",
    status: e.status,
    tin: e.inputTokens,
    tout: e.outputTokens,
    est: e.estimated,
    pin: e.priceInputPer1k,
    pout: e.priceOutputPer1k,
    audio: secondsText(e.audioMs ?? 0),
    chars: e.inputCharacters ?? 0,
    paudio: e.pricePerAudioSecond ?? "0",
    pchar: e.pricePerCharacter ?? "0",
    charge: eventCharge(e),
    meta: {
      x_request_id: e.clientRequestId,
      model: e.modelHfId,
      session: e.sessionKey,
      http_status: e.httpStatus,
      attempts: e.attempts,
      duration_ms: e.durationMs,
      ttft_ms: ttft,
      error: e.error,
    },
    hf: e.modelHfId,
    session: e.sessionKey,
    http: e.httpStatus,
    dur: e.durationMs,
    ttft,
    dur_le: bucketOf("duration", e.durationMs),
    ttft_le: ttft === null ? null : bucketOf("ttft", ttft),
  };
}

/**
 * The batch as JSON, one record per request id: a request id twice in one batch would be inserted
 * once but, joined back to the batch, counted twice.
 */
export function batchJson(events: UsageEvent[]): string {
  const seen = new Set<string>();
  const records: BatchRecord[] = [];
  events.forEach((e, i) => {
    if (seen.has(e.requestId)) return;
    seen.add(e.requestId);
    records.push(batchRecord(e, i));
  });
  return JSON.stringify(records);
}
