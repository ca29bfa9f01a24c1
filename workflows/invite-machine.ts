// The handoff's invite lifecycle as a pure XState v5 machine: it decides which transitions are allowed.
// It owns no time and no I/O (no `after`, no `invoke`): the workflow waits, calls Wix and feeds events in.
import {
  and,
  assertEvent,
  assign,
  initialTransition,
  not,
  setup,
  transition,
  type SnapshotFrom,
} from 'xstate';
import { nextOpening } from './send-window';
import {
  ESCALATION_TRIGGERS,
  WIX_HINT_ACTOR,
  type CheckReason,
  type Escalation,
  type EscalationCause,
  type HandoffState,
  type Invitee,
  type InviteeStatus,
  type ProjectCompleted,
  type ResolvedPolicy,
  type SentInvite,
} from './handoff-types';

export interface HandoffContext {
  projectId?: string;
  siteId?: string;
  role?: string;
  language?: string;
  policy: ResolvedPolicy;
  /** The Wix role id the role resolved to. */
  roleId?: string;
  /** Contributors holding the role before the first invite: never evidence of an acceptance. */
  baselineAccountIds?: string[];
  /** Contributor accounts already attributed to an invitee, so one account never counts twice. */
  claimedAccountIds: string[];
  invitees: Invitee[];
  /** New contributors already reported as impossible to attribute, so each is reported once. */
  reportedAccountIds: string[];
  /** When contributors were last checked (or the pre-invite baseline taken): the acceptance poll counts from here. */
  lastCheckAt: number;
  /** Wix asked to wait (429, 503): no Wix send before this time. */
  wixBusyUntil: number;
  failure?: string;
  revocation?: { reason: string; actor: string; requestedAt: number };
  /** Staff paused reminders: none is sent until they resume; the invite's expiry still counts. */
  paused?: { since: number; actor: string; reason?: string };
  /** When the handoff last emailed anyone (invite, reminder, renewal): the checks after an email count from here. */
  lastEmailAt?: number;
  /** A check asked for now (by staff, or Wix's hint): who asked, until the check is made. */
  checkRequestedBy?: string;
  /** When the first invite went out: escalation for lack of acceptance counts from here. */
  firstInvitedAt?: number;
  /** Each cause escalated so far (at most once each). */
  escalations?: Escalation[];
}

export type HandoffEvent =
  | { type: 'PROJECT_COMPLETED'; project: ProjectCompleted; policy: ResolvedPolicy; at: number }
  | { type: 'HANDOFF_PREPARED'; roleId: string; contributorAccountIds: string[] }
  | { type: 'INVITES_SENT'; at: number; invites: SentInvite[]; failedEmails: string[] }
  | { type: 'SEND_FAILED'; at: number; emails: string[]; reason: string; outcome: 'refused' | 'unknown' }
  | { type: 'REMINDER_DUE'; email: string; at: number }
  | { type: 'REMINDER_SENT'; email: string; at: number; expiresAt?: number }
  | { type: 'EXPIRY_REACHED'; email: string; at: number }
  | { type: 'INVITE_RENEWED'; email: string; at: number; expiresAt: number }
  | { type: 'RESEND_FAILED'; email: string; at: number; reason: string }
  | { type: 'ACCEPTED'; email: string; at: number; actor: string; accountId?: string }
  | { type: 'REVOKE_REQUESTED'; at: number; reason: string; actor: string }
  | { type: 'REVOKED'; email: string; at: number; outcome: 'revoked' | 'refused'; detail?: string }
  | { type: 'RETRY'; at: number; actor: string }
  | { type: 'RESEND_REQUESTED'; at: number; actor: string; email?: string }
  /** The contributors holding the invited role, as Wix listed them: the machine judges who accepted. */
  | { type: 'CONTRIBUTORS_SEEN'; at: number; accountIds: string[] }
  | { type: 'CONTRIBUTORS_CHECK_FAILED'; at: number }
  | { type: 'WIX_BUSY'; until: number }
  // Staff changes to a running handoff.
  | { type: 'INVITEE_ADDED'; at: number; actor: string; email: string }
  | { type: 'INVITEE_REMOVAL_REQUESTED'; at: number; actor: string; email: string }
  | { type: 'INVITEE_REPLACEMENT_REQUESTED'; at: number; actor: string; email: string; newEmail: string }
  /** A removed invitee's invite, revoked at Wix (or refused). */
  | { type: 'INVITEE_REMOVED'; email: string; at: number; outcome: 'revoked' | 'refused'; detail?: string }
  | { type: 'PAUSE_REQUESTED'; at: number; actor: string; reason?: string }
  | { type: 'RESUME_REQUESTED'; at: number; actor: string }
  | { type: 'CHECK_REQUESTED'; at: number; actor: string }
  | { type: 'POLICY_CHANGED'; at: number; actor: string; policy: Partial<ResolvedPolicy> }
  /** Nobody accepted within the policy's escalateAfter: someone at the agency must follow up. */
  | { type: 'ESCALATION_DUE'; at: number; cause: 'no_acceptance' };

type EventOf<T extends HandoffEvent['type']> = Extract<HandoffEvent, { type: T }>;

export const DEFAULT_POLICY: ResolvedPolicy = {
  reminderOffsetsMs: [2, 5, 10, 20].map((days) => days * 24 * 3600 * 1000),
  acceptancePollMs: 6 * 3600 * 1000,
  maxRenewals: 1,
};

/** Escalation for handoffs started on code that knows it; older runs keep none unless staff set it. */
export const ESCALATION_DEFAULTS: Pick<ResolvedPolicy, 'escalateAfterMs' | 'escalateOn'> = {
  escalateAfterMs: 7 * 24 * 3600 * 1000,
  escalateOn: [...ESCALATION_TRIGGERS],
};

/**
 * Checks for new handoffs: soon after each email, backing off while nothing happens (10 min, then gaps ×1.5 up to
 * 2 h, until 18 h), then a quiet check every 5 days; chosen against the customer model in bench/acceptance.ts.
 */
export const ADAPTIVE_CHECKS: Pick<ResolvedPolicy, 'checkAfterEmailMs' | 'acceptancePollMs'> = {
  checkAfterEmailMs: geometricOffsets(10 * 60_000, 1.5, 2 * 3600_000, 18 * 3600_000),
  acceptancePollMs: 5 * 24 * 3600_000,
};

/** Offsets from `first`, each gap `factor` times the last (at most `longest`), up to `until`; whole minutes. */
export function geometricOffsets(first: number, factor: number, longest: number, until: number): number[] {
  const offsets: number[] = [];
  for (let at = first, gap = first; at <= until; gap = Math.min(gap * factor, longest), at += gap)
    offsets.push(Math.round(at / 60_000) * 60_000);
  return offsets;
}

/** When contributors are next checked, and why: the schedule after the last email, or the quiet-period rate. */
export function nextCheck(ctx: HandoffContext): { at: number; reason: CheckReason } {
  const quiet = ctx.lastCheckAt + ctx.policy.acceptancePollMs;
  if (ctx.checkRequestedBy !== undefined) {
    return {
      at: quiet,
      reason: ctx.checkRequestedBy === WIX_HINT_ACTOR ? 'Wix hint received' : 'requested by staff',
    };
  }
  const last = ctx.lastEmailAt;
  const scheduled =
    last === undefined
      ? undefined
      : ctx.policy.checkAfterEmailMs?.map((o) => last + o).find((t) => t > ctx.lastCheckAt);
  return scheduled !== undefined && scheduled < quiet
    ? { at: scheduled, reason: 'after an email' }
    : { at: quiet, reason: 'quiet period' };
}

export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

const find = (ctx: HandoffContext, email: string): Invitee | undefined =>
  ctx.invitees.find((i) => i.email === normaliseEmail(email));

const withStatus = (ctx: HandoffContext, ...statuses: InviteeStatus[]): Invitee[] =>
  ctx.invitees.filter((i) => statuses.includes(i.status));

const updateInvitee = (ctx: HandoffContext, email: string, patch: Partial<Invitee>): Invitee[] =>
  ctx.invitees.map((i) => (i.email === normaliseEmail(email) ? { ...i, ...patch } : i));

const newInvitee = (email: string): Invitee => ({
  email: normaliseEmail(email),
  status: 'toInvite',
  remindersSent: 0,
  renewals: 0,
  reminderDue: false,
  renewalDue: false,
});

/**
 * The invitee's reminder times in this invite cycle: the cadence, then (with an expiry warning) one last reminder
 * that long before the invite lapses, with the cadence's later ones dropped.
 */
function reminderSchedule(invitee: Invitee, policy: ResolvedPolicy): number[] {
  const start = invitee.cycleStartedAt!;
  const times = policy.reminderOffsetsMs.map((o) => start + o);
  if (policy.expiryWarningMs === undefined || invitee.expiresAt === undefined) return times;
  const warnAt = invitee.expiresAt - policy.expiryWarningMs;
  return warnAt > start ? [...times.filter((t) => t < warnAt), warnAt] : times;
}

/** When the invitee's next reminder is due (within the send window), if one is left before the invite expires. */
export function nextReminderAt(invitee: Invitee, policy: ResolvedPolicy): number | undefined {
  if (invitee.status !== 'pending' || invitee.cycleStartedAt === undefined) return undefined;
  const due = reminderSchedule(invitee, policy)[invitee.remindersSent + (invitee.skippedReminders ?? 0)];
  if (due === undefined) return undefined;
  const at = policy.sendWindow ? nextOpening(due, policy.sendWindow) : due;
  return invitee.expiresAt !== undefined && at >= invitee.expiresAt ? undefined : at;
}

const hasExpired = (invitee: Invitee, at: number): boolean =>
  invitee.expiresAt !== undefined && invitee.expiresAt <= at;

/** A reminder missed until the invite expired is not sent: the expiry (renewal) takes over. */
function reminderIsDue(invitee: Invitee, policy: ResolvedPolicy, at: number): boolean {
  const dueAt = nextReminderAt(invitee, policy);
  return (
    !invitee.reminderDue &&
    !invitee.renewalDue &&
    dueAt !== undefined &&
    dueAt <= at &&
    !hasExpired(invitee, at)
  );
}

const expiryIsDue = (invitee: Invitee, at: number): boolean =>
  invitee.status === 'pending' && !invitee.renewalDue && hasExpired(invitee, at);

export interface DueWork {
  /** The next moment the handoff has something to do on its own. */
  wakeAt: number;
  /** Look at the contributors now: an email is due (nobody is reminded after accepting), or the poll interval passed. */
  checkContributors: boolean;
  /** The clock's events the machine takes now: reminders that fell due, invites that expired. */
  clockEvents: HandoffEvent[];
  /** Emails to send now, none while Wix asked to wait. */
  sends: { invitee: Invitee; purpose: 'reminder' | 'renewal' }[];
  /** Invites of invitees staff removed or replaced, to revoke at Wix now. */
  removals: Invitee[];
}

/** The escalation for `cause` now, if the policy asks for one and the handoff has not had it yet. */
export function escalationFor(
  ctx: HandoffContext,
  cause: EscalationCause,
  at: number,
): Escalation | undefined {
  const { policy } = ctx;
  if (ctx.escalations?.some((e) => e.cause === cause)) return undefined;
  const wanted =
    cause === 'no_acceptance' ? policy.escalateAfterMs !== undefined : policy.escalateOn?.includes(cause);
  if (!wanted) return undefined;
  return { cause, at, ...(policy.escalateTo ? { to: policy.escalateTo } : {}) };
}

/** When a handoff nobody has accepted escalates: escalateAfter from the first invite; never while paused. */
export function escalationDueAt(ctx: HandoffContext): number | undefined {
  const afterMs = ctx.policy.escalateAfterMs;
  if (afterMs === undefined || ctx.paused || !escalationFor(ctx, 'no_acceptance', 0)) return undefined;
  if (withStatus(ctx, 'accepted').length > 0) return undefined;
  const invitedAt = ctx.invitees.map((i) => i.invitedAt).filter((t): t is number => t !== undefined);
  const first = ctx.firstInvitedAt ?? (invitedAt.length ? Math.min(...invitedAt) : undefined);
  return first === undefined ? undefined : first + afterMs;
}

/** Behaviour that changed for new handoffs; running handoffs keep the old one (the workflow decides via patched()). */
export interface DueRules {
  /**
   * A resend held back by Wix's pause waits for the pause to end. Before, the handoff woke at once for a reminder
   * already due and checked contributors again and again until the pause ended.
   */
  waitOutWixPause: boolean;
}

/** What a pending handoff has to do at `now`: one pure function of the machine's context and the time. */
export function whatIsDue(
  ctx: HandoffContext,
  now: number,
  rules: DueRules = { waitOutWixPause: true },
): DueWork {
  const removals = withStatus(ctx, 'pending').filter((i) => i.removalDue);
  const pending = withStatus(ctx, 'pending').filter((i) => !i.removalDue);
  const nextCheckAt = nextCheck(ctx).at;
  const wixPaused = now < ctx.wixBusyUntil;
  const times = [nextCheckAt, ...(removals.length ? [now] : [])];
  // Paused by staff: no reminder falls due; expiry (and a renewal already decided) still does.
  const reminderAtOf = (i: Invitee) => (ctx.paused ? undefined : nextReminderAt(i, ctx.policy));
  let emailDue = false;
  const clockEvents: HandoffEvent[] = [];
  for (const i of pending) {
    const reminderAt = reminderAtOf(i);
    const decided = i.reminderDue || i.renewalDue;
    // A resend already decided waits only for Wix's pause, if there is one.
    if (decided) times.push(ctx.wixBusyUntil);
    if (decided && rules.waitOutWixPause) {
      emailDue ||= !wixPaused;
    } else {
      if (reminderAt !== undefined) times.push(reminderAt);
      if (i.expiresAt !== undefined) times.push(i.expiresAt);
      emailDue ||= decided || hasExpired(i, now) || (reminderAt ?? Infinity) <= now;
    }
    if (expiryIsDue(i, now)) clockEvents.push({ type: 'EXPIRY_REACHED', email: i.email, at: now });
    else if (!ctx.paused && reminderIsDue(i, ctx.policy, now))
      clockEvents.push({ type: 'REMINDER_DUE', email: i.email, at: now });
  }
  const escalateAt = escalationDueAt(ctx);
  if (escalateAt !== undefined) {
    times.push(escalateAt);
    if (escalateAt <= now) clockEvents.push({ type: 'ESCALATION_DUE', at: now, cause: 'no_acceptance' });
  }
  const sends: DueWork['sends'] = [];
  if (!wixPaused) {
    for (const invitee of pending) {
      if (invitee.renewalDue) sends.push({ invitee, purpose: 'renewal' });
      else if (invitee.reminderDue) sends.push({ invitee, purpose: 'reminder' });
    }
  }
  return {
    wakeAt: Math.min(...times),
    checkContributors: emailDue || nextCheckAt <= now,
    clockEvents,
    sends,
    removals,
  };
}

/** Invitees a new contributor could be: an invite that is out, or may be. */
const acceptanceCandidates = (ctx: HandoffContext): Invitee[] => withStatus(ctx, 'pending', 'unconfirmed');

/** Whether a contributors check can tell anything: the role is known and someone may accept. */
export const contributorsWorthChecking = (ctx: HandoffContext): boolean =>
  ctx.roleId !== undefined && acceptanceCandidates(ctx).length > 0;

/** Contributors with the role who are neither from before the handoff nor an acceptance already counted. */
export function unexplainedContributors(ctx: HandoffContext, accountIds: string[]): string[] {
  const known = new Set([...(ctx.baselineAccountIds ?? []), ...ctx.claimedAccountIds]);
  return accountIds.filter((a) => !known.has(a));
}

export type ContributorsVerdict =
  | { kind: 'accepted'; email: string; accountId: string }
  | { kind: 'ambiguous'; accountIds: string[]; candidates: string[] }
  | { kind: 'nothing new' };

/** Attributes a new contributor only when it cannot belong to anyone else: one candidate, one new account. */
export function judgeContributors(ctx: HandoffContext, accountIds: string[]): ContributorsVerdict {
  const candidates = acceptanceCandidates(ctx);
  const fresh = unexplainedContributors(ctx, accountIds);
  if (fresh.length === 1 && candidates.length === 1 && !ctx.reportedAccountIds.includes(fresh[0])) {
    return { kind: 'accepted', email: candidates[0].email, accountId: fresh[0] };
  }
  const unreported = fresh.filter((a) => !ctx.reportedAccountIds.includes(a));
  return unreported.length > 0
    ? { kind: 'ambiguous', accountIds: unreported, candidates: candidates.map((c) => c.email) }
    : { kind: 'nothing new' };
}

// ---- Business rules, shared by the guards and by `refusalReason` so both always agree. ----

function projectConflict(ctx: HandoffContext, project: ProjectCompleted): string | undefined {
  if (ctx.siteId === undefined) return undefined;
  if (project.siteId !== ctx.siteId) return `this handoff is for site ${ctx.siteId}, not ${project.siteId}`;
  if (project.projectId !== ctx.projectId) {
    return `site ${ctx.siteId} is already being handed over for project ${ctx.projectId}`;
  }
  const sameRole = project.role.trim().toLowerCase() === (ctx.role ?? '').trim().toLowerCase();
  if (!sameRole && withStatus(ctx, 'pending', 'accepted', 'toInvite', 'unconfirmed').length > 0) {
    return `role "${project.role}" contradicts the invites already sent with role "${ctx.role}"; revoke the handoff first`;
  }
  return undefined;
}

/** A failed handoff (nothing pending or accepted) may be corrected with another role: its invites start over. */
function correctsRole(ctx: HandoffContext, project: ProjectCompleted): boolean {
  return (
    ctx.siteId !== undefined &&
    projectConflict(ctx, project) === undefined &&
    project.role.trim().toLowerCase() !== (ctx.role ?? '').trim().toLowerCase()
  );
}

function newEmails(ctx: HandoffContext, project: ProjectCompleted): string[] {
  const known = new Set(ctx.invitees.map((i) => i.email));
  return [...new Set(project.customerEmails.map(normaliseEmail))].filter((e) => !known.has(e));
}

function revokeRefusal(ctx: HandoffContext): string | undefined {
  const accepted = withStatus(ctx, 'accepted');
  if (accepted.length === 0) return undefined;
  const who = accepted.map((i) => i.email).join(', ');
  return `already accepted by ${who}; an accepted invite cannot be revoked (remove the contributor in Wix instead)`;
}

function acceptRefusal(ctx: HandoffContext, event: EventOf<'ACCEPTED'>): string | undefined {
  const invitee = find(ctx, event.email);
  if (!invitee) return `${event.email} is not invited by this handoff`;
  if (!['pending', 'unconfirmed', 'failed'].includes(invitee.status)) {
    return `the invite for ${invitee.email} is ${invitee.status}, it cannot be accepted`;
  }
  if (event.accountId && ctx.claimedAccountIds.includes(event.accountId)) {
    return `Wix account ${event.accountId} is already attributed to another invitee`;
  }
  if (event.accountId && ctx.baselineAccountIds?.includes(event.accountId)) {
    return `Wix account ${event.accountId} held the role before the invite, so it cannot be the invitee's acceptance`;
  }
  return undefined;
}

const retryable = (ctx: HandoffContext): Invitee[] => withStatus(ctx, 'failed', 'unconfirmed');

function accept(
  ctx: HandoffContext,
  by: { email: string; at: number; actor: string; accountId?: string },
): Partial<HandoffContext> {
  return {
    claimedAccountIds: by.accountId ? [...ctx.claimedAccountIds, by.accountId] : ctx.claimedAccountIds,
    invitees: updateInvitee(ctx, by.email, {
      status: 'accepted',
      acceptedAt: by.at,
      acceptedBy: by.actor,
      acceptedByAccountId: by.accountId,
      reminderDue: false,
      renewalDue: false,
      problem: undefined,
    }),
  };
}

/** Pending invites a staff resend would email now: unexpired, with no resend already decided. */
function resendable(ctx: HandoffContext, event: EventOf<'RESEND_REQUESTED'>): Invitee[] {
  return withStatus(ctx, 'pending').filter(
    (i) =>
      (event.email === undefined || i.email === normaliseEmail(event.email)) &&
      !i.reminderDue &&
      !i.renewalDue &&
      (i.expiresAt === undefined || event.at < i.expiresAt),
  );
}

function resendRefusal(ctx: HandoffContext, event: EventOf<'RESEND_REQUESTED'>): string | undefined {
  if (resendable(ctx, event).length > 0) return undefined;
  const invitee = event.email === undefined ? undefined : find(ctx, event.email);
  if (event.email !== undefined && !invitee) return `${event.email} is not invited by this handoff`;
  if (invitee && invitee.status !== 'pending') return `the invite for ${invitee.email} is ${invitee.status}`;
  return 'nothing to resend: no pending invite that is not already being resent or expired';
}

/** Invitees still in play: they have, or may get, a working invite. */
const active = (ctx: HandoffContext): Invitee[] =>
  withStatus(ctx, 'pending', 'toInvite', 'unconfirmed', 'failed').filter((i) => !i.removalDue);

const MAX_INVITEES = 50;

function addRefusal(ctx: HandoffContext, email: string): string | undefined {
  const known = find(ctx, email);
  if (known && known.status !== 'removed')
    return `${known.email} is already invited by this handoff (${known.status})`;
  if (ctx.invitees.length >= MAX_INVITEES) return `a handoff invites at most ${MAX_INVITEES} addresses`;
  return undefined;
}

function removalRefusal(ctx: HandoffContext, email: string): string | undefined {
  const invitee = find(ctx, email);
  if (!invitee) return `${email} is not invited by this handoff`;
  if (invitee.status === 'accepted')
    return `${invitee.email} has accepted; remove the contributor in Wix instead (POST /v1/sites/:siteId/contributors/:accountId/remove)`;
  if (invitee.removalDue || ['removed', 'revoked'].includes(invitee.status))
    return `${invitee.email} is already removed`;
  if (!active(ctx).some((i) => i.email !== invitee.email) && withStatus(ctx, 'accepted').length === 0)
    return `${invitee.email} is the last invitee: removing them would end the handoff, so revoke it instead`;
  return undefined;
}

function replacementRefusal(ctx: HandoffContext, email: string, newEmail: string): string | undefined {
  const invitee = find(ctx, email);
  if (!invitee) return `${email} is not invited by this handoff`;
  if (invitee.replacedBy) return `${invitee.email} is already being replaced by ${invitee.replacedBy}`;
  if (!['pending', 'failed', 'unconfirmed', 'expired'].includes(invitee.status) || invitee.removalDue)
    return `the invite for ${invitee.email} is ${invitee.removalDue ? 'being removed' : invitee.status}; it cannot be replaced`;
  return addRefusal(ctx, newEmail);
}

/** On a resume, reminders whose time passed while paused are skipped but the latest, so one catch-up is sent. */
function skipMissedReminders(ctx: HandoffContext, at: number): Invitee[] {
  return ctx.invitees.map((i) => {
    if (i.status !== 'pending' || i.cycleStartedAt === undefined) return i;
    const schedule = reminderSchedule(i, ctx.policy);
    let index = i.remindersSent + (i.skippedReminders ?? 0);
    let missed = 0;
    while ((schedule[index] ?? Infinity) <= at) {
      missed++;
      index++;
    }
    return missed > 1 ? { ...i, skippedReminders: (i.skippedReminders ?? 0) + missed - 1 } : i;
  });
}

export const inviteMachine = setup({
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- XState's way to declare types
  types: {} as { context: HandoffContext; events: HandoffEvent },
  guards: {
    isNewProject: ({ context }) => context.siteId === undefined,
    addsInvitees: ({ context, event }) => {
      assertEvent(event, 'PROJECT_COMPLETED');
      return (
        projectConflict(context, event.project) === undefined && newEmails(context, event.project).length > 0
      );
    },
    correctsRole: ({ context, event }) => {
      assertEvent(event, 'PROJECT_COMPLETED');
      return correctsRole(context, event.project);
    },
    reminderAllowed: ({ context, event }) => {
      assertEvent(event, 'REMINDER_DUE');
      const invitee = find(context, event.email);
      return (
        context.paused === undefined &&
        invitee !== undefined &&
        !invitee.removalDue &&
        reminderIsDue(invitee, context.policy, event.at)
      );
    },
    reminderWasDue: ({ context, event }) => {
      assertEvent(event, 'REMINDER_SENT');
      return find(context, event.email)?.reminderDue === true;
    },
    inviteHasExpired: ({ context, event }) => {
      assertEvent(event, 'EXPIRY_REACHED');
      const invitee = find(context, event.email);
      return invitee !== undefined && expiryIsDue(invitee, event.at);
    },
    renewalsLeft: ({ context, event }) => {
      assertEvent(event, 'EXPIRY_REACHED');
      // A renewal is a resend: none while staff have paused reminders.
      return (
        context.paused === undefined &&
        (find(context, event.email)?.renewals ?? Infinity) < context.policy.maxRenewals
      );
    },
    renewalWasDue: ({ context, event }) => {
      assertEvent(event, 'INVITE_RENEWED');
      return find(context, event.email)?.renewalDue === true;
    },
    isPendingInvitee: ({ context, event }) => {
      assertEvent(event, ['RESEND_FAILED']);
      return find(context, event.email)?.status === 'pending';
    },
    acceptanceAllowed: ({ context, event }) => {
      assertEvent(event, 'ACCEPTED');
      return acceptRefusal(context, event) === undefined;
    },
    revokeAllowed: ({ context }) => revokeRefusal(context) === undefined,
    isBeingRevoked: ({ context, event }) => {
      assertEvent(event, 'REVOKED');
      return find(context, event.email)?.status === 'pending';
    },
    hasSomethingToRetry: ({ context }) => retryable(context).length > 0,
    resendAllowed: ({ context, event }) => {
      assertEvent(event, 'RESEND_REQUESTED');
      return resendable(context, event).length > 0;
    },
    hasInviteesToInvite: ({ context }) => withStatus(context, 'toInvite').length > 0,
    hasPendingInvites: ({ context }) => withStatus(context, 'pending').length > 0,
    hasAcceptedInvitee: ({ context }) => withStatus(context, 'accepted').length > 0,
    hasExpiredInvitee: ({ context }) => withStatus(context, 'expired').length > 0,
    roleNotYetPrepared: ({ context }) => context.roleId === undefined,
    additionAllowed: ({ context, event }) => {
      assertEvent(event, 'INVITEE_ADDED');
      return addRefusal(context, event.email) === undefined;
    },
    removalAllowed: ({ context, event }) => {
      assertEvent(event, 'INVITEE_REMOVAL_REQUESTED');
      return removalRefusal(context, event.email) === undefined;
    },
    replacementAllowed: ({ context, event }) => {
      assertEvent(event, 'INVITEE_REPLACEMENT_REQUESTED');
      return replacementRefusal(context, event.email, event.newEmail) === undefined;
    },
    isBeingRemoved: ({ context, event }) => {
      assertEvent(event, 'INVITEE_REMOVED');
      return find(context, event.email)?.removalDue === true;
    },
    isRunning: ({ context }) => context.paused === undefined,
    isPaused: ({ context }) => context.paused !== undefined,
    roleIsKnown: ({ context }) => context.roleId !== undefined,
    escalationIsDue: ({ context, event }) => {
      assertEvent(event, 'ESCALATION_DUE');
      return (escalationDueAt(context) ?? Infinity) <= event.at;
    },
    identifiesAcceptance: ({ context, event }) => {
      assertEvent(event, 'CONTRIBUTORS_SEEN');
      return judgeContributors(context, event.accountIds).kind === 'accepted';
    },
  },
  actions: {
    startHandoff: assign(({ event }) => {
      assertEvent(event, 'PROJECT_COMPLETED');
      const { project } = event;
      return {
        projectId: project.projectId,
        siteId: project.siteId,
        role: project.role.trim(),
        language: project.language,
        policy: event.policy,
        invitees: [...new Set(project.customerEmails.map(normaliseEmail))].map(newInvitee),
      };
    }),
    changeRole: assign(({ context, event }) => {
      assertEvent(event, 'PROJECT_COMPLETED');
      return {
        role: event.project.role.trim(),
        roleId: undefined,
        baselineAccountIds: undefined,
        failure: undefined,
        invitees: [
          ...context.invitees.map((i) =>
            i.status === 'failed'
              ? { ...i, status: 'toInvite' as const, inviteId: undefined, problem: undefined }
              : i,
          ),
          ...newEmails(context, event.project).map(newInvitee),
        ],
      };
    }),
    addInvitees: assign(({ context, event }) => {
      assertEvent(event, 'PROJECT_COMPLETED');
      return { invitees: [...context.invitees, ...newEmails(context, event.project).map(newInvitee)] };
    }),
    recordPreparation: assign(({ event }) => {
      assertEvent(event, 'HANDOFF_PREPARED');
      return { roleId: event.roleId, baselineAccountIds: event.contributorAccountIds };
    }),
    recordInvites: assign(({ context, event }) => {
      assertEvent(event, 'INVITES_SENT');
      const sent = new Map(event.invites.map((i) => [normaliseEmail(i.email), i]));
      const failed = new Set(event.failedEmails.map(normaliseEmail));
      return {
        failure: undefined,
        // The baseline was taken just before the invite: the first acceptance check is one poll interval away.
        lastCheckAt: event.at,
        ...(context.firstInvitedAt === undefined && event.invites.length > 0
          ? { firstInvitedAt: event.at }
          : {}),
        ...(event.invites.length > 0 ? { lastEmailAt: event.at } : {}),
        invitees: context.invitees.map((i): Invitee => {
          const invite = sent.get(i.email);
          if (invite) {
            return {
              ...i,
              status: 'pending',
              inviteId: invite.inviteId,
              inviteLink: invite.inviteLink,
              invitedAt: event.at,
              cycleStartedAt: event.at,
              expiresAt: invite.expiresAt,
              // A new invite (first or re-sent after a failure) starts its own schedule.
              remindersSent: 0,
              renewals: 0,
              reminderDue: false,
              renewalDue: false,
              problem: undefined,
            };
          }
          if (i.status === 'toInvite' && failed.has(i.email)) {
            return {
              ...i,
              status: 'failed',
              problem:
                'Wix listed this address in failedEmails (invalid address, already a contributor or invited, or no seats left)',
            };
          }
          if (i.status === 'toInvite') {
            return {
              ...i,
              status: 'unconfirmed',
              problem: 'Wix answered without an invite or a failure for this address',
            };
          }
          return i;
        }),
      };
    }),
    settleReplacements: assign(({ context }) => ({
      // A replacement whose invite is out takes over: the old invite is revoked next (or simply dropped if none).
      // One that failed leaves the old invitee as it was, free to be replaced again.
      invitees: context.invitees.map((i) => {
        const by = i.replacedBy === undefined ? undefined : find(context, i.replacedBy);
        if (!by || by.status === 'toInvite') return i;
        if (by.status === 'pending') {
          return i.status === 'pending'
            ? { ...i, removalDue: true, reminderDue: false, renewalDue: false }
            : { ...i, status: 'removed' as const, reminderDue: false, renewalDue: false };
        }
        return { ...i, replacedBy: undefined };
      }),
    })),
    recordSendFailure: assign(({ context, event }) => {
      assertEvent(event, 'SEND_FAILED');
      const emails = new Set(event.emails.map(normaliseEmail));
      const status: InviteeStatus = event.outcome === 'refused' ? 'failed' : 'unconfirmed';
      const problem =
        event.outcome === 'refused'
          ? event.reason
          : `${event.reason.replace(/\.+$/, '')}. Wix may have sent the invite; its id is unknown, so it is not sent again automatically`;
      return {
        failure: event.reason,
        invitees: context.invitees.map((i) =>
          emails.has(i.email) && i.status === 'toInvite' ? { ...i, status, problem } : i,
        ),
      };
    }),
    markReminderDue: assign(({ context, event }) => {
      assertEvent(event, 'REMINDER_DUE');
      return { invitees: updateInvitee(context, event.email, { reminderDue: true }) };
    }),
    recordReminder: assign(({ context, event }) => {
      assertEvent(event, 'REMINDER_SENT');
      const invitee = find(context, event.email)!;
      return {
        lastEmailAt: event.at,
        invitees: updateInvitee(context, event.email, {
          reminderDue: false,
          remindersSent: invitee.remindersSent + 1,
          expiresAt: event.expiresAt ?? invitee.expiresAt,
        }),
      };
    }),
    markResendDue: assign(({ context, event }) => {
      assertEvent(event, 'RESEND_REQUESTED');
      const chosen = new Set(resendable(context, event).map((i) => i.email));
      return {
        invitees: context.invitees.map((i) => (chosen.has(i.email) ? { ...i, reminderDue: true } : i)),
      };
    }),
    markRenewalDue: assign(({ context, event }) => {
      assertEvent(event, 'EXPIRY_REACHED');
      return { invitees: updateInvitee(context, event.email, { renewalDue: true, reminderDue: false }) };
    }),
    markExpired: assign(({ context, event }) => {
      assertEvent(event, 'EXPIRY_REACHED');
      return { invitees: updateInvitee(context, event.email, { status: 'expired', reminderDue: false }) };
    }),
    recordRenewal: assign(({ context, event }) => {
      assertEvent(event, 'INVITE_RENEWED');
      const invitee = find(context, event.email)!;
      return {
        lastEmailAt: event.at,
        invitees: updateInvitee(context, event.email, {
          renewalDue: false,
          renewals: invitee.renewals + 1,
          remindersSent: 0,
          cycleStartedAt: event.at,
          expiresAt: event.expiresAt,
        }),
      };
    }),
    recordResendFailure: assign(({ context, event }) => {
      assertEvent(event, 'RESEND_FAILED');
      return {
        invitees: updateInvitee(context, event.email, {
          status: 'failed',
          reminderDue: false,
          renewalDue: false,
          problem: event.reason,
        }),
      };
    }),
    recordAcceptance: assign(({ context, event }) => {
      assertEvent(event, 'ACCEPTED');
      return accept(context, event);
    }),
    recordIdentifiedAcceptance: assign(({ context, event }) => {
      assertEvent(event, 'CONTRIBUTORS_SEEN');
      const verdict = judgeContributors(context, event.accountIds);
      if (verdict.kind !== 'accepted') return {};
      return accept(context, {
        email: verdict.email,
        at: event.at,
        actor: 'wix',
        accountId: verdict.accountId,
      });
    }),
    recordContributorsCheck: assign(({ context, event }) => {
      assertEvent(event, ['CONTRIBUTORS_SEEN', 'CONTRIBUTORS_CHECK_FAILED']);
      if (event.type === 'CONTRIBUTORS_CHECK_FAILED')
        return { lastCheckAt: event.at, checkRequestedBy: undefined };
      const verdict = judgeContributors(context, event.accountIds);
      return {
        lastCheckAt: event.at,
        checkRequestedBy: undefined,
        ...(verdict.kind === 'ambiguous'
          ? { reportedAccountIds: [...context.reportedAccountIds, ...verdict.accountIds] }
          : {}),
      };
    }),
    recordWixPause: assign(({ event }) => {
      assertEvent(event, 'WIX_BUSY');
      return { wixBusyUntil: event.until };
    }),
    startRevocation: assign(({ context, event }) => {
      assertEvent(event, 'REVOKE_REQUESTED');
      return {
        revocation: { reason: event.reason, actor: event.actor, requestedAt: event.at },
        // Addresses never invited need no Wix call; they are simply out.
        invitees: context.invitees.map((i) =>
          i.status === 'toInvite' ? { ...i, status: 'revoked' as const } : i,
        ),
      };
    }),
    recordRevocation: assign(({ context, event }) => {
      assertEvent(event, 'REVOKED');
      return {
        invitees: updateInvitee(
          context,
          event.email,
          event.outcome === 'revoked'
            ? { status: 'revoked', reminderDue: false, renewalDue: false }
            : { status: 'failed', reminderDue: false, renewalDue: false, problem: event.detail },
        ),
      };
    }),
    addInvitee: assign(({ context, event }) => {
      assertEvent(event, 'INVITEE_ADDED');
      const email = normaliseEmail(event.email);
      const again = find(context, email) !== undefined;
      return {
        invitees: again
          ? context.invitees.map((i) => (i.email === email ? newInvitee(email) : i))
          : [...context.invitees, newInvitee(email)],
      };
    }),
    requestRemoval: assign(({ context, event }) => {
      assertEvent(event, 'INVITEE_REMOVAL_REQUESTED');
      return {
        invitees: updateInvitee(
          context,
          event.email,
          find(context, event.email)?.status === 'pending'
            ? { removalDue: true, reminderDue: false, renewalDue: false }
            : { status: 'removed', reminderDue: false, renewalDue: false },
        ),
      };
    }),
    requestReplacement: assign(({ context, event }) => {
      assertEvent(event, 'INVITEE_REPLACEMENT_REQUESTED');
      const old = normaliseEmail(event.email);
      const next = normaliseEmail(event.newEmail);
      const replacement = { ...newInvitee(next), replaces: old };
      const invitees = context.invitees
        .filter((i) => i.email !== next)
        .map((i) => (i.email === old ? { ...i, replacedBy: next } : i));
      return { invitees: [...invitees, replacement] };
    }),
    recordRemoval: assign(({ context, event }) => {
      assertEvent(event, 'INVITEE_REMOVED');
      return {
        invitees: updateInvitee(
          context,
          event.email,
          // Staff wanted it gone either way: a refused revoke (Wix says the invite is no longer pending) is shown,
          // but the invitee is out, so a later retry never invites a replaced or removed address again.
          event.outcome === 'revoked'
            ? { status: 'removed', removalDue: false }
            : { status: 'removed', removalDue: false, problem: event.detail },
        ),
      };
    }),
    pauseReminders: assign(({ context, event }) => {
      assertEvent(event, 'PAUSE_REQUESTED');
      return {
        paused: { since: event.at, actor: event.actor, ...(event.reason ? { reason: event.reason } : {}) },
        // A reminder decided but not yet sent waits too; a renewal keeps the invite alive and still goes.
        invitees: context.invitees.map((i) => (i.reminderDue ? { ...i, reminderDue: false } : i)),
      };
    }),
    resumeReminders: assign(({ context, event }) => {
      assertEvent(event, 'RESUME_REQUESTED');
      return { paused: undefined, invitees: skipMissedReminders(context, event.at) };
    }),
    checkNow: assign(({ context, event }) => {
      assertEvent(event, 'CHECK_REQUESTED');
      // The next poll counts from the last check: moving it back makes the check due at once.
      return {
        lastCheckAt: Math.min(context.lastCheckAt, event.at - context.policy.acceptancePollMs),
        checkRequestedBy: event.actor,
      };
    }),
    changePolicy: assign(({ context, event }) => {
      assertEvent(event, 'POLICY_CHANGED');
      return { policy: { ...context.policy, ...event.policy } };
    }),
    escalate: assign(({ context, event }, params: { cause: EscalationCause }) => {
      const at = 'at' in event ? event.at : context.lastCheckAt;
      const escalation = escalationFor(context, params.cause, at);
      return escalation ? { escalations: [...(context.escalations ?? []), escalation] } : {};
    }),
    /** A refused address, an ambiguous acceptance, a revoke Wix refused: a person must look (needs_attention). */
    noteAttention: assign(({ context, event }) => {
      assertEvent(event, [
        'INVITES_SENT',
        'SEND_FAILED',
        'RESEND_FAILED',
        'CONTRIBUTORS_SEEN',
        'REVOKED',
        'INVITEE_REMOVED',
      ]);
      // A refusal that leaves nothing pending ends the handoff as failed, which escalates as failed instead.
      const goesOn = withStatus(context, 'pending', 'accepted').length > 0;
      const refused =
        (event.type === 'INVITES_SENT' && event.failedEmails.length > 0) ||
        (event.type === 'SEND_FAILED' && event.outcome === 'refused') ||
        event.type === 'RESEND_FAILED';
      const needed =
        (goesOn && refused) ||
        (event.type === 'CONTRIBUTORS_SEEN' &&
          judgeContributors(context, event.accountIds).kind === 'ambiguous') ||
        ((event.type === 'REVOKED' || event.type === 'INVITEE_REMOVED') && event.outcome === 'refused');
      const escalation = needed ? escalationFor(context, 'needs_attention', event.at) : undefined;
      return escalation ? { escalations: [...(context.escalations ?? []), escalation] } : {};
    }),
    prepareRetry: assign(({ context }) => ({
      failure: undefined,
      // Staff retrying after a fix want it now, not after an earlier pause.
      wixBusyUntil: 0,
      invitees: context.invitees.map((i) =>
        i.status === 'failed' || i.status === 'unconfirmed'
          ? { ...i, status: 'toInvite' as const, inviteId: undefined, problem: undefined }
          : i,
      ),
    })),
  },
}).createMachine({
  id: 'customerHandoff',
  initial: 'awaitingProject',
  context: {
    policy: DEFAULT_POLICY,
    invitees: [],
    claimedAccountIds: [],
    reportedAccountIds: [],
    lastCheckAt: 0,
    wixBusyUntil: 0,
  },
  // Bookkeeping the workflow reports in any state that is not final.
  on: {
    CONTRIBUTORS_CHECK_FAILED: { actions: 'recordContributorsCheck' },
    WIX_BUSY: { actions: 'recordWixPause' },
  },
  states: {
    awaitingProject: {
      on: {
        PROJECT_COMPLETED: { guard: 'isNewProject', actions: 'startHandoff', target: 'settling' },
      },
    },
    // Transient: routes to the state that the invitees' statuses call for.
    settling: {
      always: [
        { guard: 'hasInviteesToInvite', target: 'inviting' },
        { guard: 'hasPendingInvites', target: 'pending' },
        { guard: 'hasAcceptedInvitee', target: 'accepted' },
        { guard: 'hasExpiredInvitee', target: 'expired' },
        { target: 'failed' },
      ],
    },
    inviting: {
      on: {
        HANDOFF_PREPARED: { guard: 'roleNotYetPrepared', actions: 'recordPreparation' },
        INVITES_SENT: {
          actions: ['recordInvites', 'settleReplacements', 'noteAttention'],
          target: 'settling',
        },
        SEND_FAILED: {
          actions: ['recordSendFailure', 'settleReplacements', 'noteAttention'],
          target: 'settling',
        },
        ACCEPTED: { guard: 'acceptanceAllowed', actions: 'recordAcceptance' },
        REVOKE_REQUESTED: { guard: 'revokeAllowed', actions: 'startRevocation', target: 'revoking' },
      },
    },
    pending: {
      on: {
        PROJECT_COMPLETED: { guard: 'addsInvitees', actions: 'addInvitees', target: 'settling' },
        REMINDER_DUE: { guard: 'reminderAllowed', actions: 'markReminderDue' },
        REMINDER_SENT: { guard: 'reminderWasDue', actions: 'recordReminder' },
        EXPIRY_REACHED: [
          { guard: and(['inviteHasExpired', 'renewalsLeft']), actions: 'markRenewalDue' },
          { guard: 'inviteHasExpired', actions: 'markExpired', target: 'settling' },
        ],
        INVITE_RENEWED: { guard: 'renewalWasDue', actions: 'recordRenewal' },
        RESEND_FAILED: {
          guard: 'isPendingInvitee',
          actions: ['recordResendFailure', 'noteAttention'],
          target: 'settling',
        },
        ACCEPTED: { guard: 'acceptanceAllowed', actions: 'recordAcceptance', target: 'settling' },
        REVOKE_REQUESTED: { guard: 'revokeAllowed', actions: 'startRevocation', target: 'revoking' },
        RETRY: { guard: 'hasSomethingToRetry', actions: 'prepareRetry', target: 'settling' },
        RESEND_REQUESTED: { guard: 'resendAllowed', actions: 'markResendDue' },
        INVITEE_ADDED: { guard: 'additionAllowed', actions: 'addInvitee', target: 'settling' },
        INVITEE_REMOVAL_REQUESTED: { guard: 'removalAllowed', actions: 'requestRemoval', target: 'settling' },
        INVITEE_REPLACEMENT_REQUESTED: {
          guard: 'replacementAllowed',
          actions: 'requestReplacement',
          target: 'settling',
        },
        INVITEE_REMOVED: {
          guard: 'isBeingRemoved',
          actions: ['recordRemoval', 'noteAttention'],
          target: 'settling',
        },
        ESCALATION_DUE: {
          guard: 'escalationIsDue',
          actions: { type: 'escalate', params: { cause: 'no_acceptance' } },
        },
        PAUSE_REQUESTED: { guard: 'isRunning', actions: 'pauseReminders' },
        RESUME_REQUESTED: { guard: 'isPaused', actions: 'resumeReminders' },
        CHECK_REQUESTED: { guard: 'roleIsKnown', actions: 'checkNow' },
        POLICY_CHANGED: { actions: 'changePolicy' },
        CONTRIBUTORS_SEEN: [
          {
            guard: 'identifiesAcceptance',
            actions: ['recordContributorsCheck', 'recordIdentifiedAcceptance'],
            target: 'settling',
          },
          { actions: ['noteAttention', 'recordContributorsCheck'] },
        ],
      },
    },
    revoking: {
      always: { guard: not('hasPendingInvites'), target: 'revoked' },
      on: {
        REVOKED: { guard: 'isBeingRevoked', actions: ['recordRevocation', 'noteAttention'] },
      },
    },
    failed: {
      entry: { type: 'escalate', params: { cause: 'failed' } },
      on: {
        PROJECT_COMPLETED: [
          { guard: 'correctsRole', actions: 'changeRole', target: 'settling' },
          { guard: 'addsInvitees', actions: 'addInvitees', target: 'settling' },
        ],
        RETRY: { guard: 'hasSomethingToRetry', actions: 'prepareRetry', target: 'settling' },
        ACCEPTED: { guard: 'acceptanceAllowed', actions: 'recordAcceptance', target: 'settling' },
        REVOKE_REQUESTED: { guard: 'revokeAllowed', actions: 'startRevocation', target: 'revoking' },
        // Staff fix what failed: a typo'd address replaced, one added or dropped, another policy.
        INVITEE_ADDED: { guard: 'additionAllowed', actions: 'addInvitee', target: 'settling' },
        INVITEE_REMOVAL_REQUESTED: { guard: 'removalAllowed', actions: 'requestRemoval', target: 'settling' },
        INVITEE_REPLACEMENT_REQUESTED: {
          guard: 'replacementAllowed',
          actions: 'requestReplacement',
          target: 'settling',
        },
        POLICY_CHANGED: { actions: 'changePolicy' },
        // An invite that may have gone out (unconfirmed) can still be accepted.
        CONTRIBUTORS_SEEN: [
          {
            guard: 'identifiesAcceptance',
            actions: ['recordContributorsCheck', 'recordIdentifiedAcceptance'],
            target: 'settling',
          },
          { actions: ['noteAttention', 'recordContributorsCheck'] },
        ],
      },
    },
    accepted: { type: 'final' },
    revoked: { type: 'final' },
    expired: { type: 'final', entry: { type: 'escalate', params: { cause: 'expired' } } },
  },
});

export type HandoffSnapshot = SnapshotFrom<typeof inviteMachine>;

/** What is persisted, queried and carried across continue-as-new: never the raw snapshot (it holds functions). */
export interface MachineState {
  value: HandoffState;
  context: HandoffContext;
}

export const initialHandoff = (): HandoffSnapshot => initialTransition(inviteMachine)[0];

/** Restores a saved state; fields added since it was saved take their initial values. */
export const restoreHandoff = (saved: MachineState): HandoffSnapshot =>
  inviteMachine.resolveState({
    value: saved.value,
    // Object.assign, not a spread: the saved context's type claims fields that older runs never saved.
    context: Object.assign({ reportedAccountIds: [], lastCheckAt: 0, wixBusyUntil: 0 }, saved.context),
  });

export const saveHandoff = (snapshot: HandoffSnapshot): MachineState => ({
  value: snapshot.value as HandoffState,
  context: snapshot.context,
});

export const stateOf = (snapshot: HandoffSnapshot): HandoffState => snapshot.value as HandoffState;

/** Applies an event; the machine's actions are all `assign`, so nothing is left for the caller to execute. */
export const applyEvent = (snapshot: HandoffSnapshot, event: HandoffEvent): HandoffSnapshot =>
  transition(inviteMachine, snapshot, event)[0];

/**
 * Why the machine would refuse this event now, in words for staff; undefined when it is allowed.
 * A repeated project event that adds nothing is not a refusal: see `isRepeatedProject`.
 */
export function refusalReason(snapshot: HandoffSnapshot, event: HandoffEvent): string | undefined {
  if (snapshot.can(event)) return undefined;
  const ctx = snapshot.context;
  const state = stateOf(snapshot);
  // An acceptance is the most useful reason to give, even once the handoff has ended.
  if (event.type === 'REVOKE_REQUESTED' && revokeRefusal(ctx)) return revokeRefusal(ctx);
  if (snapshot.status === 'done') return `the handoff has already ended as ${state}`;
  switch (event.type) {
    case 'PROJECT_COMPLETED':
      return projectConflict(ctx, event.project) ?? `a project-completed event is not taken while ${state}`;
    case 'REVOKE_REQUESTED':
      return state === 'awaitingProject'
        ? 'no handoff has started yet'
        : `revoke is not allowed while ${state}`;
    case 'ACCEPTED':
      return acceptRefusal(ctx, event) ?? `an acceptance is not taken while ${state}`;
    case 'RESEND_REQUESTED':
      return state === 'pending' ? resendRefusal(ctx, event) : `resend is not allowed while ${state}`;
    case 'INVITEE_ADDED':
      return addRefusal(ctx, event.email) ?? changeRefusal('adding an invitee', state);
    case 'INVITEE_REMOVAL_REQUESTED':
      return removalRefusal(ctx, event.email) ?? changeRefusal('removing an invitee', state);
    case 'INVITEE_REPLACEMENT_REQUESTED':
      return (
        replacementRefusal(ctx, event.email, event.newEmail) ?? changeRefusal('replacing an invitee', state)
      );
    case 'PAUSE_REQUESTED':
      return ctx.paused ? 'reminders are already paused' : changeRefusal('pausing reminders', state);
    case 'RESUME_REQUESTED':
      return ctx.paused ? changeRefusal('resuming reminders', state) : 'reminders are not paused';
    case 'CHECK_REQUESTED':
      return state === 'pending'
        ? 'the role is not resolved yet, so there is nothing to check'
        : changeRefusal('an acceptance check', state);
    case 'POLICY_CHANGED':
      return changeRefusal('a policy change', state);
    case 'RETRY':
      return retryable(ctx).length === 0
        ? 'nothing to retry: no invite has failed or is unconfirmed'
        : `retry is not allowed while ${state}`;
    default:
      return `${event.type} is not allowed while ${state}`;
  }
}

const changeRefusal = (what: string, state: HandoffState): string =>
  state === 'inviting'
    ? `${what} waits until the invites are out: try again in a moment`
    : `${what} is not allowed while the handoff is ${state}`;

/** A project-completed event that repeats what the handoff already has: a no-op, not a refusal. */
export function isRepeatedProject(snapshot: HandoffSnapshot, project: ProjectCompleted): boolean {
  const ctx = snapshot.context;
  return (
    projectConflict(ctx, project) === undefined &&
    !correctsRole(ctx, project) &&
    newEmails(ctx, project).length === 0
  );
}
