// Lease releases ride on later calls: a request that ends owes its fleet a release, and the next acquire
// this isolate sends to that fleet carries it (the object applies releases before it chooses), so a request
// costs one FleetObject call, not two. When no acquire comes within FLEET_RELEASE_WINDOW_MS, one
// `releaseBatch` call takes all that is owed. Each caller's promise settles once its release is delivered,
// so its request's waitUntil holds the isolate until then; a release is idempotent (the object ignores an
// unknown or returned lease), so one whose call failed is simply owed again. The 15-minute lease expiry
// stays the net for an isolate that dies owing.
import { configOf } from "../config";
import type { FleetScope, LeaseRelease } from "../contracts";
import type { Env } from "../env";
import { fleetFor, fleetName } from "../stubs";

const FLUSH_ATTEMPTS = 3;

interface Owed {
  releases: LeaseRelease[];
  /** One per release, each made in its own request's context. */
  delivered: (() => void)[];
}

/** What this isolate owes each fleet, by fleet name. */
const owed = new Map<string, Owed>();

/** The release is owed to its fleet; resolves once it is delivered (by an acquire or the flush), never rejects. */
export function releaseLater(env: Env, scope: FleetScope, replica: number, release: LeaseRelease): Promise<void> {
  const name = fleetName(scope, replica);
  let entry = owed.get(name);
  if (!entry) {
    const fresh: Owed = { releases: [], delivered: [] };
    entry = fresh;
    owed.set(name, fresh);
    setTimeout(() => void flush(env, scope, replica, fresh), configOf(env).FLEET_RELEASE_WINDOW_MS);
  }
  const done = new Promise<void>((resolve) => entry.delivered.push(resolve));
  entry.releases.push(release);
  return done;
}

/** Releases a call to this fleet can carry; the caller says whether the call went through. */
export interface Carried {
  releases: LeaseRelease[];
  settle(delivered: boolean): void;
}

/** Takes what is owed to the fleet for an acquire to carry; undefined when nothing is. */
export function carryReleases(env: Env, scope: FleetScope, replica: number): Carried | undefined {
  const name = fleetName(scope, replica);
  const entry = owed.get(name);
  if (!entry) return undefined;
  owed.delete(name);
  return {
    releases: entry.releases,
    settle(delivered) {
      if (delivered) for (const resolve of entry.delivered) resolve();
      else
        for (const [i, release] of entry.releases.entries())
          void releaseLater(env, scope, replica, release).then(entry.delivered[i]);
    },
  };
}

async function flush(env: Env, scope: FleetScope, replica: number, entry: Owed): Promise<void> {
  const name = fleetName(scope, replica);
  if (owed.get(name) !== entry) return; // an acquire carried them
  owed.delete(name);
  for (let attempt = 1; ; attempt++) {
    try {
      // A fresh stub each time: a stub that saw an exception may be broken for good.
      await fleetFor(env, scope, replica).releaseBatch(entry.releases);
      break;
    } catch (err) {
      if (attempt >= FLUSH_ATTEMPTS) {
        // The leases stop counting at their expiry; the breaker misses these outcomes.
        console.error(
          JSON.stringify({
            msg: "lease_release_failed",
            fleet: name,
            leases: entry.releases.length,
            error: String(err),
          }),
        );
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
  for (const resolve of entry.delivered) resolve();
}
