// The page frame: navigation by role, a sign-out form with its CSRF token, and the small stylesheet.
// Everything is inline and served by the Worker: nothing is fetched from anywhere else.
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { ApiKeyRole } from "../../schema";
import type { DashboardSession } from "./session";

export interface Page {
  path: string;
  title: string;
  /** Who may open it. */
  roles: readonly ApiKeyRole[];
}

const ADMIN = ["admin"] as const;
const ANYONE = ["admin", "member"] as const;

/** The pages, in the order the navigation shows them. */
export const pages = {
  fleet: { path: "/dashboard/fleet", title: "Fleet", roles: ADMIN },
  usage: { path: "/dashboard/usage", title: "Usage", roles: ANYONE },
  requests: { path: "/dashboard/requests", title: "Requests", roles: ANYONE },
  keys: { path: "/dashboard/keys", title: "Keys", roles: ADMIN },
  sessions: { path: "/dashboard/sessions", title: "Sessions", roles: ANYONE },
  models: { path: "/dashboard/models", title: "Models", roles: ANYONE },
} as const satisfies Record<string, Page>;
export type PageName = keyof typeof pages;

export const mayOpen = (role: ApiKeyRole, page: Page) => (page.roles as readonly ApiKeyRole[]).includes(role);

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#5b6470;--line:#d6dae0;--accent:#0b5cad;--bad:#b42318;--ok:#1a7f37;--warn:#9a6700}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ee;--bg:#14171b;--muted:#9aa4b2;--line:#333a44;--accent:#6cb6ff;--bad:#ff7b72;--ok:#56d364;--warn:#e3b341}}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line);flex-wrap:wrap}
header nav{display:flex;gap:.8rem;flex:1}header a{color:var(--accent);text-decoration:none}header a[aria-current=page]{font-weight:700;text-decoration:underline}
main{padding:1rem;max-width:1400px}h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.2rem 0 .5rem}
table{border-collapse:collapse;width:100%;margin-bottom:1rem}.table-wrap{overflow-x:auto}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.nowrap{white-space:nowrap}
button,input,select{font:inherit}button{cursor:pointer;border:1px solid var(--line);background:transparent;color:var(--fg);border-radius:4px;padding:.15rem .5rem}
button.danger{color:var(--bad);border-color:var(--bad)}form.inline{display:inline}
.small{font-size:.85em}.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}.muted{color:var(--muted)}
.notice{border:1px solid var(--line);border-left:4px solid var(--accent);padding:.5rem .8rem;margin:.5rem 0 1rem}.notice.error{border-left-color:var(--bad)}
code.secret{font-size:1rem;user-select:all;word-break:break-all}
.filters{display:flex;gap:.8rem;flex-wrap:wrap;align-items:end;margin-bottom:1rem}.filters label{display:flex;flex-direction:column;gap:.1rem;color:var(--muted)}
svg.chart{max-width:100%;height:auto}svg.chart text{fill:var(--muted);font-size:11px}svg.chart .bar{fill:var(--accent)}svg.chart .axis{stroke:var(--line)}
`;

/**
 * Refreshes <main> in place every few seconds, without a navigation (no lost scroll, and a click
 * or a link followed meanwhile is never cut off). A failed fetch just waits for the next round.
 */
const REFRESH_SCRIPT = `(() => {
  const main = document.querySelector("main[data-refresh]");
  const every = Number(main.dataset.refresh) * 1000;
  const tick = async () => {
    try {
      const res = await fetch(location.href, { headers: { accept: "text/html" }, redirect: "manual" });
      if (res.ok) {
        const next = new DOMParser().parseFromString(await res.text(), "text/html").querySelector("main");
        if (next) main.replaceChildren(...next.childNodes);
      }
    } catch {}
    setTimeout(tick, every);
  };
  setTimeout(tick, every);
})();`;

/** A form field carrying the session's CSRF token; every state-changing form has one. */
export const CsrfField = ({ session }: { session: DashboardSession }) => (
  <input type="hidden" name="_csrf" value={session.csrf} />
);

export function Layout(props: {
  title: string;
  session?: DashboardSession;
  current?: PageName;
  /** Seconds between automatic refreshes of the page's content (the fleet page). */
  refreshSeconds?: number;
  children: Child;
}) {
  const { session, current } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <link rel="icon" href="data:," />
        <title>{`${props.title} · Inventiv router`}</title>
        <style>{STYLE}</style>
      </head>
      <body>
        <header>
          <strong>Inventiv router</strong>
          {session ? (
            <>
              <nav aria-label="Dashboard">
                {Object.entries(pages)
                  .filter(([, p]) => mayOpen(session.caller.role, p))
                  .map(([name, p]) => (
                    <a href={p.path} aria-current={name === current ? "page" : undefined}>
                      {p.title}
                    </a>
                  ))}
              </nav>
              <span class="muted">
                {session.caller.organizationSlug} · {session.caller.role}
              </span>
              <form method="post" action="/dashboard/sign-out" class="inline">
                <CsrfField session={session} />
                <button type="submit">Sign out</button>
              </form>
            </>
          ) : null}
        </header>
        <main data-refresh={props.refreshSeconds ? String(props.refreshSeconds) : undefined}>
          <h1>{props.title}</h1>
          {props.children}
        </main>
        {props.refreshSeconds ? <script>{raw(REFRESH_SCRIPT)}</script> : null}
      </body>
    </html>
  );
}
