// Ledger amounts (numeric, scale 8) as exact integers of 1e-8, for summing without floats.
export const toE8 = (amount: string): bigint => {
  const [whole = "0", frac = ""] = amount.split(".");
  return BigInt(whole) * 100_000_000n + BigInt(`${frac}00000000`.slice(0, 8));
};

export const fromE8 = (e8: bigint): string => `${e8 / 100_000_000n}.${(e8 % 100_000_000n).toString().padStart(8, "0")}`;
