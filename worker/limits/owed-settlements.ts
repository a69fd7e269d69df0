// Settlements ride on later calls (owed-calls.ts), as lease releases do: a limited request that ends owes
// its limiter a settlement, and the next admission this isolate asks of that limiter carries it (applied
// before it admits, so this isolate's next request is judged on what its last one really used). When no
// admission comes within LIMITS_SETTLE_WINDOW_MS, one `settle` call takes all that is owed. A limited
// request so costs one LimiterObject call, not two. Until it arrives the reservation, the worst case,
// still counts: a late settlement can only refuse early, never admit past a limit.
import { configOf } from "../config";
import type { LimiterScope, Settlement } from "../contracts";
import type { Env } from "../env";
import { type Carried, type Hold, OwedCalls } from "../owed-calls";
import { limiterFor, limiterName } from "../stubs";

const settlements = new OwedCalls<Settlement>("limiter_settle_failed");

/** Owed to `scope`'s limiter (which passes it on to `parent`'s); resolves when this request has nothing more to send. */
export const settleLater = (env: Env, scope: LimiterScope, parent: LimiterScope | null, s: Settlement): Promise<void> =>
  settlements.later(limiterName(scope), s, configOf(env).LIMITS_SETTLE_WINDOW_MS, (batch) =>
    limiterFor(env, scope).settle(batch, parent),
  );

/** Makes an admission by `scope`'s limiter carry what is owed to it (owed-calls.ts `ride`); `hold` keeps a resend. */
export const withSettlements = <R>(
  scope: LimiterScope,
  call: (settled: Settlement[] | undefined) => Promise<R>,
  hold: Hold,
) => settlements.ride(limiterName(scope), call, hold);

/** Takes what is owed to `scope`'s limiter for a call to carry; undefined when nothing is. */
export const carrySettlements = (scope: LimiterScope): Carried<Settlement> | undefined =>
  settlements.carry(limiterName(scope));
