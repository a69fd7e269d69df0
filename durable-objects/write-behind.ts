// A storage write that holds no answer: `allowUnconfirmed`, so the output gate does not wait for it,
// and not awaited. For state whose loss in a crash costs a moment's bookkeeping, never correctness
// (a session's use count, a budget's spend that the ledger also holds). A failure is logged.
export function writeBehind(storage: DurableObjectStorage, key: string, value: unknown, what: string): void {
  storage
    .put(key, value, { allowUnconfirmed: true })
    .catch((err: unknown) => console.error(JSON.stringify({ msg: "write_behind_failed", what, error: String(err) })));
}
