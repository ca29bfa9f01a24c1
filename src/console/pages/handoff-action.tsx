// The confirmation step of a staff action: what will happen, the fields it needs, and the refusal if it was refused.
import type { HandoffView } from '../../handoff-client';
import { CsrfField, Layout, Notice, type PageFrame } from './layout';
import { handoffHref } from './handoff-list';

export type ConsoleActionKey = 'revoke' | 'resend' | 'retry' | 'confirm-accepted' | 'remove-contributor';

export interface ConsoleAction {
  key: ConsoleActionKey;
  label: string;
  description: string;
}

export const ACTIONS: Record<ConsoleActionKey, ConsoleAction> = {
  revoke: {
    key: 'revoke',
    label: 'Revoke',
    description: 'Revoke every pending invite at Wix and end the handoff.',
  },
  resend: { key: 'resend', label: 'Resend now', description: 'Send the invite email again now.' },
  retry: { key: 'retry', label: 'Retry', description: 'Try again after the cause of a failure was fixed.' },
  'confirm-accepted': {
    key: 'confirm-accepted',
    label: 'Confirm who accepted',
    description: 'When Wix could not tell which invitee accepted, say who did.',
  },
  'remove-contributor': {
    key: 'remove-contributor',
    label: 'Remove a contributor',
    description: 'Remove a Wix account that kept access after the revoke.',
  },
};

export interface ActionFormValues {
  reason?: string;
  email?: string;
  accountId?: string;
}

export function HandoffActionPage(props: {
  frame: PageFrame;
  handoff: HandoffView;
  action: ConsoleAction;
  values?: ActionFormValues;
  refused?: string;
  /** Accounts named in the handoff's alerts, offered for removal. */
  alertAccounts: string[];
}) {
  const { handoff: h, action, values = {} } = props;
  const back = handoffHref(h.handoffId);
  const pending = h.invitees.filter((i) => i.status === 'pending');
  return (
    <Layout frame={props.frame} title={`${action.label} · ${h.siteId ?? h.handoffId}`}>
      <p class="crumbs">
        <a href="/">Handoffs</a> › <a href={back}>{h.handoffId}</a> › {action.label}
      </p>
      <h1>
        {action.label}: site <span class="mono">{h.siteId ?? '—'}</span>
      </h1>
      {props.refused && <Notice kind="refused">{props.refused}</Notice>}
      <form method="post" action={`${back}/${action.key}`} class="card narrow">
        <CsrfField token={props.frame.csrfToken} />
        <p>{action.description}</p>
        {action.key === 'revoke' && (
          <>
            <label for="reason">Reason (kept in the audit trail)</label>
            <textarea id="reason" name="reason" required maxLength={500} rows={3}>
              {values.reason ?? ''}
            </textarea>
          </>
        )}
        {action.key === 'resend' && (
          <>
            <label for="email">Whom to remind</label>
            <select id="email" name="email">
              <option value="">Every pending invitee</option>
              {h.invitees.map((i) => (
                <option value={i.email} selected={values.email === i.email}>
                  {i.email} ({i.status})
                </option>
              ))}
            </select>
          </>
        )}
        {action.key === 'confirm-accepted' && (
          <>
            <label for="email">Who accepted</label>
            <select id="email" name="email" required>
              {(pending.length ? pending : h.invitees).map((i) => (
                <option value={i.email} selected={values.email === i.email}>
                  {i.email}
                </option>
              ))}
            </select>
            <label for="accountId">Their Wix account id (optional)</label>
            <input id="accountId" name="accountId" value={values.accountId ?? ''} autocomplete="off" />
          </>
        )}
        {action.key === 'remove-contributor' && (
          <>
            <label for="accountId">Wix account id to remove from the site</label>
            <input
              id="accountId"
              name="accountId"
              required
              value={values.accountId ?? props.alertAccounts[0] ?? ''}
              autocomplete="off"
            />
          </>
        )}
        <div class="buttons">
          <button type="submit" class={action.key === 'revoke' ? 'danger' : undefined}>
            {`Confirm: ${action.label.toLowerCase()}`}
          </button>
          <a href={back}>Cancel</a>
        </div>
      </form>
    </Layout>
  );
}
