// How the dashboard writes times, counts and money.

export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

export const isoMinute = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 16).replace("T", " ") : "—");
export const isoSecond = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 19).replace("T", " ") : "—");

const counts = new Intl.NumberFormat("en-US");
export const count = (n: number) => counts.format(n);

/** Ledger amounts are exact decimals (numeric); shown to 4 places, never rounded through arithmetic twice. */
export const money = (amount: string | number) => `$${Number(amount).toFixed(4)}`;
