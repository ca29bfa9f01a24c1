// One handoff: its facts, invitees and invite ids, alerts, what happens next, the audit timeline, and the actions.
import type { HandoffView } from '../../handoff-client';
import type { EscalationCause } from '../../../workflows/handoff-types';
import { Layout, Notice, StateBadge, Time, type PageFrame } from './layout';
import { handoffHref } from './handoff-list';
import { durationText, sendWindowLabel, type ConsoleAction } from './handoff-action';
import type { HandoffDeliveries } from '../../notify/delivery-views';
import { NotificationsPanel } from './notifications';

const ESCALATION_CAUSES: Record<EscalationCause, string> = {
  no_acceptance: 'not accepted in time',
  expired: 'the invite expired',
  failed: 'the handoff failed',
  needs_attention: 'the handoff needs attention',
};

type Policy = NonNullable<HandoffView['policy']>;

/** A span rounded up to whole hours past the first hour: a schedule's last offset is rarely round. */
const withinText = (ms: number): string =>
  ms <= 3_600_000 ? durationText(ms) : durationText(Math.ceil(ms / 3_600_000) * 3_600_000);

/** The checks after each email (adaptive) and the steady rate, or the fixed poll of older handoffs. */
function checksText(policy: Policy): string {
  const after = policy.checkAfterEmailMs ?? [];
  const every = durationText(policy.acceptancePollMs);
  if (after.length === 0) return `every ${every}`;
  return (
    `${after.length} ${after.length === 1 ? 'check' : 'checks'} in the ${withinText(after.at(-1)!)} after each ` +
    `email (the first after ${durationText(after[0])}), then every ${every}`
  );
}

/** When it escalates, to whom, and on which endings; older handoffs (no escalateAfter) never escalate. */
function escalationText(policy: Policy): string {
  if (policy.escalateAfterMs === undefined && !policy.escalateOn?.length) return 'off';
  const parts = [
    policy.escalateAfterMs !== undefined
      ? `after ${durationText(policy.escalateAfterMs)} without acceptance`
      : 'not for lack of acceptance',
    ...(policy.escalateOn?.length
      ? [`on ${policy.escalateOn.map((t) => t.replace('_', ' ')).join(', ')}`]
      : []),
  ];
  return `${parts.join('; ')}${policy.escalateTo ? `, to ${policy.escalateTo}` : ''}`;
}

export interface HandoffDetailView {
  handoff: HandoffView;
  /** The staff actions the page offers; the workflow's machine still decides whether each is allowed. */
  actions: ConsoleAction[];
  temporalUiUrl?: string;
  /** This run restarted an ended one: that run in the Temporal UI. */
  previousRunUrl?: string;
  notice?: string;
  /** The notification log (undefined: the ledger has no record of the handoff yet). */
  deliveries?: HandoffDeliveries;
  /** Whether notification endpoints are configured on this service. */
  notificationsConfigured?: boolean;
  pollSeconds: number;
}

export function HandoffDetailPage(props: { frame: PageFrame; view: HandoffDetailView }) {
  const { handoff: h, actions, notice } = props.view;
  const running = h.endedAt === null || h.endedAt === undefined ? h.source === 'temporal' : false;
  const earliestExpiry = h.invitees
    .filter((i) => i.status === 'pending' && i.expiresAt)
    .map((i) => i.expiresAt!)
    .sort()[0];
  const href = handoffHref(h.handoffId);
  const policy = h.policy;
  return (
    <Layout frame={props.frame} title={`Handoff ${h.siteId ?? h.handoffId}`}>
      <p class="crumbs">
        <a href="/">Handoffs</a> › {h.handoffId}
      </p>
      <h1>
        Handoff of site <span class="mono">{h.siteId ?? '—'}</span>
      </h1>
      {notice && <Notice kind="done">{notice}</Notice>}
      <div
        id="live"
        hx-get={href}
        hx-trigger={`every ${props.view.pollSeconds}s`}
        hx-select="#live"
        hx-swap="outerHTML"
      >
        {h.restartOf && (
          <p class="restart-of">
            Restarted after {h.restartOf.state} by {h.restartOf.actor}: {h.restartOf.reason}.{' '}
            {props.view.previousRunUrl ? (
              <a href={props.view.previousRunUrl} rel="noopener noreferrer" target="_blank">
                The previous run in the Temporal UI
              </a>
            ) : (
              <>
                The previous run: <span class="mono">{h.restartOf.runId}</span>
              </>
            )}
          </p>
        )}
        <dl class="facts">
          <dt>State</dt>
          <dd>
            <StateBadge state={h.state} /> {running ? '(running)' : h.endedAt ? '(ended)' : ''}
          </dd>
          <dt>Project</dt>
          <dd>{h.projectId ?? '—'}</dd>
          <dt>Role</dt>
          <dd>{h.role ?? '—'}</dd>
          <dt>Started</dt>
          <dd>
            <Time at={h.startedAt} empty="unknown" />
          </dd>
          <dt>Ended</dt>
          <dd>
            <Time at={h.endedAt} empty="still running" />
          </dd>
          <dt>Next reminder</dt>
          <dd>
            <Time at={h.nextReminderAt} empty="none scheduled" />
          </dd>
          <dt>Invite expires</dt>
          <dd>
            <Time at={earliestExpiry} empty="no pending invite" />
          </dd>
          <dt>Reminders sent</dt>
          <dd>{h.remindersSent}</dd>
          {h.paused !== undefined && (
            <>
              <dt>Reminders</dt>
              <dd class={h.paused ? 'paused' : undefined}>
                {h.paused ? (
                  <>
                    Reminders paused since <Time at={h.paused.since} /> by {h.paused.actor}
                    {h.paused.reason ? ` (${h.paused.reason})` : ''}
                  </>
                ) : (
                  'not paused'
                )}
              </dd>
            </>
          )}
          {policy && (
            <>
              <dt>Reminder schedule</dt>
              <dd class="policy-reminders">
                {policy.reminderOffsetsMs.length
                  ? `${policy.reminderOffsetsMs.map(durationText).join(', ')} after the invite`
                  : 'no reminders'}
              </dd>
              <dt>Acceptance check</dt>
              <dd class="policy-poll">{checksText(policy)}</dd>
              <dt>Renewals</dt>
              <dd class="policy-renewals">
                at most {policy.maxRenewals} {policy.maxRenewals === 1 ? 'renewal' : 'renewals'} of an expired
                invite
              </dd>
              <dt>Expiry warning</dt>
              <dd class="policy-expiry-warning">
                {policy.expiryWarningMs !== undefined
                  ? `a last reminder ${durationText(policy.expiryWarningMs)} before the invite lapses`
                  : 'none'}
              </dd>
              <dt>Send window</dt>
              <dd class="policy-window">
                {policy.sendWindow ? sendWindowLabel(policy.sendWindow) : 'any time'}
              </dd>
            </>
          )}
          {h.nextCheckAt !== undefined && (
            <>
              <dt>Next acceptance check</dt>
              <dd class="next-check">
                <Time at={h.nextCheckAt} empty="none due" />
                {h.nextCheckAt && h.nextCheckReason ? ` (${h.nextCheckReason})` : ''}
              </dd>
            </>
          )}
          {policy && (
            <>
              <dt>Escalation</dt>
              <dd class="policy-escalation">{escalationText(policy)}</dd>
            </>
          )}
          {h.escalationDueAt && (
            <>
              <dt>Escalates</dt>
              <dd class="escalation-due">
                <Time at={h.escalationDueAt} /> if nobody accepts
              </dd>
            </>
          )}
          {(h.escalations ?? []).length > 0 && (
            <>
              <dt>Escalated</dt>
              <dd class="escalations">
                <ul>
                  {(h.escalations ?? []).map((e) => (
                    <li data-cause={e.cause}>
                      {ESCALATION_CAUSES[e.cause]} on <Time at={e.at} />
                      {e.to ? ` to ${e.to}` : ''}
                    </li>
                  ))}
                </ul>
              </dd>
            </>
          )}
          <dt>Read from</dt>
          <dd>{h.source === 'temporal' ? 'Temporal (live)' : 'the ledger (lasting record)'}</dd>
        </dl>
        {h.failure && (
          <section class="failure" aria-labelledby="failure-heading">
            <h2 id="failure-heading">Failure</h2>
            <p>{h.failure}</p>
          </section>
        )}
        {h.alerts.length > 0 && (
          <section class="alerts" aria-labelledby="alerts-heading">
            <h2 id="alerts-heading">Needs staff</h2>
            <ul>
              {h.alerts.map((a) => (
                <li>{a}</li>
              ))}
            </ul>
          </section>
        )}
        {h.lastRefusal && (
          <section aria-labelledby="refusal-heading">
            <h2 id="refusal-heading">Last refused request</h2>
            <p>
              <Time at={h.lastRefusal.at} />: {h.lastRefusal.request} was refused: {h.lastRefusal.reason}
            </p>
          </section>
        )}
        <h2>Invitees</h2>
        <table class="invitees">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Invite id</th>
              <th scope="col">Wix status</th>
              <th scope="col">Expires</th>
              <th scope="col">Reminders</th>
              <th scope="col">Renewals</th>
              <th scope="col">Accepted</th>
              <th scope="col">Problem</th>
              <th scope="col">Invite link</th>
            </tr>
          </thead>
          <tbody>
            {h.invitees.map((i, n) => (
              <tr data-invitee={i.email} class={i.status === 'removed' ? 'removed' : undefined}>
                <td>{i.email}</td>
                <td class="mono">{i.inviteId ?? '—'}</td>
                <td>
                  {i.status}
                  {i.replacedBy && <span class="change"> (replaced by {i.replacedBy})</span>}
                  {i.replaces && <span class="change"> (replaces {i.replaces})</span>}
                </td>
                <td>
                  <Time at={i.expiresAt} />
                </td>
                <td>{i.remindersSent}</td>
                <td>{i.renewals}</td>
                <td>
                  <Time at={i.acceptedAt} />
                </td>
                <td>{i.problem ?? ''}</td>
                <td>
                  {i.inviteLink ? (
                    <span class="copy">
                      <input
                        id={`invite-link-${n}`}
                        readOnly
                        value={i.inviteLink}
                        aria-label={`Invite link for ${i.email}`}
                      />
                      <button type="button" data-copy={`invite-link-${n}`}>
                        Copy link
                      </button>
                    </span>
                  ) : (
                    ''
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <NotificationsPanel
          handoffId={h.handoffId}
          configured={props.view.notificationsConfigured ?? false}
          deliveries={props.view.deliveries}
        />
        <h2>Timeline</h2>
        <ol class="timeline">
          {h.audit.map((a) => (
            <li>
              <Time at={a.at} /> <strong>{a.event}</strong> by <span class="actor">{a.actor}</span>
              {a.detail && <span class="detail">: {a.detail}</span>}
            </li>
          ))}
        </ol>
      </div>
      <section aria-labelledby="actions-heading" class="actions">
        <h2 id="actions-heading">Actions</h2>
        <ul>
          {actions.map((a) => (
            <li>
              <a href={`${href}/${a.key}`} class="button">
                {a.label}…
              </a>{' '}
              <span class="hint">{a.description}</span>
            </li>
          ))}
          <li>
            <a href={`${href}/record`} download>
              Download the audit record (JSON)
            </a>
          </li>
          {props.view.temporalUiUrl && (
            <li>
              <a href={props.view.temporalUiUrl} rel="noopener noreferrer" target="_blank">
                Open the workflow in the Temporal UI
              </a>
            </li>
          )}
        </ul>
      </section>
    </Layout>
  );
}
