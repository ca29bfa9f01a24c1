// The confirmation step of a staff action: what will happen, the fields it needs, and the refusal if it was refused.
import type { HandoffView } from '../../handoff-client';
import { CsrfField, Layout, Notice, type PageFrame } from './layout';
import { handoffHref } from './handoff-list';

export type ConsoleActionKey =
  | 'revoke'
  | 'resend'
  | 'retry'
  | 'confirm-accepted'
  | 'remove-contributor'
  | 'add-invitee'
  | 'remove-invitee'
  | 'replace-invitee'
  | 'pause'
  | 'resume'
  | 'change-policy'
  | 'check-acceptance';

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
  'add-invitee': {
    key: 'add-invitee',
    label: 'Add an invitee',
    description: 'Invite one more address to this site, in the handoff’s role.',
  },
  'remove-invitee': {
    key: 'remove-invitee',
    label: 'Remove an invitee',
    description: 'Take an invitee off the handoff and revoke their pending invite at Wix.',
  },
  'replace-invitee': {
    key: 'replace-invitee',
    label: 'Replace an invitee',
    description:
      'Fix a wrong address: the new address is invited first, and the old invite is revoked only once the new one is out.',
  },
  pause: {
    key: 'pause',
    label: 'Pause reminders',
    description: 'Send no reminder until staff resume. The invite still lapses on its own date.',
  },
  resume: {
    key: 'resume',
    label: 'Resume reminders',
    description: 'Send reminders again (at most one catch-up for those passed over while paused).',
  },
  'change-policy': {
    key: 'change-policy',
    label: 'Change the policy',
    description:
      'Change this handoff’s reminder schedule, acceptance check or renewals. Blank fields stay as they are.',
  },
  'check-acceptance': {
    key: 'check-acceptance',
    label: 'Check acceptance now',
    description: 'Ask Wix now whether the customer accepted, instead of waiting for the next check.',
  },
};

/** Milliseconds in the largest whole unit people use for these durations: '2 days', '6 hours', '30 minutes'. */
export function durationText(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}${ms === size ? '' : 's'}`;
  }
  return `${ms} ms`;
}

export interface ActionFormValues {
  reason?: string;
  email?: string;
  accountId?: string;
  newEmail?: string;
  reminders?: string;
  acceptancePoll?: string;
  maxRenewals?: string;
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
  // A removed (or replaced) invitee is history: it can be neither removed nor replaced again.
  const current = h.invitees.filter((i) => i.status !== 'removed');
  const policy = h.policy;
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
        {action.key === 'add-invitee' && (
          <>
            <label for="email">Address to invite{h.role ? ` (as ${h.role})` : ''}</label>
            <input id="email" name="email" type="email" required maxLength={254} value={values.email ?? ''} />
          </>
        )}
        {action.key === 'remove-invitee' && (
          <>
            <label for="email">Invitee to remove</label>
            <select id="email" name="email" required>
              {current.map((i) => (
                <option value={i.email} selected={values.email === i.email}>
                  {i.email} ({i.status})
                </option>
              ))}
            </select>
          </>
        )}
        {action.key === 'replace-invitee' && (
          <>
            <label for="email">Address to replace</label>
            <select id="email" name="email" required>
              {current.map((i) => (
                <option value={i.email} selected={values.email === i.email}>
                  {i.email} ({i.status})
                </option>
              ))}
            </select>
            <label for="newEmail">New address</label>
            <input
              id="newEmail"
              name="newEmail"
              type="email"
              required
              maxLength={254}
              value={values.newEmail ?? ''}
            />
          </>
        )}
        {(action.key === 'replace-invitee' || action.key === 'pause') && (
          <>
            <label for="reason">Reason (optional, kept in the audit trail)</label>
            <textarea id="reason" name="reason" maxLength={500} rows={2}>
              {values.reason ?? ''}
            </textarea>
          </>
        )}
        {action.key === 'change-policy' && (
          <>
            <label for="reminders">Reminders after the invite (durations separated by commas)</label>
            <input
              id="reminders"
              name="reminders"
              value={values.reminders ?? ''}
              aria-describedby="reminders-now"
              autocomplete="off"
            />
            <span id="reminders-now" class="hint">
              {policy
                ? `Now: ${policy.reminderOffsetsMs.map(durationText).join(', ') || 'none'}. For example: 1 day, 3 days`
                : 'For example: 1 day, 3 days'}
            </span>
            <label for="acceptancePoll">Check for an acceptance every (a duration)</label>
            <input
              id="acceptancePoll"
              name="acceptancePoll"
              value={values.acceptancePoll ?? ''}
              aria-describedby="acceptancePoll-now"
              autocomplete="off"
            />
            <span id="acceptancePoll-now" class="hint">
              {policy
                ? `Now: every ${durationText(policy.acceptancePollMs)}. For example: 6h`
                : 'For example: 6h'}
            </span>
            <label for="maxRenewals">Most renewals of an expired invite</label>
            <input
              id="maxRenewals"
              name="maxRenewals"
              type="number"
              min={0}
              max={12}
              step={1}
              value={values.maxRenewals ?? ''}
              aria-describedby="maxRenewals-now"
            />
            <span id="maxRenewals-now" class="hint">
              {policy ? `Now: at most ${policy.maxRenewals}.` : 'A whole number, 0 or more.'}
            </span>
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
