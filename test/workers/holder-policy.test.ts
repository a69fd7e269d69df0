// Routing to the one host that holds a request's state: it or a reason, never another host.
import { describe, expect, it } from "vitest";
import { defaultPolicy } from "../../worker/routing/fleet-policy";
import { routeToHolder } from "../../worker/routing/holder-policy";
import { member, NOW } from "./support/fleet-member";

describe("routeToHolder", () => {
  it("takes the holder when it is routable, or draining (it still holds the state)", () => {
    expect(routeToHolder(member("a"), NOW, defaultPolicy)).toMatchObject({
      ok: true,
      member: { instanceId: "a" },
    });
    const draining = member("a", { status: "draining" });
    expect(routeToHolder(draining, NOW, defaultPolicy)).toMatchObject({ ok: true });
  });

  it("says gone for a retired or unknown host, unavailable for a stale or cooling one", () => {
    expect(routeToHolder(undefined, NOW, defaultPolicy)).toMatchObject({ ok: false, held: "gone" });
    expect(routeToHolder(member("a", { status: "terminated" }), NOW, defaultPolicy)).toEqual({
      ok: false,
      held: "gone",
      reason: "the host is terminated",
    });
    const stale = member("a", { lastHeartbeatAt: NOW - 10 * 3600_000 });
    expect(routeToHolder(stale, NOW, defaultPolicy)).toMatchObject({ ok: false, held: "unavailable" });
    const cooling = member("a", { ejectedUntil: NOW + 5_000 });
    expect(routeToHolder(cooling, NOW, defaultPolicy)).toMatchObject({ ok: false, held: "unavailable" });
  });
});
