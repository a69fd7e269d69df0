// What routing knows of a host's capacity. vLLM publishes neither its slot count (`max_num_seqs`) nor its
// decode rate, so the operator may declare the slots at registration, and the rest is learned from what the
// router sees: a host that queues runs every slot it has (a reading with requests waiting tells the count),
// and the decode rate is what the router's own streams got there. Pure: the fleet state keeps one per member
// and hands `capacityOf` to the latency policy.
import type { HostCapacity } from "./token-load";

export interface KnownCapacity {
  /** The operator's word (POST /deployments `max_num_seqs`); wins over what was seen. */
  declaredSlots: number | null;
  /** The most requests seen running while others waited; null until the host has queued. */
  slots: number | null;
  /** Output tokens per second of one sequence, a moving average; null until measured. */
  tokensPerSecond: number | null;
}

/** What one finished request tells of its host's speed. */
export interface ServedSample {
  outputTokens: number;
  /** From its first token to its last, ms. */
  decodeMs: number;
}

/** A new sample's weight in the moving average. */
const RATE_WEIGHT = 0.2;
/** Shorter answers measure little but their first chunk's timing. */
const MIN_SAMPLE_TOKENS = 8;

export const unknownCapacity = (): KnownCapacity => ({ declaredSlots: null, slots: null, tokensPerSecond: null });

/** A reading whose host runs some requests while others wait shows every slot taken. */
export function learnSlots(c: KnownCapacity, reading: { waiting: number; running: number }): void {
  // The largest seen, not the last: with data-parallel engines one engine may queue while another has room.
  if (reading.waiting > 0 && reading.running > 0) c.slots = Math.max(c.slots ?? 0, reading.running);
}

export function learnRate(c: KnownCapacity, s: ServedSample): void {
  if (s.outputTokens < MIN_SAMPLE_TOKENS || s.decodeMs <= 0) return;
  const rate = s.outputTokens / (s.decodeMs / 1000);
  c.tokensPerSecond = c.tokensPerSecond === null ? rate : c.tokensPerSecond + RATE_WEIGHT * (rate - c.tokensPerSecond);
}

/** What the policy may count on: what was declared or learned (the policy's defaults stand in for the rest). */
export function capacityOf(c: KnownCapacity): Partial<HostCapacity> {
  const known: Partial<HostCapacity> = {};
  const slots = c.declaredSlots ?? c.slots;
  if (slots !== null) known.slots = slots;
  if (c.tokensPerSecond !== null) known.tokensPerSecond = c.tokensPerSecond;
  return known;
}
