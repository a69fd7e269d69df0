// Sign-in with an API key, and the messages a wrong or revoked key gets.
import { Layout } from "../layout";

export function SignInPage(props: { error?: string; notice?: string }) {
  return (
    <Layout title="Sign in">
      {props.error ? (
        <p class="notice error" role="alert">
          {props.error}
        </p>
      ) : null}
      {props.notice ? <p class="notice">{props.notice}</p> : null}
      <form method="post" action="/dashboard/sign-in">
        <p>
          <label for="key">API key</label>
          <br />
          <input id="key" name="key" type="password" autocomplete="off" required size={48} placeholder="sk-inv-…" />
        </p>
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">The key is checked once and never stored in the browser; the session ends when it is revoked.</p>
    </Layout>
  );
}
