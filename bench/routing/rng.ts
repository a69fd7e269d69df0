// Seeded pseudo-random numbers (mulberry32): the same seed gives the same trace and the same tie-breaks.
export type Random = () => number;

export function seeded(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Exponential with the given mean. */
export const exponential = (random: Random, mean: number): number => -Math.log(1 - random()) * mean;

/** Uniform integer in [lo, hi]. */
export const between = (random: Random, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));

/** One of `items`, by weight. */
export function pick<T>(random: Random, items: readonly (readonly [T, number])[]): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let r = random() * total;
  for (const [item, w] of items) {
    r -= w;
    if (r < 0) return item;
  }
  return items[items.length - 1]![0];
}
