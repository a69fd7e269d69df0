// What a refused or failed dashboard request shows: the reason in words, never a stack trace.
import { Layout } from "./layout";
import type { DashboardSession } from "./session";

export function ErrorPage(props: { session?: DashboardSession; status: number; message: string }) {
  return (
    <Layout title={props.status >= 500 ? "Something went wrong" : "Not allowed"} session={props.session}>
      <p class="notice error" role="alert">
        {props.message}
      </p>
      <p>
        <a href="/dashboard">Back to the dashboard</a>
      </p>
    </Layout>
  );
}
