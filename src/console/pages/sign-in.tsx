// Staff sign in by pasting their API token into a password field; it is posted, never put in a URL.
import { CsrfField, Layout, Notice, type PageFrame } from './layout';

export function SignInPage(props: { frame: PageFrame; refused?: string }) {
  return (
    <Layout frame={props.frame} title="Sign in">
      <h1>Sign in</h1>
      {props.refused && <Notice kind="refused">{props.refused}</Notice>}
      <form method="post" action="/console/sign-in" class="card narrow">
        <CsrfField token={props.frame.csrfToken} />
        <label for="token">Staff API token</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        <p class="hint">
          One of the tokens in HANDOFF_API_TOKEN (name:token entries name you in the audit trail).
        </p>
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}
