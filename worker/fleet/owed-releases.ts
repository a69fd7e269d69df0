// Lease releases ride on later calls (owed-calls.ts): a request that ends owes its fleet a release, and
// the next acquire this isolate sends to that fleet carries it (the object applies releases before it
// chooses), so a request costs one FleetObject call, not two. When no acquire comes within
// FLEET_RELEASE_WINDOW_MS, one `releaseBatch` call takes all that is owed. A release is idempotent (the
// object ignores an unknown or returned lease). The 15-minute lease expiry stays the net for an isolate
// that dies owing; a batch that fails three times is logged (`lease_release_failed`) and left to it.
import { configOf } from "../config";
import type { FleetScope, LeaseRelease } from "../contracts";
import type { Env } from "../env";
import { type Carried, type Hold, OwedCalls } from "../owed-calls";
import { fleetFor, fleetName } from "../stubs";

const releases = new OwedCalls<LeaseRelease>("lease_release_failed");

/** The release is owed to its fleet replica; resolves when this request has nothing more to send (owed-calls.ts). */
export const releaseLater = (env: Env, scope: FleetScope, replica: number, release: LeaseRelease): Promise<void> =>
  releases.later(fleetName(scope, replica), release, configOf(env).FLEET_RELEASE_WINDOW_MS, (batch) =>
    fleetFor(env, scope, replica).releaseBatch(batch),
  );

/** Makes an acquire on the replica carry what is owed to it (owed-calls.ts `ride`); `hold` keeps a resend. */
export const withReleases = <R>(
  scope: FleetScope,
  replica: number,
  call: (releases: LeaseRelease[] | undefined) => Promise<R>,
  hold: Hold,
): Promise<R> => releases.ride(fleetName(scope, replica), call, hold);

/** Takes what is owed to the replica for a call to carry; undefined when nothing is. */
export const carryReleases = (scope: FleetScope, replica: number): Carried<LeaseRelease> | undefined =>
  releases.carry(fleetName(scope, replica));
