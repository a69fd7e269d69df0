// What an isolate owes a Durable Object but need not say at once (a lease's release, a limiter's
// settlement): owed items ride on the isolate's next call to that object, or, when none comes within
// the window, go in one batch call (window-batch.ts: whoever sends holds). A request whose call
// carried the items holds them on that call, and, if it failed, on the flush that owes them again
// (`settle`'s promise). The object must take an item twice as once: one whose carrying call failed is
// simply owed again.
import { retrying, WindowBatches } from "./window-batch";

/** Delivers a batch in one call (on a fresh stub: one that saw an exception may be broken for good). */
export type SendBatch<T> = (items: T[]) => Promise<unknown>;

/** Items a call to the object can carry; the caller says whether its call went through. */
export interface Carried<T> {
  items: T[];
  /** Settles once the items are delivered: at once when the call went through, else after they are sent again. */
  settle(delivered: boolean): Promise<void>;
}

/** Holds the isolate for work that outlives the call (the request's waitUntil). */
export type Hold = (work: Promise<unknown>) => void;

export class OwedCalls<T> {
  /** What this isolate owes each object, by the object's name. */
  private readonly owed = new WindowBatches<T>();

  /** @param failure the log line's `msg` when a batch could not be delivered at all */
  constructor(private readonly failure: string) {}

  /**
   * The item is owed to `name`. For the request that opens the debt, settles once the window has passed and
   * it flushed what nobody carried; for the others, at once (see above). Never rejects.
   */
  later(name: string, item: T, windowMs: number, send: SendBatch<T>): Promise<void> {
    return this.owed.add(name, item, () => ({
      windowMs,
      send: retrying(send, {
        attempts: 3,
        backoffMs: 50,
        giveUp: (items, err) =>
          console.error(JSON.stringify({ msg: this.failure, to: name, items: items.length, error: String(err) })),
      }),
    }));
  }

  /** Takes what is owed to `name` for a call to carry; undefined when nothing is. */
  carry(name: string): Carried<T> | undefined {
    const debt = this.owed.take(name);
    if (!debt) return undefined;
    return {
      items: debt.items,
      settle: async (delivered) => {
        if (delivered) return;
        await Promise.all(debt.items.map((item) => this.owed.add(name, item, () => debt.plan)));
      },
    };
  }

  /**
   * Makes `call` carry what is owed to `name`: delivered when it resolves, owed again when it throws, the
   * flush that sends them again held by `hold`. The call's own result or error passes through.
   */
  async ride<R>(name: string, call: (items: T[] | undefined) => Promise<R>, hold: Hold): Promise<R> {
    const carried = this.carry(name);
    try {
      return await call(carried?.items);
    } catch (err) {
      if (carried) hold(carried.settle(false));
      throw err;
    }
  }
}
