// One handoff's state and its message handlers: the machine's snapshot, the audit trail and the inbox of signals
// and updates, which the lifecycle (customer-handoff.ts) takes in order between Wix calls, so those never overlap.
import { ApplicationFailure, condition, log, upsertSearchAttributes } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import {
  REQUEST_INVALID,
  REQUEST_REFUSED,
  type AcceptedNotice,
  type AuditEntry,
  type ChangeRequest,
  type Escalation,
  type ResolvedPolicy,
  type HandoffState,
  type RestartInput,
  type HandoffStatus,
  type ResendRequest,
  type RetryRequest,
  type RevokeRequest,
} from './handoff-types';
import {
  applyEvent,
  contributorsWorthChecking,
  nextCheck,
  escalationDueAt,
  escalationFor,
  initialHandoff,
  isRepeatedProject,
  nextReminderAt,
  normaliseEmail,
  refusalReason,
  restoreHandoff,
  saveHandoff,
  stateOf,
  type HandoffContext,
  type HandoffEvent,
  type HandoffSnapshot,
  type MachineState,
} from './invite-machine';
import { validateHandoffChange, validateProjectCompleted, type CheckedChange } from './project-schema';
import { HANDOFF_STATE_ATTRIBUTE } from './search-attributes';

export const WORKFLOW_ACTOR = 'site-handoff';
export const WIX_ACTOR = 'wix';
const MAX_AUDIT_ENTRIES = 500;

/** What continue-as-new carries into the next run: plain data only. */
export interface CarriedHandoff {
  machine: MachineState;
  audit: AuditEntry[];
  lastRefusal: HandoffStatus['lastRefusal'];
  /** Audit entries ever recorded (the kept trail holds the latest 500): the ledger's sequence and version. */
  auditCount?: number;
  /** The ledger's acknowledged audit count, so the next run writes only what is new. */
  ledgerAcked?: number;
  startedAt?: string;
  endedAt?: string | null;
  restartOf?: RestartInput;
  /** Carried by runs from before the machine kept them in its context. */
  lastPollAt?: number;
  reportedAccountIds?: string[];
}

export type Inbound =
  | { kind: 'project'; payload: unknown }
  | { kind: 'revoke'; request: RevokeRequest; id?: number }
  | { kind: 'accepted'; notice: AcceptedNotice }
  | { kind: 'retry'; request: RetryRequest }
  | { kind: 'resend'; request: ResendRequest; id?: number }
  | { kind: 'change'; request: ChangeRequest; id?: number };

type Answered = Extract<Inbound, { kind: 'revoke' | 'resend' | 'change' }>;

/** Each change as the machine's event and the audit entry that explains it. */
function changeEvent(
  change: CheckedChange,
  at: number,
  actor: string,
): { event: HandoffEvent; audit: string; detail?: string } {
  switch (change.kind) {
    case 'addInvitee':
      return {
        event: { type: 'INVITEE_ADDED', at, actor, email: change.email },
        audit: 'invitee added',
        detail: change.email,
      };
    case 'removeInvitee':
      return {
        event: { type: 'INVITEE_REMOVAL_REQUESTED', at, actor, email: change.email },
        audit: 'invitee removed',
        detail: change.email,
      };
    case 'replaceInvitee':
      return {
        event: {
          type: 'INVITEE_REPLACEMENT_REQUESTED',
          at,
          actor,
          email: change.email,
          newEmail: change.newEmail,
        },
        audit: 'invitee replaced',
        detail: `${change.email} → ${change.newEmail}${change.reason ? `: ${change.reason}` : ''}`,
      };
    case 'pause':
      return {
        event: { type: 'PAUSE_REQUESTED', at, actor, reason: change.reason },
        audit: 'reminders paused',
        detail: change.reason,
      };
    case 'resume':
      return { event: { type: 'RESUME_REQUESTED', at, actor }, audit: 'reminders resumed' };
    case 'checkAcceptance':
      return { event: { type: 'CHECK_REQUESTED', at, actor }, audit: 'acceptance check requested' };
    case 'changePolicy':
      return {
        event: { type: 'POLICY_CHANGED', at, actor, policy: change.policy },
        audit: 'policy changed',
        detail: JSON.stringify(change.given),
      };
  }
}

/** '7 days', '15 seconds': how an escalation's wait reads in the audit. */
function readable(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1000, 'second'],
  ];
  const [size, name] = units.find(([size]) => ms % size === 0 && ms >= size) ?? [1, 'millisecond'];
  const n = ms / size;
  return `${n} ${name}${n === 1 ? '' : 's'}`;
}

/** The audit detail of an escalation: its cause first (receivers read it), then why, then who is told. */
function escalationDetail(escalation: Escalation, ctx: HandoffContext): string {
  const why = {
    no_acceptance: `nobody accepted within ${readable(ctx.policy.escalateAfterMs ?? 0)} of the first invite`,
    expired: 'the invite expired without an acceptance',
    failed: `the handoff failed${ctx.failure ? `: ${ctx.failure}` : ''}`,
    needs_attention: 'something needs a person: see the alerts and the audit trail',
  }[escalation.cause];
  return `${escalation.cause}: ${why}${escalation.to ? ` (to ${escalation.to})` : ''}`;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
/** Messages come from outside: anything but a non-empty string is "unknown". */
const actorOf = (value: { actor?: unknown } | undefined): string =>
  typeof value?.actor === 'string' && value.actor ? value.actor : 'unknown';

/** The one shape a refused request reaches the client in, from a validator and from a handler alike. */
const refusal = (request: string, reason: string): ApplicationFailure =>
  ApplicationFailure.create({
    type: REQUEST_REFUSED,
    message: reason,
    nonRetryable: true,
    details: [{ request }],
  });

/** Runs from before the machine kept the last check and the reported accounts carried them beside it. */
function restore({ machine, lastPollAt, reportedAccountIds }: CarriedHandoff): HandoffSnapshot {
  const legacy = {
    ...(lastPollAt !== undefined ? { lastCheckAt: lastPollAt } : {}),
    ...(reportedAccountIds !== undefined ? { reportedAccountIds } : {}),
  };
  return restoreHandoff({ value: machine.value, context: Object.assign(legacy, machine.context) });
}

export class Handoff {
  private snapshot: HandoffSnapshot;
  private readonly audit: AuditEntry[];
  private auditCount: number;
  private lastRefusal: HandoffStatus['lastRefusal'];
  readonly startedAt: string;
  private endedAt: string | null;
  private readonly alerts: string[] = [];
  private readonly restartOf: RestartInput | undefined;
  private readonly inbox: Inbound[] = [];
  /** Answers for updates waiting on the lifecycle: the refusal reason, or null when taken. */
  private readonly answers = new Map<number, string | null>();
  private nextMessageId = 0;
  /** Escalations after the machine has ended (a contributor found after a revoke). */
  private readonly lateEscalations: Escalation[] = [];

  constructor(
    carried: CarriedHandoff | undefined,
    /** Whether the namespace has the HandoffState search attribute (the time-skipping server has none). */
    private readonly indexed: boolean,
    /** A new run after the site's previous handoff ended. */
    restart?: RestartInput,
    /**
     * Policy defaults of this code for new handoffs (escalation, adaptive checks): a run begun before one existed
     * keeps the defaults it started with.
     */
    private readonly newDefaults: Partial<ResolvedPolicy> = {},
  ) {
    this.snapshot = carried ? restore(carried) : initialHandoff();
    this.audit = carried?.audit ?? [];
    this.auditCount = carried?.auditCount ?? restart?.auditCount ?? this.audit.length;
    this.restartOf = carried?.restartOf ?? restart;
    this.lastRefusal = carried?.lastRefusal ?? null;
    this.startedAt = carried?.startedAt ?? new Date().toISOString();
    this.endedAt = carried?.endedAt ?? null;
    if (restart && !carried) {
      this.record(
        'restarted',
        actorOf(restart),
        `after the previous run ended as ${restart.previousState} (run ${restart.previousRunId}): ${restart.reason}`,
      );
    }
  }

  /** Grows with every audit entry, and every change is audited: the ledger keeps the highest it was sent. */
  get version(): number {
    return this.auditCount;
  }

  /** Audit entries from absolute sequence number `seq` on, as far as the kept trail reaches. */
  auditSince(seq: number): { seq: number; entry: AuditEntry }[] {
    const first = this.auditCount - this.audit.length;
    return this.audit
      .slice(Math.max(0, seq - first))
      .map((entry, n) => ({ seq: Math.max(seq, first) + n, entry }));
  }

  get ended(): string | null {
    return this.endedAt;
  }

  get context(): HandoffContext {
    return this.snapshot.context;
  }

  get state(): HandoffState {
    return stateOf(this.snapshot);
  }

  get done(): boolean {
    return this.snapshot.status === 'done';
  }

  carry(ledgerAcked?: number): CarriedHandoff {
    return {
      machine: saveHandoff(this.snapshot),
      audit: this.audit,
      lastRefusal: this.lastRefusal,
      auditCount: this.auditCount,
      startedAt: this.startedAt,
      endedAt: this.endedAt,
      ...(this.restartOf ? { restartOf: this.restartOf } : {}),
      ...(ledgerAcked !== undefined ? { ledgerAcked } : {}),
    };
  }

  // ---- Messages: handlers only queue; the lifecycle takes them between steps. ----

  receive(message: Inbound): void {
    this.inbox.push(message);
  }

  get hasMessages(): boolean {
    return this.inbox.length > 0;
  }

  /** Waits for a message, at most `timeoutMs`; true when one arrived. */
  waitForMessage(timeoutMs?: Duration): Promise<boolean> {
    return timeoutMs === undefined
      ? condition(() => this.inbox.length > 0).then(() => true)
      : condition(() => this.inbox.length > 0, timeoutMs);
  }

  takeMessages(): void {
    while (this.inbox.length > 0) this.take(this.inbox.shift()!);
  }

  /** Queues an update and waits for the lifecycle to take or refuse it, so the caller gets the answer. */
  async answer(message: Answered): Promise<HandoffStatus> {
    const id = this.nextMessageId++;
    this.inbox.push({ ...message, id });
    await condition(() => this.answers.has(id));
    const refused = this.answers.get(id);
    this.answers.delete(id);
    if (refused) throw refusal(message.kind, refused);
    return this.status();
  }

  /**
   * A change with an answer. Replacing or removing waits for Wix too: the caller learns whether the new invite went
   * out (the old one is revoked only then) and when the removed invite is revoked.
   */
  async answerChange(request: ChangeRequest): Promise<HandoffStatus> {
    await this.answer({ kind: 'change', request });
    const invitee = (email: string) => this.context.invitees.find((i) => i.email === normaliseEmail(email));
    if (request.kind === 'removeInvitee') {
      await condition(() => this.done || !invitee(request.email)?.removalDue);
    }
    if (request.kind === 'replaceInvitee' || request.kind === 'addInvitee') {
      const old = request.kind === 'replaceInvitee' ? request.email : undefined;
      const added = request.kind === 'replaceInvitee' ? request.newEmail : request.email;
      await condition(
        () => this.done || (invitee(added)?.status !== 'toInvite' && !(old && invitee(old)?.removalDue)),
      );
      const now = invitee(added);
      if (now && now.status !== 'pending' && now.status !== 'accepted') {
        const stays = old ? `; the invite for ${normaliseEmail(old)} stays` : '';
        throw refusal(request.kind, `Wix did not invite ${now.email} (${now.problem ?? now.status})${stays}`);
      }
    }
    return this.status();
  }

  /** Rejects a change up front (nothing in history) when it is malformed or the machine refuses it now. */
  validateChange(request: ChangeRequest): void {
    const checked = validateHandoffChange(request);
    if (!checked.ok) {
      throw ApplicationFailure.create({
        type: REQUEST_INVALID,
        message: checked.problems.join('; '),
        nonRetryable: true,
      });
    }
    this.validate(checked.change.kind, changeEvent(checked.change, Date.now(), actorOf(request)).event);
  }

  /** Rejects a revoke update up front (nothing in history) when it is malformed or the machine refuses it now. */
  validateRevoke(request: RevokeRequest): void {
    if (!request || typeof request.reason !== 'string' || !request.reason.trim()) {
      throw ApplicationFailure.create({
        type: REQUEST_INVALID,
        message: 'revoke needs a non-empty "reason"',
        nonRetryable: true,
      });
    }
    this.validate('revoke', {
      type: 'REVOKE_REQUESTED',
      at: Date.now(),
      reason: request.reason,
      actor: actorOf(request),
    });
  }

  validateResend(request: ResendRequest): void {
    this.validate('resend', {
      type: 'RESEND_REQUESTED',
      at: Date.now(),
      actor: actorOf(request),
      email: request?.email,
    });
  }

  private validate(request: string, event: HandoffEvent): void {
    const reason = refusalReason(this.snapshot, event);
    if (reason) throw refusal(request, reason);
  }

  private take(message: Inbound): void {
    const at = Date.now();
    switch (message.kind) {
      case 'project':
        return this.takeProject(message.payload, at);
      case 'revoke': {
        const actor = actorOf(message.request);
        const why = typeof message.request?.reason === 'string' ? message.request.reason.trim() : '';
        const reason = why
          ? this.feed(
              { type: 'REVOKE_REQUESTED', at, reason: why, actor },
              { event: 'revoke requested', actor, detail: why },
            )
          : 'revoke needs a non-empty "reason"';
        return this.settle(message, 'revoke', reason, actor);
      }
      case 'accepted': {
        const actor = actorOf(message.notice);
        const email = typeof message.notice?.email === 'string' ? normaliseEmail(message.notice.email) : '';
        const reason = this.feed(
          { type: 'ACCEPTED', email, at, actor, accountId: message.notice?.accountId },
          { event: 'accepted', actor, detail: email },
        );
        if (reason) this.refuse('accepted', reason, actor);
        return;
      }
      case 'resend': {
        const actor = actorOf(message.request);
        const email = typeof message.request?.email === 'string' ? message.request.email : undefined;
        const reason = this.feed(
          { type: 'RESEND_REQUESTED', at, actor, ...(email ? { email } : {}) },
          { event: 'resend requested', actor, detail: email },
        );
        return this.settle(message, 'resend', reason, actor);
      }
      case 'change': {
        const actor = actorOf(message.request);
        const checked = validateHandoffChange(message.request);
        if (!checked.ok) return this.settle(message, 'change', checked.problems.join('; '), actor);
        const { event, audit, detail } = changeEvent(checked.change, at, actor);
        const reason = this.feed(event, { event: audit, actor, detail });
        return this.settle(message, checked.change.kind, reason, actor);
      }
      case 'retry': {
        const actor = actorOf(message.request);
        const reason = this.feed({ type: 'RETRY', at, actor }, { event: 'retry', actor });
        if (reason) this.refuse('retry', reason, actor);
        return;
      }
    }
  }

  private takeProject(payload: unknown, at: number): void {
    const defaults = { ...this.context.policy, ...this.newDefaults };
    const validation = validateProjectCompleted(payload, defaults);
    if (!validation.ok)
      return this.refuse('projectCompleted', validation.problems.join('; '), 'project-tool');
    const { project, policy } = validation;
    if (this.state !== 'awaitingProject' && isRepeatedProject(this.snapshot, project)) {
      return this.record('projectCompleted repeated: nothing new', 'project-tool');
    }
    const reason = this.feed(
      { type: 'PROJECT_COMPLETED', project, policy, at },
      {
        event: 'projectCompleted',
        actor: 'project-tool',
        detail: `invite ${project.customerEmails.join(', ')}`,
      },
    );
    if (reason) this.refuse('projectCompleted', reason, 'project-tool');
  }

  private settle(message: Answered, request: string, reason: string | undefined, actor: string): void {
    if (message.id !== undefined) this.answers.set(message.id, reason ?? null);
    if (reason) this.refuse(request, reason, actor);
  }

  // ---- State changes: every one goes through the machine. ----

  /** Feeds an event to the machine; returns the refusal reason, if any. `cause` is audited before the state change. */
  feed(event: HandoffEvent, cause?: Omit<AuditEntry, 'at'>): string | undefined {
    const reason = refusalReason(this.snapshot, event);
    if (reason) return reason;
    if (cause) this.record(cause.event, cause.actor, cause.detail);
    const before = this.state;
    const escalated = this.context.escalations?.length ?? 0;
    this.snapshot = applyEvent(this.snapshot, event);
    const after = this.state;
    if (before !== after) {
      if (this.done) this.endedAt = new Date().toISOString();
      this.record(`state: ${after}`, WORKFLOW_ACTOR);
      if (this.indexed) upsertSearchAttributes([{ key: HANDOFF_STATE_ATTRIBUTE, value: after }]);
    }
    for (const escalation of this.context.escalations?.slice(escalated) ?? [])
      this.record('escalated', WORKFLOW_ACTOR, escalationDetail(escalation, this.context));
    return undefined;
  }

  /** After the machine has ended, something still needs a person (the policy decides whether that escalates). */
  escalateLate(cause: 'needs_attention'): void {
    if (this.lateEscalations.some((e) => e.cause === cause)) return;
    const escalation = escalationFor(this.context, cause, Date.now());
    if (!escalation) return;
    this.lateEscalations.push(escalation);
    this.record('escalated', WORKFLOW_ACTOR, escalationDetail(escalation, this.context));
  }

  /** Events the workflow derives itself are allowed by construction; a refusal here is a bug to surface. */
  feedOwn(event: HandoffEvent, cause?: Omit<AuditEntry, 'at'>): void {
    const reason = this.feed(event, cause);
    if (reason) log.error('Invite machine refused a workflow event', { type: event.type, reason });
  }

  record(event: string, actor: string, detail?: string): void {
    this.audit.push({ at: new Date().toISOString(), event, actor, ...(detail ? { detail } : {}) });
    this.auditCount++;
    if (this.audit.length > MAX_AUDIT_ENTRIES) this.audit.splice(0, this.audit.length - MAX_AUDIT_ENTRIES);
  }

  /** Something staff must look at, shown in the status until the handoff's record is gone. */
  alert(text: string): void {
    this.alerts.push(text);
  }

  private refuse(request: string, reason: string, actor: string): void {
    this.lastRefusal = { at: new Date().toISOString(), request, reason };
    this.record(`${request} refused`, actor, reason);
    log.warn('Handoff request refused', { request, reason });
  }

  /** The next contributors check while a pending handoff waits for an acceptance. */
  private checkView(): Pick<HandoffStatus, 'nextCheckAt' | 'nextCheckReason'> {
    if (this.state !== 'pending' || !contributorsWorthChecking(this.context))
      return { nextCheckAt: null, nextCheckReason: null };
    const next = nextCheck(this.context);
    return { nextCheckAt: iso(next.at), nextCheckReason: next.reason };
  }

  status(): HandoffStatus {
    const { context } = this.snapshot;
    const upcoming = context.invitees
      .map((i) => nextReminderAt(i, context.policy))
      .filter((t): t is number => t !== undefined);
    return {
      state: this.state,
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
        ...(i.status === 'pending' && i.inviteLink ? { inviteLink: i.inviteLink } : {}),
        ...(i.replaces ? { replaces: i.replaces } : {}),
        ...(i.replacedBy ? { replacedBy: i.replacedBy } : {}),
      })),
      remindersSent: context.invitees.reduce((n, i) => n + i.remindersSent, 0),
      nextReminderAt: upcoming.length && !context.paused ? iso(Math.min(...upcoming)) : null,
      ...this.checkView(),
      failure: context.failure ?? null,
      lastRefusal: this.lastRefusal,
      alerts: [...this.alerts],
      paused: context.paused
        ? {
            since: iso(context.paused.since)!,
            actor: context.paused.actor,
            reason: context.paused.reason ?? null,
          }
        : null,
      escalations: [...(context.escalations ?? []), ...this.lateEscalations].map((e) => ({
        cause: e.cause,
        at: iso(e.at)!,
        to: e.to ?? null,
      })),
      escalationDueAt: iso(escalationDueAt(context)),
      restartOf: this.restartOf
        ? {
            runId: this.restartOf.previousRunId,
            state: this.restartOf.previousState,
            reason: this.restartOf.reason,
            actor: this.restartOf.actor,
          }
        : null,
      policy: {
        reminderOffsetsMs: [...context.policy.reminderOffsetsMs],
        acceptancePollMs: context.policy.acceptancePollMs,
        ...(context.policy.checkAfterEmailMs
          ? { checkAfterEmailMs: [...context.policy.checkAfterEmailMs] }
          : {}),
        maxRenewals: context.policy.maxRenewals,
        ...(context.policy.expiryWarningMs !== undefined
          ? { expiryWarningMs: context.policy.expiryWarningMs }
          : {}),
        ...(context.policy.sendWindow ? { sendWindow: context.policy.sendWindow } : {}),
        ...(context.policy.escalateAfterMs !== undefined
          ? { escalateAfterMs: context.policy.escalateAfterMs }
          : {}),
        ...(context.policy.escalateTo ? { escalateTo: context.policy.escalateTo } : {}),
        ...(context.policy.escalateOn ? { escalateOn: [...context.policy.escalateOn] } : {}),
      },
      audit: [...this.audit],
    };
  }
}
