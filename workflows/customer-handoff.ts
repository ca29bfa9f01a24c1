// One workflow per site handoff (id `handoff-<siteId>`): invites the customer, reminds on durable timers,
// detects acceptance, renews or expires with the invite, revokes on request. The invite machine decides;
// this file waits and calls Wix.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  allHandlersFinished,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/common';
import type { HandoffActivities } from '../activities';
import type {
  AcceptedNotice,
  AuditEntry,
  HandoffState,
  HandoffStatus,
  Invitee,
  ResendRequest,
  RetryRequest,
  RevokeRequest,
} from './handoff-types';
import {
  applyEvent,
  initialHandoff,
  isRepeatedProject,
  nextReminderAt,
  normaliseEmail,
  refusalReason,
  restoreHandoff,
  saveHandoff,
  stateOf,
  type HandoffEvent,
  type HandoffSnapshot,
  type MachineState,
} from './invite-machine';
import { validateProjectCompleted } from './project-schema';
import { HANDOFF_STATE_ATTRIBUTE } from './search-attributes';

export const WORKFLOW_TYPE = 'customerHandoff';
export const handoffWorkflowId = (siteId: string): string => `handoff-${siteId.trim().toLowerCase()}`;

export const projectCompletedSignal = defineSignal<[unknown]>('projectCompleted');
export const revokeSignal = defineSignal<[RevokeRequest]>('revoke');
export const acceptedSignal = defineSignal<[AcceptedNotice]>('accepted');
export const retrySignal = defineSignal<[RetryRequest]>('retry');
export const resendSignal = defineSignal<[ResendRequest]>('resend');
export const statusQuery = defineQuery<HandoffStatus>('status');
/** Revoke with an answer: rejected (and kept out of history) when the machine refuses it. */
export const revokeUpdate = defineUpdate<HandoffStatus, [RevokeRequest]>('requestRevoke');
/** Resend now with an answer, by the same rules as reminders (never after acceptance or expiry). */
export const resendUpdate = defineUpdate<HandoffStatus, [ResendRequest]>('requestResend');

/** Wix calls run on their own task queue, whose server-side rate limit keeps every worker under Wix's limit. */
export const wixTaskQueue = (handoffTaskQueue: string): string => `${handoffTaskQueue}-wix`;

/** Reads and revokes are safe to retry; Temporal retries them with backoff. */
const WIX_READS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 8,
    nonRetryableErrorTypes: ['WixRefused'],
  },
};

/**
 * Bulk Invite and Resend email the customer and Wix offers no idempotency key: one attempt each, and the
 * workflow alone decides to call again, only when Wix surely did not act (429, 503, no connection).
 */
const WIX_SENDS: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 1 },
};

/** Wix's advice for a 429 is to wait a minute; used when a failure carries no delay of its own. */
const DEFAULT_RETRY_DELAY_MS = 60_000;
const MAX_AUDIT_ENTRIES = 500;
const WORKFLOW_ACTOR = 'site-handoff';
const WIX_ACTOR = 'wix';
const AWAIT_VALID_PROJECT = '1 hour';

/** What continue-as-new carries into the next run: plain data only. */
export interface CarriedHandoff {
  machine: MachineState;
  audit: AuditEntry[];
  lastRefusal: HandoffStatus['lastRefusal'];
  lastPollAt: number;
  reportedAccountIds: string[];
}

type Inbound =
  | { kind: 'project'; payload: unknown }
  | { kind: 'revoke'; request: RevokeRequest; id?: number }
  | { kind: 'accepted'; notice: AcceptedNotice }
  | { kind: 'retry'; request: RetryRequest }
  | { kind: 'resend'; request: ResendRequest; id?: number };

type SendOutcome =
  | { kind: 'done' }
  | { kind: 'retry-later'; delayMs: number; reason: string }
  | { kind: 'refused'; reason: string; status?: number }
  | { kind: 'unknown'; reason: string };

/** Sorts an activity failure into what the workflow may do next. */
function classify(err: unknown): Exclude<SendOutcome, { kind: 'done' }> {
  if (isCancellation(err)) throw err;
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) {
    const status = (cause.details?.[0] as { status?: number | null } | undefined)?.status ?? undefined;
    if (cause.type === 'WixRefused') return { kind: 'refused', reason: cause.message, status };
    if (cause.type === 'WixUnavailable') {
      return { kind: 'retry-later', delayMs: DEFAULT_RETRY_DELAY_MS, reason: cause.message };
    }
    if (cause.type === 'WixOutcomeUnknown') return { kind: 'unknown', reason: cause.message };
  }
  // A timeout or a lost worker: the call may have reached Wix.
  const message =
    err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  return { kind: 'unknown', reason: `the call to Wix did not finish (${message})` };
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

export async function customerHandoff(carried?: CarriedHandoff): Promise<HandoffStatus> {
  const taskQueue = wixTaskQueue(workflowInfo().taskQueue);
  const wixReads = proxyActivities<HandoffActivities>({ ...WIX_READS, taskQueue });
  const wixSends = proxyActivities<HandoffActivities>({ ...WIX_SENDS, taskQueue });
  let snapshot: HandoffSnapshot = carried ? restoreHandoff(carried.machine) : initialHandoff();
  const audit: AuditEntry[] = carried?.audit ?? [];
  let lastRefusal: HandoffStatus['lastRefusal'] = carried?.lastRefusal ?? null;
  let lastPollAt = carried?.lastPollAt ?? 0;
  const reportedAccountIds = new Set(carried?.reportedAccountIds ?? []);
  const alerts: string[] = [];
  const inbox: Inbound[] = [];
  let retryNotBefore = 0;
  let nextInboundId = 0;
  const settledInbound = new Map<number, string | null>();
  const searchAttributeRegistered =
    workflowInfo().typedSearchAttributes.get(HANDOFF_STATE_ATTRIBUTE) !== undefined;

  const ctx = () => snapshot.context;
  const find = (email: string) => ctx().invitees.find((i) => i.email === email);
  const siteId = () => ctx().siteId!;

  function record(event: string, actor: string, detail?: string): void {
    audit.push({ at: new Date().toISOString(), event, actor, ...(detail ? { detail } : {}) });
    if (audit.length > MAX_AUDIT_ENTRIES) audit.splice(0, audit.length - MAX_AUDIT_ENTRIES);
  }

  function refuse(request: string, reason: string, actor: string): void {
    lastRefusal = { at: new Date().toISOString(), request, reason };
    record(`${request} refused`, actor, reason);
    log.warn('Handoff request refused', { request, reason });
  }

  /** Feeds an event to the machine; returns the refusal reason, if any. `cause` is audited before the state change. */
  function feed(event: HandoffEvent, cause?: Omit<AuditEntry, 'at'>): string | undefined {
    const reason = refusalReason(snapshot, event);
    if (reason) return reason;
    if (cause) record(cause.event, cause.actor, cause.detail);
    const before = stateOf(snapshot);
    snapshot = applyEvent(snapshot, event);
    const after = stateOf(snapshot);
    if (before !== after) {
      record(`state: ${after}`, WORKFLOW_ACTOR);
      if (searchAttributeRegistered) upsertSearchAttributes([{ key: HANDOFF_STATE_ATTRIBUTE, value: after }]);
    }
    return undefined;
  }

  /** Events the workflow itself derives are always allowed by construction; a refusal here is a bug to surface. */
  function feedOwn(event: HandoffEvent): void {
    const reason = feed(event);
    if (reason) log.error('Invite machine refused a workflow event', { type: event.type, reason });
  }

  function describe(): HandoffStatus {
    const { context } = snapshot;
    const upcoming = context.invitees
      .map((i) => nextReminderAt(i, context.policy))
      .filter((t): t is number => t !== undefined);
    return {
      state: stateOf(snapshot),
      siteId: context.siteId ?? null,
      projectId: context.projectId ?? null,
      role: context.role ?? null,
      roleId: context.roleId ?? null,
      invitees: context.invitees.map((i) => ({
        email: i.email,
        status: i.status,
        inviteId: i.inviteId ?? null,
        expiresAt: iso(i.expiresAt),
        remindersSent: i.remindersSent,
        renewals: i.renewals,
        acceptedAt: iso(i.acceptedAt),
        problem: i.problem ?? null,
      })),
      remindersSent: context.invitees.reduce((n, i) => n + i.remindersSent, 0),
      nextReminderAt: upcoming.length ? iso(Math.min(...upcoming)) : null,
      failure: context.failure ?? null,
      lastRefusal,
      alerts: [...alerts],
      audit: [...audit],
    };
  }

  // Handlers first, before any await, so no message is dropped.
  setHandler(projectCompletedSignal, (payload) => void inbox.push({ kind: 'project', payload }));
  setHandler(revokeSignal, (request) => void inbox.push({ kind: 'revoke', request }));
  setHandler(acceptedSignal, (notice) => void inbox.push({ kind: 'accepted', notice }));
  setHandler(retrySignal, (request) => void inbox.push({ kind: 'retry', request }));
  setHandler(resendSignal, (request) => void inbox.push({ kind: 'resend', request }));
  setHandler(statusQuery, describe);
  /** Queues a message and waits for the loop to take or refuse it, so the caller gets the answer. */
  async function answer(message: Extract<Inbound, { kind: 'revoke' | 'resend' }>): Promise<HandoffStatus> {
    const id = nextInboundId++;
    inbox.push({ ...message, id });
    await condition(() => settledInbound.has(id));
    const refusal = settledInbound.get(id);
    settledInbound.delete(id);
    if (refusal) throw ApplicationFailure.nonRetryable(refusal, `${message.kind}Refused`);
    return describe();
  }

  /** Rejects an update up front (nothing in history) when the machine would refuse it now. */
  function validate(event: HandoffEvent, what: string): void {
    const reason = refusalReason(snapshot, event);
    if (reason) throw new Error(`${what} refused: ${reason}`);
  }

  setHandler(revokeUpdate, (request) => answer({ kind: 'revoke', request }), {
    validator: (request: RevokeRequest) => {
      if (!request || typeof request.reason !== 'string' || !request.reason.trim()) {
        throw new Error('revoke needs a non-empty "reason"');
      }
      const actor = String(request.actor ?? 'unknown');
      validate({ type: 'REVOKE_REQUESTED', at: Date.now(), reason: request.reason, actor }, 'revoke');
    },
  });
  setHandler(resendUpdate, (request) => answer({ kind: 'resend', request }), {
    validator: (request: ResendRequest) => {
      const actor = String(request?.actor ?? 'unknown');
      validate({ type: 'RESEND_REQUESTED', at: Date.now(), actor, email: request?.email }, 'resend');
    },
  });

  function handleInbound(message: Inbound): void {
    const at = Date.now();
    switch (message.kind) {
      case 'project': {
        const validation = validateProjectCompleted(message.payload, ctx().policy);
        if (!validation.ok) return refuse('projectCompleted', validation.problems.join('; '), 'project-tool');
        const { project, policy } = validation;
        if (stateOf(snapshot) !== 'awaitingProject' && isRepeatedProject(snapshot, project)) {
          return record('projectCompleted repeated: nothing new', 'project-tool');
        }
        const event: HandoffEvent = { type: 'PROJECT_COMPLETED', project, policy, at };
        const cause = {
          event: 'projectCompleted',
          actor: 'project-tool',
          detail: `invite ${project.customerEmails.join(', ')}`,
        };
        const reason = feed(event, cause);
        if (reason) refuse('projectCompleted', reason, 'project-tool');
        return;
      }
      case 'revoke': {
        const actor = String(message.request?.actor ?? 'unknown');
        const why = typeof message.request?.reason === 'string' ? message.request.reason.trim() : '';
        const reason = why
          ? feed(
              { type: 'REVOKE_REQUESTED', at, reason: why, actor },
              { event: 'revoke requested', actor, detail: why },
            )
          : 'revoke needs a non-empty "reason"';
        if (message.id !== undefined) settledInbound.set(message.id, reason ?? null);
        if (reason) refuse('revoke', reason, actor);
        return;
      }
      case 'accepted': {
        const actor = String(message.notice?.actor ?? 'unknown');
        const email = typeof message.notice?.email === 'string' ? normaliseEmail(message.notice.email) : '';
        const reason = feed(
          { type: 'ACCEPTED', email, at, actor, accountId: message.notice?.accountId },
          { event: 'accepted', actor, detail: email },
        );
        if (reason) refuse('accepted', reason, actor);
        return;
      }
      case 'resend': {
        const actor = String(message.request?.actor ?? 'unknown');
        const email = typeof message.request?.email === 'string' ? message.request.email : undefined;
        const reason = feed(
          { type: 'RESEND_REQUESTED', at, actor, ...(email ? { email } : {}) },
          { event: 'resend requested', actor, detail: email },
        );
        if (message.id !== undefined) settledInbound.set(message.id, reason ?? null);
        if (reason) refuse('resend', reason, actor);
        return;
      }
      case 'retry': {
        const actor = String(message.request?.actor ?? 'unknown');
        const reason = feed({ type: 'RETRY', at, actor }, { event: 'retry', actor });
        if (reason) return refuse('retry', reason, actor);
        retryNotBefore = 0;
        return;
      }
    }
  }

  async function invite(): Promise<void> {
    const waitMs = retryNotBefore - Date.now();
    if (waitMs > 0) {
      await condition(() => inbox.length > 0, waitMs);
      return;
    }
    const emails = ctx()
      .invitees.filter((i) => i.status === 'toInvite')
      .map((i) => i.email);
    let outcome: SendOutcome;
    try {
      if (ctx().roleId === undefined) {
        const prepared = await wixReads.prepareHandoff({ siteId: siteId(), role: ctx().role! });
        feedOwn({ type: 'HANDOFF_PREPARED', ...prepared });
        record('role resolved', WIX_ACTOR, `${ctx().role} = ${prepared.roleId}`);
      }
      const sent = await wixSends.sendInvites({
        siteId: siteId(),
        roleId: ctx().roleId!,
        emails,
        language: ctx().language,
      });
      feedOwn({ type: 'INVITES_SENT', at: Date.now(), ...sent });
      // The baseline was taken just before the invite: the first acceptance check is one poll interval away.
      lastPollAt = Date.now();
      retryNotBefore = 0;
      for (const i of sent.invites) record('invite sent', WIX_ACTOR, `${i.email} (invite ${i.inviteId})`);
      if (sent.failedEmails.length) record('invite failed', WIX_ACTOR, sent.failedEmails.join(', '));
      outcome = { kind: 'done' };
    } catch (err) {
      outcome = classify(err);
    }
    if (outcome.kind === 'retry-later') {
      retryNotBefore = Date.now() + outcome.delayMs;
      record('invite delayed', WIX_ACTOR, outcome.reason);
    } else if (outcome.kind === 'refused' || outcome.kind === 'unknown') {
      feedOwn({ type: 'SEND_FAILED', at: Date.now(), emails, reason: outcome.reason, outcome: outcome.kind });
      record(
        outcome.kind === 'refused' ? 'invite refused by Wix' : 'invite outcome unknown',
        WIX_ACTOR,
        outcome.reason,
      );
    }
  }

  /** Attributes a new contributor only when it cannot belong to anyone else: one candidate, one new account. */
  async function checkAcceptance(): Promise<void> {
    const { baselineAccountIds = [], claimedAccountIds, roleId } = ctx();
    if (!roleId) return;
    const candidates = ctx().invitees.filter((i) => i.status === 'pending' || i.status === 'unconfirmed');
    if (candidates.length === 0) return;
    let accounts: string[];
    try {
      accounts = await wixReads.findContributors({ siteId: siteId(), roleId });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Not fatal: the next poll tries again, and reminders still go out on schedule.
      record('acceptance check failed', WIX_ACTOR, err instanceof Error ? err.message : String(err));
      return;
    } finally {
      lastPollAt = Date.now();
    }
    const known = new Set([...baselineAccountIds, ...claimedAccountIds]);
    const fresh = accounts.filter((a) => !known.has(a));
    if (fresh.length === 1 && candidates.length === 1 && !reportedAccountIds.has(fresh[0])) {
      const email = candidates[0].email;
      const cause = {
        event: 'accepted',
        actor: WIX_ACTOR,
        detail: `${email} is now Wix contributor ${fresh[0]}`,
      };
      const reason = feed(
        { type: 'ACCEPTED', email, at: Date.now(), actor: WIX_ACTOR, accountId: fresh[0] },
        cause,
      );
      if (reason) log.error('Invite machine refused a workflow event', { type: 'ACCEPTED', reason });
      return;
    }
    const unreported = fresh.filter((a) => !reportedAccountIds.has(a));
    if (unreported.length > 0) {
      unreported.forEach((a) => reportedAccountIds.add(a));
      record(
        'acceptance ambiguous',
        WIX_ACTOR,
        `new contributor(s) ${unreported.join(', ')} with role ${ctx().role} cannot be told apart between ` +
          `${candidates.map((c) => c.email).join(', ')}; send the "accepted" signal to confirm who accepted`,
      );
    }
  }

  async function resend(invitee: Invitee, purpose: 'reminder' | 'renewal'): Promise<void> {
    let outcome: SendOutcome;
    let expiresAt: number | null = null;
    try {
      ({ expiresAt } = await wixSends.resendInvite({
        siteId: siteId(),
        inviteId: invitee.inviteId!,
        language: ctx().language,
      }));
      outcome = { kind: 'done' };
      retryNotBefore = 0;
    } catch (err) {
      outcome = classify(err);
    }
    const at = Date.now();
    const { email } = invitee;
    if (outcome.kind === 'retry-later') {
      retryNotBefore = at + outcome.delayMs;
      record(`${purpose} delayed`, WIX_ACTOR, `${email}: ${outcome.reason}`);
      return;
    }
    if (outcome.kind === 'refused' && outcome.status === 428) {
      // "No longer pending" usually means the customer accepted since the last check (resends queue behind
      // the rate limit): look before calling it a failure.
      await checkAcceptance();
      if (find(email)?.status !== 'pending') return;
    }
    if (outcome.kind === 'refused') {
      feedOwn({ type: 'RESEND_FAILED', email, at, reason: `Wix refused the ${purpose}: ${outcome.reason}` });
      record(`${purpose} refused by Wix`, WIX_ACTOR, `${email}: ${outcome.reason}`);
      return;
    }
    // An unknown outcome counts as sent: sending again could email the customer twice.
    const note = outcome.kind === 'unknown' ? ` (outcome unknown, not repeated: ${outcome.reason})` : '';
    if (purpose === 'reminder') {
      feedOwn({ type: 'REMINDER_SENT', email, at, ...(expiresAt !== null ? { expiresAt } : {}) });
      record('reminder sent', WIX_ACTOR, `${email}${note}`);
    } else {
      const validity =
        invitee.expiresAt !== undefined && invitee.cycleStartedAt !== undefined
          ? invitee.expiresAt - invitee.cycleStartedAt
          : 30 * 24 * 3600 * 1000;
      feedOwn({ type: 'INVITE_RENEWED', email, at, expiresAt: expiresAt ?? at + validity });
      record('invite renewed', WIX_ACTOR, `${email}${note}`);
    }
  }

  /**
   * Revoked means out: a contributor with the role who is neither from before the handoff nor a known acceptance
   * came in through an invite this handoff lost track of (or was accepted just before the revoke). Staff are told.
   */
  async function checkAfterRevoke(): Promise<void> {
    const { roleId, baselineAccountIds = [], claimedAccountIds } = ctx();
    if (!roleId) return;
    let accounts: string[];
    try {
      accounts = await wixReads.findContributors({ siteId: siteId(), roleId });
    } catch (err) {
      if (isCancellation(err)) throw err;
      alerts.push("Could not check Wix contributors after the revoke: check the site's contributors by hand");
      return;
    }
    const known = new Set([...baselineAccountIds, ...claimedAccountIds]);
    for (const account of accounts.filter((a) => !known.has(a))) {
      const alert =
        `Wix account ${account} holds role ${ctx().role} on site ${siteId()} although the handoff was revoked: ` +
        `if it should not, remove it (POST /v1/sites/${siteId()}/contributors/${account}/remove, or Wix Remove Contributor)`;
      alerts.push(alert);
      record('ALERT contributor after revoke', WIX_ACTOR, alert);
      log.warn('Contributor found after revoke', { account });
    }
  }

  /** The next moment the pending handoff has something to do. */
  function nextWakeAt(): number {
    const { invitees, policy } = ctx();
    const times = [lastPollAt + policy.acceptancePollMs];
    for (const i of invitees.filter((x) => x.status === 'pending')) {
      // A resend already decided waits only for a rate-limit pause, if there is one.
      if (i.reminderDue || i.renewalDue) times.push(retryNotBefore);
      const reminder = nextReminderAt(i, policy);
      if (reminder !== undefined) times.push(reminder);
      if (i.expiresAt !== undefined) times.push(i.expiresAt);
    }
    return Math.min(...times);
  }

  async function tendPending(): Promise<void> {
    const waitMs = nextWakeAt() - Date.now();
    if (waitMs > 0 && (await condition(() => inbox.length > 0, waitMs))) return;
    const now = Date.now();
    const pending = () => ctx().invitees.filter((i) => i.status === 'pending');
    const due = pending().filter(
      (i) =>
        i.reminderDue ||
        i.renewalDue ||
        (i.expiresAt !== undefined && i.expiresAt <= now) ||
        (nextReminderAt(i, ctx().policy) ?? Infinity) <= now,
    );
    // Acceptance is checked before every reminder, so nobody is reminded after accepting.
    if (due.length > 0 || lastPollAt + ctx().policy.acceptancePollMs <= now) await checkAcceptance();
    for (const i of pending()) {
      if (i.expiresAt !== undefined && i.expiresAt <= now)
        feed({ type: 'EXPIRY_REACHED', email: i.email, at: now });
      else feed({ type: 'REMINDER_DUE', email: i.email, at: now });
    }
    if (now < retryNotBefore) return;
    for (const i of pending()) {
      if (i.renewalDue) await resend(i, 'renewal');
      else if (i.reminderDue) await resend(i, 'reminder');
      if (now < retryNotBefore) return;
    }
  }

  async function revokePending(): Promise<void> {
    const waitMs = retryNotBefore - Date.now();
    if (waitMs > 0) {
      await sleep(waitMs);
      return;
    }
    const targets = ctx().invitees.filter((i) => i.status === 'pending');
    const results = await Promise.all(
      targets.map(async (i) => {
        try {
          return await wixReads.revokeInvite({ siteId: siteId(), inviteId: i.inviteId! });
        } catch (err) {
          return classify(err);
        }
      }),
    );
    targets.forEach((invitee, n) => {
      const result = results[n];
      const { email } = invitee;
      if ('outcome' in result) {
        feedOwn({ type: 'REVOKED', email, at: Date.now(), outcome: result.outcome, detail: result.detail });
        record(
          result.outcome === 'revoked' ? 'invite revoked' : 'revoke refused by Wix',
          WIX_ACTOR,
          result.detail ? `${email}: ${result.detail}` : email,
        );
      } else if (result.kind === 'retry-later') {
        retryNotBefore = Date.now() + result.delayMs;
        record('revoke delayed', WIX_ACTOR, `${email}: ${result.reason}`);
      } else {
        feedOwn({ type: 'REVOKED', email, at: Date.now(), outcome: 'refused', detail: result.reason });
        record('revoke failed', WIX_ACTOR, `${email}: ${result.reason}`);
      }
    });
  }

  const done = () => snapshot.status === 'done';

  try {
    for (;;) {
      while (inbox.length > 0) handleInbound(inbox.shift()!);
      if (done()) break;
      const state: HandoffState = stateOf(snapshot);
      if (workflowInfo().continueAsNewSuggested && (state === 'pending' || state === 'failed')) {
        await condition(allHandlersFinished);
        if (inbox.length === 0) {
          const carry: CarriedHandoff = {
            machine: saveHandoff(snapshot),
            audit,
            lastRefusal,
            lastPollAt,
            reportedAccountIds: [...reportedAccountIds],
          };
          await continueAsNew<typeof customerHandoff>(carry);
        }
        continue;
      }
      switch (state) {
        case 'inviting':
          await invite();
          break;
        case 'pending':
          await tendPending();
          break;
        case 'revoking':
          await revokePending();
          break;
        case 'awaitingProject':
          // Started with a payload that was refused: give the sender time to correct it, then fail visibly
          // (a failed run lets a corrected event start the handoff afresh).
          if (!(await condition(() => inbox.length > 0, AWAIT_VALID_PROJECT))) {
            throw ApplicationFailure.nonRetryable(
              `No valid projectCompleted signal arrived: ${lastRefusal?.reason ?? 'none was sent'}`,
              'InvalidProjectCompleted',
            );
          }
          break;
        default: {
          // failed waits for staff: a retry, an acceptance, a revoke or a corrected project event. An invite
          // that may have gone out (unconfirmed) can still be accepted, so contributors are still watched.
          const watch =
            ctx().roleId !== undefined &&
            ctx().invitees.some((i) => i.status === 'unconfirmed') &&
            patched('watch-unconfirmed-invites');
          if (!watch) {
            await condition(() => inbox.length > 0);
          } else if (!(await condition(() => inbox.length > 0, ctx().policy.acceptancePollMs))) {
            await checkAcceptance();
          }
        }
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // A cancelled handoff must not leave an invite that still works.
    await CancellationScope.nonCancellable(async () => {
      const reason = feed({
        type: 'REVOKE_REQUESTED',
        at: Date.now(),
        reason: 'workflow cancelled',
        actor: 'temporal',
      });
      record(reason ? 'cancelled; revoke refused' : 'cancelled; revoking', 'temporal', reason);
      while (!done() && stateOf(snapshot) === 'revoking') await revokePending();
    });
    throw err;
  }
  if (stateOf(snapshot) === 'revoked' && patched('contributor-check-after-revoke')) await checkAfterRevoke();
  // Let an in-flight revoke update see its answer before the workflow closes.
  await condition(allHandlersFinished);
  return describe();
}
