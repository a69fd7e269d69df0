// A batch per key: the first item opens it, and it is sent once its window has passed or it is full.
// Whoever sends holds: the promise of the item that opened the batch is the send (after the window),
// and so is the promise of the item that filled it; every other item's promise settles at once.
// workerd cannot keep one request waiting on another's I/O (it cancels the wait and warns), and the
// sender's waitUntil keeps the isolate alive anyway. A batch can also be taken before its window ends,
// by a call that carries its items (owed-calls.ts).
import { sleep } from "./sleep";

/** How a batch is sent, fixed by the item that opens it. `send` never rejects. */
export interface BatchPlan<T> {
  windowMs: number;
  /** A batch this large is sent at once, by the request whose item filled it. */
  maxItems?: number;
  send(items: T[]): Promise<void>;
}

export interface Batch<T> {
  items: T[];
  plan: BatchPlan<T>;
}

export class WindowBatches<T> {
  /** The batch still open for each key in this isolate. */
  private readonly open = new Map<string, Batch<T>>();

  /** Adds `item` to `key`'s open batch, or opens one sent by `plan()`; settles as above. Never rejects. */
  add(key: string, item: T, plan: () => BatchPlan<T>): Promise<void> {
    const batch = this.open.get(key);
    if (batch) {
      batch.items.push(item);
      const full = batch.items.length >= (batch.plan.maxItems ?? Number.POSITIVE_INFINITY);
      return full ? this.send(key, batch) : Promise.resolve();
    }
    const fresh: Batch<T> = { items: [item], plan: plan() };
    this.open.set(key, fresh);
    return sleep(fresh.plan.windowMs).then(() => this.send(key, fresh));
  }

  /** Takes `key`'s open batch for a call to carry (its window then sends nothing); undefined when none is open. */
  take(key: string): Batch<T> | undefined {
    const batch = this.open.get(key);
    this.open.delete(key);
    return batch;
  }

  private send(key: string, batch: Batch<T>): Promise<void> {
    if (this.open.get(key) !== batch) return Promise.resolve(); // sent when it filled, or carried
    this.open.delete(key);
    return batch.plan.send(batch.items);
  }
}

/** `send`, tried up to `attempts` times `backoffMs × attempt` apart; `giveUp` gets the last error. Never rejects. */
export function retrying<T>(
  send: (items: T[]) => Promise<unknown>,
  { attempts, backoffMs, giveUp }: { attempts: number; backoffMs: number; giveUp: (items: T[], err: unknown) => void },
): (items: T[]) => Promise<void> {
  return async (items) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await send(items);
        return;
      } catch (err) {
        if (attempt >= attempts) {
          giveUp(items, err);
          return;
        }
        await sleep(backoffMs * attempt);
      }
    }
  };
}
