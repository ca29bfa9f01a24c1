// The confirmation step of a staff action: what will happen, the fields it needs, and the refusal if it was refused.
import type { HandoffView } from '../../handoff-client';
import {
  ESCALATION_TRIGGERS,
  type EscalationTrigger,
  type SendWindow,
  type Weekday,
} from '../../../workflows/handoff-types';
import { WEEKDAYS } from '../../../workflows/send-window';
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
  | 'check-acceptance'
  | 'restart';

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
  restart: {
    key: 'restart',
    label: 'Restart',
    description:
      'Start this ended handoff again: a new run for the same site, linked to this one, invites the customer anew.',
  },
};

export const DAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

/** mon,tue,wed,fri → 'Mon–Wed, Fri'; every day → 'every day'. */
export function daysLabel(days: readonly Weekday[]): string {
  if (WEEKDAYS.every((d) => days.includes(d))) return 'every day';
  const short = (d: Weekday): string => DAY_NAMES[d].slice(0, 3);
  const runs: string[] = [];
  for (let i = 0; i < WEEKDAYS.length; i++) {
    if (!days.includes(WEEKDAYS[i])) continue;
    let j = i;
    while (j + 1 < WEEKDAYS.length && days.includes(WEEKDAYS[j + 1])) j++;
    runs.push(j === i ? short(WEEKDAYS[i]) : `${short(WEEKDAYS[i])}–${short(WEEKDAYS[j])}`);
    i = j;
  }
  return runs.join(', ');
}

/** '09:00–17:00 Mon–Fri, Europe/Berlin time'. */
export function sendWindowLabel(window: SendWindow): string {
  return `${window.from}–${window.to} ${daysLabel(window.days)}, ${window.timeZone} time`;
}

/** Every zone name the server knows, offered as suggestions; the validator still decides. */
const TIME_ZONES: readonly string[] = Intl.supportedValuesOf('timeZone');

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
  checksAfterEmail?: string;
  maxRenewals?: string;
  escalateAfter?: string;
  escalateTo?: string;
  /** The endings ticked; undefined before the form was sent (then the policy's are ticked). */
  escalateOn?: string[];
  expiryWarning?: string;
  timeZone?: string;
  windowFrom?: string;
  windowTo?: string;
  /** The days ticked; undefined before the form was ever sent (then the window's days, or Mon–Fri, are ticked). */
  days?: string[];
  /** Restart: whom to invite, separated by commas; blank for the previous invitees. */
  emails?: string;
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
  const window = policy?.sendWindow;
  const ticked: readonly string[] = values.days ?? window?.days ?? WEEKDAYS.slice(0, 5);
  // As restartHandoff picks them when the field is left blank.
  const reinvited = h.invitees
    .filter((i) => i.status !== 'accepted' && i.status !== 'removed')
    .map((i) => i.email);
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
        {(action.key === 'revoke' || action.key === 'restart') && (
          <>
            <label for="reason">Reason (kept in the audit trail)</label>
            <textarea id="reason" name="reason" required maxLength={500} rows={3}>
              {values.reason ?? ''}
            </textarea>
          </>
        )}
        {action.key === 'restart' && (
          <>
            <label for="emails">Addresses to invite (optional, separated by commas)</label>
            <input
              id="emails"
              name="emails"
              value={values.emails ?? ''}
              maxLength={5000}
              aria-describedby="emails-default"
              autocomplete="off"
            />
            <span id="emails-default" class="hint">
              {reinvited.length
                ? `Left blank: ${reinvited.join(', ')} (the invitees who neither accepted nor were removed).`
                : 'Left blank: the previous invitees who neither accepted nor were removed.'}
            </span>
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
            <InviteeSelect label="Invitee to remove" invitees={current} selected={values.email} />
          </>
        )}
        {action.key === 'replace-invitee' && (
          <>
            <InviteeSelect label="Address to replace" invitees={current} selected={values.email} />
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
            <PolicyField
              name="reminders"
              label="Reminders after the invite (durations separated by commas)"
              value={values.reminders}
              now={
                policy
                  ? `Now: ${policy.reminderOffsetsMs.map(durationText).join(', ') || 'none'}. For example: 1 day, 3 days`
                  : 'For example: 1 day, 3 days'
              }
            />
            <PolicyField
              name="acceptancePoll"
              label="Check for an acceptance every (a duration)"
              value={values.acceptancePoll}
              now={
                policy
                  ? `Now: every ${durationText(policy.acceptancePollMs)}. For example: 6h`
                  : 'For example: 6h'
              }
            />
            <PolicyField
              name="checksAfterEmail"
              label="Acceptance checks after each email (durations after it, separated by commas; “none” for the steady rate only)"
              value={values.checksAfterEmail}
              now={
                policy?.checkAfterEmailMs?.length
                  ? `Now: ${policy.checkAfterEmailMs.length} checks, ${durationText(policy.checkAfterEmailMs[0])} to ${durationText(policy.checkAfterEmailMs.at(-1)!)} after each email. For example: 10m, 30m, 2h`
                  : 'Now: none, only the steady rate above. For example: 10m, 30m, 2h'
              }
            />
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
            <PolicyField
              name="expiryWarning"
              label="Expiry warning: a last reminder this long before the invite lapses"
              value={values.expiryWarning}
              now={
                policy?.expiryWarningMs !== undefined
                  ? `Now: ${durationText(policy.expiryWarningMs)} before. For example: 3 days`
                  : 'Now: none. For example: 3 days'
              }
            />
            <PolicyField
              name="escalateAfter"
              label="Escalate when nobody has accepted this long after the first invite (a duration, or “off”)"
              value={values.escalateAfter}
              now={
                policy?.escalateAfterMs !== undefined
                  ? `Now: after ${durationText(policy.escalateAfterMs)}. For example: 7 days`
                  : 'Now: off. For example: 7 days'
              }
            />
            <PolicyField
              name="escalateTo"
              label="Escalate to (an account manager’s email, or a Slack channel such as #accounts)"
              value={values.escalateTo}
              now={policy?.escalateTo ? `Now: ${policy.escalateTo}.` : 'Now: nobody named.'}
            />
            <fieldset class="days escalate-on">
              <legend>Also escalate when the handoff</legend>
              <input type="hidden" name="escalateOnShown" value="1" />
              {ESCALATION_TRIGGERS.map((t) => (
                <span class="day">
                  <input
                    id={`escalateOn-${t}`}
                    name="escalateOn"
                    type="checkbox"
                    value={t}
                    checked={(values.escalateOn ?? policy?.escalateOn ?? []).includes(t)}
                  />
                  <label for={`escalateOn-${t}`}>{TRIGGER_LABELS[t]}</label>
                </span>
              ))}
            </fieldset>
            <fieldset class="send-window" aria-describedby="sendWindow-now">
              <legend>Send window: reminders only in the customer’s hours</legend>
              <span id="sendWindow-now" class="hint">
                {window
                  ? `Now: ${sendWindowLabel(window)}. Blank fields keep it; it can be changed, not removed.`
                  : 'Now: any time. Give the time zone, from and to to set one, e.g. Europe/Berlin, 09:00 to 17:00.'}
              </span>
              <label for="timeZone">Customer’s time zone</label>
              <input
                id="timeZone"
                name="timeZone"
                list="time-zones"
                value={values.timeZone ?? ''}
                autocomplete="off"
              />
              <datalist id="time-zones">
                {TIME_ZONES.map((z) => (
                  <option value={z} />
                ))}
              </datalist>
              <div class="times">
                <span>
                  <label for="windowFrom">From (local time)</label>
                  <input id="windowFrom" name="windowFrom" type="time" value={values.windowFrom ?? ''} />
                </span>
                <span>
                  <label for="windowTo">To (local time)</label>
                  <input id="windowTo" name="windowTo" type="time" value={values.windowTo ?? ''} />
                </span>
              </div>
              <fieldset class="days">
                <legend>Days</legend>
                {WEEKDAYS.map((d) => (
                  <span class="day">
                    <input
                      id={`day-${d}`}
                      name="days"
                      type="checkbox"
                      value={d}
                      checked={ticked.includes(d)}
                    />
                    <label for={`day-${d}`}>{DAY_NAMES[d]}</label>
                  </span>
                ))}
              </fieldset>
            </fieldset>
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

/** One policy field: its label, the text input, and what the policy says now (the input's description). */
function PolicyField(props: { name: string; label: string; value: string | undefined; now: string }) {
  return (
    <>
      <label for={props.name}>{props.label}</label>
      <input
        id={props.name}
        name={props.name}
        value={props.value ?? ''}
        aria-describedby={`${props.name}-now`}
        autocomplete="off"
      />
      <span id={`${props.name}-now`} class="hint">
        {props.now}
      </span>
    </>
  );
}

const TRIGGER_LABELS: Record<EscalationTrigger, string> = {
  expired: 'expires',
  failed: 'fails',
  needs_attention: 'needs attention',
};

/** The invitees a change can name, as a labelled select. */
function InviteeSelect(props: {
  label: string;
  invitees: { email: string; status: string }[];
  selected?: string;
}) {
  return (
    <>
      <label for="email">{props.label}</label>
      <select id="email" name="email" required>
        {props.invitees.map((i) => (
          <option value={i.email} selected={props.selected === i.email}>
            {i.email} ({i.status})
          </option>
        ))}
      </select>
    </>
  );
}
