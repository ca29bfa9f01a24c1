// Audit entries → notification events (pure): what a receiver is told, built only from the handoff's audit trail
// and its status, so a redelivery months later rebuilds the same event from the ledger.
import { createHash } from 'node:crypto';

export const NOTIFICATION_TYPES = [
  'handoff.started',
  'handoff.invited',
  'handoff.reminded',
  'handoff.accepted',
  'handoff.expired',
  'handoff.revoked',
  'handoff.failed',
  'handoff.needs_attention',
  'handoff.escalated',
  'handoff.invitee_replaced',
  'handoff.invitee_added',
  'handoff.invitee_removed',
  'handoff.paused',
  'handoff.resumed',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** The envelope every endpoint receives (Standard Webhooks' recommended shape). */
export interface NotificationEvent {
  type: NotificationType;
  /** When it happened in the handoff (the audit entry's time); receivers order by it. */
  timestamp: string;
  data: {
    handoffId: string;
    siteId: string | null;
    projectId: string | null;
    /** The handoff's state right after the event. */
    state: string;
    /** Who caused it: a staff member, the project tool, 'wix' or 'site-handoff'. */
    actor: string;
    consoleUrl: string;
    [field: string]: string | number | boolean | null | string[];
  };
}

/** One audit entry with its absolute sequence number, as the ledger keeps it. */
export interface TrailEntry {
  seq: number;
  at: string;
  event: string;
  actor: string;
  detail?: string;
}

/** What the handoff's status says at the time of the write. */
export interface HandoffFacts {
  handoffId: string;
  siteId: string | null;
  projectId: string | null;
  role: string | null;
  state: string;
  failure: string | null;
  invitees: { email: string; status: string }[];
}

export interface MappedNotification {
  seq: number;
  event: NotificationEvent;
}

/** Earlier entries the mapping reads for context; the write path loads just these from the ledger. */
export const CONTEXT_FILTER = {
  events: [
    'projectCompleted',
    'restarted',
    'revoke requested',
    'cancelled; revoking',
    'accepted',
    'invite outcome unknown',
  ],
  prefixes: ['state: '],
  suffixes: [' refused by Wix'],
} as const;

const REFUSED_BY_WIX = / refused by Wix$/;
const FAILURE_CAUSE = (event: string): boolean =>
  REFUSED_BY_WIX.test(event) || event === 'invite outcome unknown';

/** Entries that can become a notification: a write holding none of them needs no further work. */
export function mayNotify(event: string): boolean {
  return (
    event === 'projectCompleted' ||
    event.startsWith('state: ') ||
    REFUSED_BY_WIX.test(event) ||
    SIMPLE_EVENTS.has(event)
  );
}

const SIMPLE_EVENTS = new Set([
  'invite sent',
  'invite failed',
  'reminder sent',
  'acceptance ambiguous',
  'ALERT contributor after revoke',
  'invitee replaced',
  'invitee added',
  'invitee removed',
  'reminders paused',
  'reminders resumed',
  'escalated',
]);

/** What staff can do about a failed handoff, in the event so a receiver can show it. */
export const FAILED_ACTION =
  'Fix the cause (the Wix API key, its permissions, the role), then retry: Retry on the console, ' +
  '`site-handoff retry <siteId>` or POST /v1/handoffs/<id>/retry; an unconfirmed invite needs a check first.';

/** The console page of a handoff. */
export const consoleLink = (consoleUrl: string, handoffId: string): string =>
  `${consoleUrl.replace(/\/+$/, '')}/console/handoffs/${encodeURIComponent(handoffId)}`;

/**
 * The notifications for entries with `seq >= fromSeq` in `trail` (ordered by seq; earlier entries only give
 * context). At most one per entry, so (handoff, seq) names a notification.
 */
export function notificationsFor(
  facts: HandoffFacts,
  trail: readonly TrailEntry[],
  fromSeq: number,
  consoleUrl: string,
): MappedNotification[] {
  const entries = [...new Map(trail.map((e) => [e.seq, e])).values()].sort((a, b) => a.seq - b.seq);
  const lastStateSeq = entries.filter((e) => e.event.startsWith('state: ')).at(-1)?.seq;
  const out: MappedNotification[] = [];
  let state = 'awaitingProject';
  let started = false;
  let revoke: TrailEntry | undefined;
  let acceptance: TrailEntry | undefined;
  let failureCause: TrailEntry | undefined;

  entries.forEach((entry, index) => {
    const { event, detail = '' } = entry;
    if (event.startsWith('state: ')) state = event.slice('state: '.length);
    const emit = (
      type: NotificationType,
      fields: Record<string, string | number | boolean | null | string[]>,
    ) => {
      if (entry.seq < fromSeq) return;
      out.push({
        seq: entry.seq,
        event: {
          type,
          timestamp: entry.at,
          data: {
            handoffId: facts.handoffId,
            siteId: facts.siteId,
            projectId: facts.projectId,
            state,
            actor: entry.actor,
            ...fields,
            consoleUrl: consoleLink(consoleUrl, facts.handoffId),
          },
        },
      });
    };

    switch (event) {
      case 'restarted':
        started = false;
        return;
      case 'projectCompleted':
      case 'state: inviting':
        if (!started) {
          started = true;
          emit('handoff.started', {
            role: facts.role,
            customerEmails: event === 'projectCompleted' ? emailsOf(detail.replace(/^invite /, '')) : [],
          });
        }
        return;
      case 'revoke requested':
      case 'cancelled; revoking':
        revoke = entry;
        return;
      case 'accepted':
        acceptance = entry;
        return;
      case 'invite sent': {
        const m = /^(.*) \(invite (.+)\)$/.exec(detail);
        return emit('handoff.invited', { email: m ? m[1] : detail, inviteId: m ? m[2] : null });
      }
      case 'reminder sent': {
        const [email, ...note] = detail.split(' ');
        return emit('handoff.reminded', { email, note: note.length ? note.join(' ') : null });
      }
      case 'state: accepted':
        return emit('handoff.accepted', acceptedFields(acceptance, entry));
      case 'state: expired':
        return emit('handoff.expired', {
          expiredEmails: facts.invitees.filter((i) => i.status === 'expired').map((i) => i.email),
        });
      case 'state: revoked':
        return emit('handoff.revoked', {
          revokedBy: revoke?.actor ?? null,
          reason: revoke
            ? revoke.event === 'revoke requested'
              ? (revoke.detail ?? null)
              : 'workflow cancelled'
            : null,
        });
      case 'state: failed': {
        // The cause is audited right after the state change (the machine moves first), or just before it.
        const next = entries
          .slice(index + 1)
          .find((e) => FAILURE_CAUSE(e.event) || e.event.startsWith('state: '));
        const cause = next && FAILURE_CAUSE(next.event) ? next : failureCause;
        const failure =
          (entry.seq === lastStateSeq && facts.state === 'failed' ? facts.failure : null) ??
          cause?.detail ??
          null;
        return emit('handoff.failed', { failure, action: FAILED_ACTION });
      }
      case 'acceptance ambiguous':
        return emit('handoff.needs_attention', { reason: 'acceptance_ambiguous', detail });
      case 'ALERT contributor after revoke':
        return emit('handoff.needs_attention', { reason: 'contributor_after_revoke', detail });
      case 'invite failed':
        return emit('handoff.needs_attention', {
          reason: 'address_refused',
          detail,
          emails: emailsOf(detail),
        });
      case 'invitee replaced': {
        const m = /^(.*?) → (\S+)(?:: (.*))?$/s.exec(detail);
        return emit('handoff.invitee_replaced', {
          email: m ? m[1] : detail,
          newEmail: m ? m[2] : null,
          reason: m?.[3] ?? null,
        });
      }
      case 'invitee added':
        return emit('handoff.invitee_added', { email: detail });
      case 'invitee removed':
        return emit('handoff.invitee_removed', { email: detail });
      case 'reminders paused':
        return emit('handoff.paused', { reason: detail || null });
      case 'reminders resumed':
        return emit('handoff.resumed', {});
      case 'escalated': {
        const m = /^(\w+): (.*?)(?: \(to (.+)\))?$/s.exec(detail);
        return emit('handoff.escalated', {
          cause: m ? m[1] : null,
          reason: m ? m[2] : detail,
          escalateTo: m?.[3] ?? null,
        });
      }
    }
    if (FAILURE_CAUSE(event)) failureCause = entry;
    if (REFUSED_BY_WIX.test(event)) {
      emit('handoff.needs_attention', {
        reason: 'wix_refused',
        request: event.replace(REFUSED_BY_WIX, ''),
        detail,
      });
    }
  });
  return out;
}

function acceptedFields(
  acceptance: TrailEntry | undefined,
  entry: TrailEntry,
): Record<string, string | null> {
  const detail = acceptance?.detail ?? '';
  const seen = /^(.*) is now Wix contributor (\S+)$/.exec(detail);
  if (acceptance && seen) {
    return {
      email: seen[1],
      accountId: seen[2],
      acceptedAt: acceptance.at,
      detectedBy: 'contributors',
      confirmedBy: null,
    };
  }
  return {
    email: detail || null,
    accountId: null,
    acceptedAt: acceptance?.at ?? entry.at,
    detectedBy: acceptance ? 'staff' : 'unknown',
    confirmedBy: acceptance?.actor ?? null,
  };
}

const emailsOf = (list: string): string[] =>
  list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The webhook-id of one notification to one endpoint: the same for every attempt and every redelivery. */
export function webhookId(endpoint: string, handoffId: string, seq: number): string {
  const digest = createHash('sha256').update(`${endpoint}\n${handoffId}\n${seq}`).digest('hex');
  return `msg_${digest.slice(0, 32)}`;
}
