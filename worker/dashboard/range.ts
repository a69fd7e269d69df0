// The time ranges the usage pages offer, each with the bucket its charts use.
export const ranges = {
  "1h": { label: "last hour", seconds: 3_600, bucket: 60 },
  "24h": { label: "last 24 hours", seconds: 86_400, bucket: 1_800 },
  "7d": { label: "last 7 days", seconds: 7 * 86_400, bucket: 6 * 3_600 },
  "30d": { label: "last 30 days", seconds: 30 * 86_400, bucket: 86_400 },
} as const;
export type RangeName = keyof typeof ranges;

export const rangeOf = (raw: string | undefined): RangeName =>
  raw !== undefined && Object.hasOwn(ranges, raw) ? (raw as RangeName) : "24h";

/** The range's start, aligned to its bucket so a bucket never straddles the edge. */
export function rangeStart(name: RangeName, now = Date.now()): Date {
  const { seconds, bucket } = ranges[name];
  const bucketMs = bucket * 1000;
  return new Date(Math.floor((now - seconds * 1000) / bucketMs) * bucketMs + bucketMs);
}

/** Every bucket start from `since` to now, so quiet intervals show as zero rather than vanish. */
export function bucketStarts(name: RangeName, since: Date, now = Date.now()): number[] {
  const bucketMs = ranges[name].bucket * 1000;
  const out: number[] = [];
  for (let t = since.getTime(); t <= now; t += bucketMs) out.push(t);
  return out;
}
