// Sandbox only: the emails the Wix simulator "sent", so a newcomer can play the customer from the browser.
import { CsrfField, Layout, Notice, Time, type PageFrame } from './layout';

export interface MailboxEmail {
  to: string;
  kind: 'invite' | 'resend';
  inviteId: string;
  siteId: string;
  at: string;
  /** The invite's state at the simulator: Pending, Accepted, Expired, Revoked… */
  inviteStatus?: string;
}

export function MailboxPage(props: {
  frame: PageFrame;
  emails: MailboxEmail[];
  notice?: string;
  refused?: string;
}) {
  return (
    <Layout frame={props.frame} title="Sandbox mailbox">
      <h1>Sandbox mailbox</h1>
      <p>Every email the simulated Wix sent, newest first. Accept an invite to play the customer.</p>
      {props.notice && <Notice kind="done">{props.notice}</Notice>}
      {props.refused && <Notice kind="refused">{props.refused}</Notice>}
      <table class="mailbox">
        <caption>{props.emails.length ? `${props.emails.length} emails` : 'No email sent yet.'}</caption>
        <thead>
          <tr>
            <th scope="col">To</th>
            <th scope="col">Email</th>
            <th scope="col">Site</th>
            <th scope="col">Sent</th>
            <th scope="col">Invite</th>
            <th scope="col">Play the customer</th>
          </tr>
        </thead>
        <tbody>
          {props.emails.map((m) => (
            <tr data-invite={m.inviteId}>
              <td>{m.to}</td>
              <td>{m.kind === 'invite' ? 'Invitation to the site' : 'Reminder'}</td>
              <td class="mono">{m.siteId}</td>
              <td>
                <Time at={m.at} />
              </td>
              <td>
                <span class="mono">{m.inviteId}</span> {m.inviteStatus && `(${m.inviteStatus})`}
              </td>
              <td>
                {m.inviteStatus === 'Pending' ? (
                  <form method="post" action={`/console/mailbox/${encodeURIComponent(m.inviteId)}/accept`}>
                    <CsrfField token={props.frame.csrfToken} />
                    <button type="submit">Accept as {m.to}</button>
                  </form>
                ) : (
                  ''
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
