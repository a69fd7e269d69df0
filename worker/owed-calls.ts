// What an isolate owes a Durable Object but need not say at once (a lease's release, a limiter's
// settlement): owed items ride on the isolate's next call to that object, or, when none comes within
// the window, go in one batch call. Each item's promise settles once it is delivered (never rejects),
// made in its own request's context, so that request's waitUntil holds the isolate until then. The
// object must take an item twice as once: one whose carrying call failed is simply owed again.

const FLUSH_ATTEMPTS = 3;

/** Delivers a batch in one call (on a fresh stub: one that saw an exception may be broken for good). */
export type SendBatch<T> = (items: T[]) => Promise<unknown>;

/** Items a call to the object can carry; the caller says whether its call went through. */
export interface Carried<T> {
  items: T[];
  settle(delivered: boolean): void;
}

interface Debt<T> {
  items: T[];
  /** One per item, each made in its own request's context. */
  delivered: (() => void)[];
  windowMs: number;
  send: SendBatch<T>;
}

export class OwedCalls<T> {
  /** What this isolate owes each object, by the object's name. */
  private readonly owed = new Map<string, Debt<T>>();

  /** @param failure the log line's `msg` when a batch could not be delivered at all */
  constructor(private readonly failure: string) {}

  /** The item is owed to `name`; resolves once it is delivered (carried, or sent after `windowMs`). */
  later(name: string, item: T, windowMs: number, send: SendBatch<T>): Promise<void> {
    let debt = this.owed.get(name);
    if (!debt) {
      const fresh: Debt<T> = { items: [], delivered: [], windowMs, send };
      debt = fresh;
      this.owed.set(name, fresh);
      setTimeout(() => void this.flush(name, fresh), windowMs);
    }
    const done = new Promise<void>((resolve) => debt.delivered.push(resolve));
    debt.items.push(item);
    return done;
  }

  /** Takes what is owed to `name` for a call to carry; undefined when nothing is. */
  carry(name: string): Carried<T> | undefined {
    const debt = this.owed.get(name);
    if (!debt) return undefined;
    this.owed.delete(name);
    return {
      items: debt.items,
      settle: (delivered) => {
        if (delivered) for (const resolve of debt.delivered) resolve();
        else
          for (const [i, item] of debt.items.entries())
            void this.later(name, item, debt.windowMs, debt.send).then(debt.delivered[i]);
      },
    };
  }

  /**
   * Makes `call` carry what is owed to `name`: delivered when it resolves, owed again when it throws.
   * The call's own result or error passes through.
   */
  async ride<R>(name: string, call: (items: T[] | undefined) => Promise<R>): Promise<R> {
    const carried = this.carry(name);
    try {
      const result = await call(carried?.items);
      carried?.settle(true);
      return result;
    } catch (err) {
      carried?.settle(false);
      throw err;
    }
  }

  private async flush(name: string, debt: Debt<T>): Promise<void> {
    if (this.owed.get(name) !== debt) return; // a call carried them
    this.owed.delete(name);
    for (let attempt = 1; ; attempt++) {
      try {
        await debt.send(debt.items);
        break;
      } catch (err) {
        if (attempt >= FLUSH_ATTEMPTS) {
          console.error(JSON.stringify({ msg: this.failure, to: name, items: debt.items.length, error: String(err) }));
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
    for (const resolve of debt.delivered) resolve();
  }
}
