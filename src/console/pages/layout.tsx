// The frame of every console page: navigation, who is signed in, the open-console warning, scripts (no inline ones).
import type { ComponentChildren } from 'preact';

export interface PageFrame {
  /** The signed-in staff member's name; undefined for an unnamed token or an open console. */
  staffName?: string;
  signedIn: boolean;
  /** No HANDOFF_API_TOKEN: anyone who reaches the console can act. */
  open: boolean;
  sandbox: boolean;
  csrfToken: string;
  current: 'handoffs' | 'overview' | 'mailbox' | 'erase' | 'sign-in';
}

const NAV: { key: PageFrame['current']; href: string; label: string; sandboxOnly?: boolean }[] = [
  { key: 'handoffs', href: '/', label: 'Handoffs' },
  { key: 'overview', href: '/console/overview', label: 'Overview' },
  { key: 'mailbox', href: '/console/mailbox', label: 'Sandbox mailbox', sandboxOnly: true },
  { key: 'erase', href: '/console/erase', label: 'Erase a customer' },
];

export function Layout(props: {
  frame: PageFrame;
  title: string;
  children: ComponentChildren;
  scripts?: string[];
}) {
  const { frame } = props;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* htmx stays within the CSP: no eval, no injected indicator styles. */}
        <meta
          name="htmx-config"
          content='{"allowEval":false,"includeIndicatorStyles":false,"allowScriptTags":false}'
        />
        <title>{`${props.title} · site-handoff`}</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        {/* No favicon request: an empty icon. */}
        <link rel="icon" href="data:," />
        <script src="/console/assets/vendor/htmx.min.js" defer></script>
        <script src="/console/assets/console.js" defer></script>
        {(props.scripts ?? []).map((src) => (
          <script src={src} defer></script>
        ))}
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <span class="brand">site-handoff</span>
          {frame.signedIn && (
            <nav aria-label="Console">
              <ul>
                {NAV.filter((n) => !n.sandboxOnly || frame.sandbox).map((n) => (
                  <li>
                    <a href={n.href} aria-current={n.key === frame.current ? 'page' : undefined}>
                      {n.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {frame.signedIn && !frame.open && (
            <form method="post" action="/console/sign-out" class="who">
              <span>
                Signed in{frame.staffName ? ' as ' : ''}
                {frame.staffName && <strong>{frame.staffName}</strong>}
              </span>
              <input type="hidden" name="_csrf" value={frame.csrfToken} />
              <button type="submit">Sign out</button>
            </form>
          )}
        </header>
        {frame.open && (
          <p class="warning" role="alert">
            HANDOFF_API_TOKEN is not set: anyone who can reach this console can act on handoffs. Set it before
            sharing this address.
          </p>
        )}
        {frame.sandbox && frame.signedIn && (
          <p class="sandbox">Sandbox: Wix is simulated and no real email is sent.</p>
        )}
        <main id="main">{props.children}</main>
        <footer>
          <p>
            Times are shown in <span id="viewer-zone">UTC</span>.
          </p>
        </footer>
      </body>
    </html>
  );
}

/** A time in the viewer's zone (console.js rewrites it), UTC until the script runs. */
export function Time(props: { at: string | null | undefined; empty?: string }) {
  if (!props.at) return <span class="none">{props.empty ?? '—'}</span>;
  const utc = `${props.at.slice(0, 16).replace('T', ' ')} UTC`;
  return (
    <time datetime={props.at} data-local="">
      {utc}
    </time>
  );
}

export function StateBadge(props: { state: string }) {
  return <span class={`state state-${props.state}`}>{props.state}</span>;
}

export function CsrfField(props: { token: string }) {
  return <input type="hidden" name="_csrf" value={props.token} />;
}

/** A message after an action, or a refusal in plain words. */
export function Notice(props: { kind: 'done' | 'refused'; children: ComponentChildren }) {
  return (
    <p class={`notice notice-${props.kind}`} role={props.kind === 'refused' ? 'alert' : 'status'}>
      {props.children}
    </p>
  );
}
