// What a host can carry, learned from what the router sees, since vLLM publishes neither its slot count
// (`max_num_seqs`) nor its decode rate. A host that queues runs every slot it has: a reading with requests
// waiting tells the slot count. The decode rate is what the router's own requests got there. Pure: the
// fleet state keeps one per member and hands `capacityOf` to the latency policy.
import type { HostCapacity } from "./token-load";

export interface LearnedCapacity {
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

export const unknownCapacity = (): LearnedCapacity => ({ slots: null, tokensPerSecond: null });

/** A reading whose host runs some requests while others wait shows every slot taken. */
export function learnSlots(c: LearnedCapacity, reading: { waiting: number; running: number }): void {
  // The largest seen, not the last: with data-parallel engines one engine may queue while another has room.
  if (reading.waiting > 0 && reading.running > 0) c.slots = Math.max(c.slots ?? 0, reading.running);
}

export function learnRate(c: LearnedCapacity, s: ServedSample): void {
  if (s.outputTokens < MIN_SAMPLE_TOKENS || s.decodeMs <= 0) return;
  const rate = s.outputTokens / (s.decodeMs / 1000);
  c.tokensPerSecond = c.tokensPerSecond === null ? rate : c.tokensPerSecond + RATE_WEIGHT * (rate - c.tokensPerSecond);
}

/** What the policy may count on: what was learned (the policy's defaults stand in for the rest). */
export function capacityOf(c: LearnedCapacity): Partial<HostCapacity> {
  const known: Partial<HostCapacity> = {};
  if (c.slots !== null) known.slots = c.slots;
  if (c.tokensPerSecond !== null) known.tokensPerSecond = c.tokensPerSecond;
  return known;
}
