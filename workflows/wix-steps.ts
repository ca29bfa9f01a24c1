// What a handoff does at Wix, one step per state: invite, tend the pending invites, revoke. Each step calls Wix
// through activities and reports the outcome to the machine; the machine decides what is due and who accepted.
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  log,
  patched,
  proxyActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActivityOptions } from '@temporalio/common';
import type { HandoffActivities } from '../activities';
import { INVITE_VALIDITY_MS, type Invitee } from './handoff-types';
import {
  contributorsWorthChecking,
  judgeContributors,
  unexplainedContributors,
  whatIsDue,
  type DueRules,
} from './invite-machine';
import { WIX_ACTOR, type Handoff } from './handoff';

/** Wix calls run on their own task queue, whose server-side rate limit keeps every worker under Wix's limit. */
export const wixTaskQueue = (handoffTaskQueue: string): string => `${handoffTaskQueue}-wix`;

/** Reads and revokes are safe to retry; Temporal retries them with backoff (and Wix's Retry-After). */
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

/**
 * Under a backlog on the rate-limited queue the server dispatches lower keys first: sends (and the snapshot that
 * precedes an invite), then revokes, then acceptance checks, which can wait without anyone noticing.
 */
const PRIORITY = { send: 1, revoke: 2, check: 4 } as const;

/** Wix's advice for a 429 is to wait a minute; used when Wix sends no Retry-After. */
const DEFAULT_RETRY_DELAY_MS = 60_000;

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
    const details = cause.details?.[0] as
      { status?: number | null; retryAfterMs?: number | null } | undefined;
    const status = details?.status ?? undefined;
    if (cause.type === 'WixRefused') return { kind: 'refused', reason: cause.message, status };
    if (cause.type === 'WixUnavailable') {
      const retryAfterMs = details?.retryAfterMs;
      // Wix's own Retry-After wins over the default minute; older runs waited the minute.
      const delayMs =
        typeof retryAfterMs === 'number' && patched('honour-wix-retry-after')
          ? retryAfterMs
          : DEFAULT_RETRY_DELAY_MS;
      return { kind: 'retry-later', delayMs, reason: cause.message };
    }
    if (cause.type === 'WixOutcomeUnknown') return { kind: 'unknown', reason: cause.message };
  }
  // A timeout or a lost worker: the call may have reached Wix.
  const message =
    err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  return { kind: 'unknown', reason: `the call to Wix did not finish (${message})` };
}

export class WixSteps {
  /** The invite's role lookup and snapshot: reads, but the invite waits on them. */
  private readonly prepares: HandoffActivities;
  private readonly sends: HandoffActivities;
  private readonly revokes: HandoffActivities;
  private readonly checks: HandoffActivities;

  constructor(
    private readonly handoff: Handoff,
    private readonly rules: DueRules,
  ) {
    const taskQueue = wixTaskQueue(workflowInfo().taskQueue);
    // Decided once per run, at its start: runs begun before priorities keep scheduling without them.
    const prioritised = patched('wix-call-priority');
    const at = (key: number): ActivityOptions => (prioritised ? { priority: { priorityKey: key } } : {});
    this.prepares = proxyActivities<HandoffActivities>({ ...WIX_READS, taskQueue, ...at(PRIORITY.send) });
    this.sends = proxyActivities<HandoffActivities>({ ...WIX_SENDS, taskQueue, ...at(PRIORITY.send) });
    this.revokes = proxyActivities<HandoffActivities>({ ...WIX_READS, taskQueue, ...at(PRIORITY.revoke) });
    this.checks = proxyActivities<HandoffActivities>({ ...WIX_READS, taskQueue, ...at(PRIORITY.check) });
  }

  private get siteId(): string {
    return this.handoff.context.siteId!;
  }

  private pause(delayMs: number): void {
    this.handoff.feedOwn({ type: 'WIX_BUSY', until: Date.now() + delayMs });
  }

  /** Resolves the role once, then one Bulk Invite for every address still to invite. */
  async invite(): Promise<void> {
    const h = this.handoff;
    const waitMs = h.context.wixBusyUntil - Date.now();
    if (waitMs > 0) {
      await h.waitForMessage(waitMs);
      return;
    }
    const emails = h.context.invitees.filter((i) => i.status === 'toInvite').map((i) => i.email);
    let outcome: SendOutcome;
    try {
      if (h.context.roleId === undefined) {
        const prepared = await this.prepares.prepareHandoff({ siteId: this.siteId, role: h.context.role! });
        h.feedOwn({ type: 'HANDOFF_PREPARED', ...prepared });
        h.record('role resolved', WIX_ACTOR, `${h.context.role} = ${prepared.roleId}`);
      }
      const sent = await this.sends.sendInvites({
        siteId: this.siteId,
        roleId: h.context.roleId!,
        emails,
        language: h.context.language,
      });
      h.feedOwn({ type: 'INVITES_SENT', at: Date.now(), ...sent });
      for (const i of sent.invites) h.record('invite sent', WIX_ACTOR, `${i.email} (invite ${i.inviteId})`);
      if (sent.failedEmails.length) h.record('invite failed', WIX_ACTOR, sent.failedEmails.join(', '));
      outcome = { kind: 'done' };
    } catch (err) {
      outcome = classify(err);
    }
    if (outcome.kind === 'retry-later') {
      this.pause(outcome.delayMs);
      h.record('invite delayed', WIX_ACTOR, outcome.reason);
    } else if (outcome.kind === 'refused' || outcome.kind === 'unknown') {
      h.feedOwn({
        type: 'SEND_FAILED',
        at: Date.now(),
        emails,
        reason: outcome.reason,
        outcome: outcome.kind,
      });
      h.record(
        outcome.kind === 'refused' ? 'invite refused by Wix' : 'invite outcome unknown',
        WIX_ACTOR,
        outcome.reason,
      );
    }
  }

  /** Sleeps until the machine says something is due (or a message comes), then does it. */
  async tendPending(): Promise<void> {
    const h = this.handoff;
    const due = (at: number) => whatIsDue(h.context, at, this.rules);
    const waitMs = due(Date.now()).wakeAt - Date.now();
    if (waitMs > 0 && (await h.waitForMessage(waitMs))) return;
    const now = Date.now();
    // Staff removed or replaced someone: their old invite stops working before anything else is sent.
    for (const invitee of due(now).removals) await this.revokeRemoved(invitee);
    // Acceptance is checked before every reminder, so nobody is reminded after accepting.
    if (due(now).checkContributors) await this.checkContributors();
    for (const event of due(now).clockEvents) h.feed(event);
    for (const { invitee, purpose } of due(now).sends) {
      await this.resend(invitee, purpose);
      if (now < h.context.wixBusyUntil) return;
    }
  }

  /** Revokes the invite of an invitee staff removed or replaced; a refusal is shown on that invitee. */
  private async revokeRemoved(invitee: Invitee): Promise<void> {
    const h = this.handoff;
    try {
      const result = await this.revokes.revokeInvite({ siteId: this.siteId, inviteId: invitee.inviteId! });
      const outcome = result.outcome === 'revoked' ? 'revoked' : 'refused';
      h.feedOwn({
        type: 'INVITEE_REMOVED',
        email: invitee.email,
        at: Date.now(),
        outcome,
        detail: result.detail,
      });
      h.record(
        outcome === 'revoked' ? 'invite revoked (invitee removed)' : 'invite revoke refused by Wix',
        WIX_ACTOR,
        `${invitee.email} (invite ${invitee.inviteId})${result.detail ? `: ${result.detail}` : ''}`,
      );
    } catch (err) {
      if (isCancellation(err)) throw err;
      const reason =
        err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      h.feedOwn({
        type: 'INVITEE_REMOVED',
        email: invitee.email,
        at: Date.now(),
        outcome: 'refused',
        detail: reason,
      });
      h.record('invite revoke failed', WIX_ACTOR, `${invitee.email}: ${reason}`);
    }
  }

  /** Lists the contributors with the invited role; the machine judges whether one is the customer. */
  async checkContributors(): Promise<void> {
    const h = this.handoff;
    if (!contributorsWorthChecking(h.context)) return;
    let accounts: string[];
    try {
      accounts = await this.checks.findContributors({ siteId: this.siteId, roleId: h.context.roleId! });
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Not fatal: the next poll tries again, and reminders still go out on schedule.
      h.feedOwn({ type: 'CONTRIBUTORS_CHECK_FAILED', at: Date.now() });
      h.record('acceptance check failed', WIX_ACTOR, err instanceof Error ? err.message : String(err));
      return;
    }
    const verdict = judgeContributors(h.context, accounts);
    const event = { type: 'CONTRIBUTORS_SEEN', at: Date.now(), accountIds: accounts } as const;
    if (verdict.kind === 'accepted') {
      const detail = `${verdict.email} is now Wix contributor ${verdict.accountId}`;
      return h.feedOwn(event, { event: 'accepted', actor: WIX_ACTOR, detail });
    }
    h.feedOwn(event);
    if (verdict.kind === 'ambiguous') {
      h.record(
        'acceptance ambiguous',
        WIX_ACTOR,
        `new contributor(s) ${verdict.accountIds.join(', ')} with role ${h.context.role} cannot be told apart between ` +
          `${verdict.candidates.join(', ')}; send the "accepted" signal to confirm who accepted`,
      );
    }
  }

  private async resend(invitee: Invitee, purpose: 'reminder' | 'renewal'): Promise<void> {
    const h = this.handoff;
    let outcome: SendOutcome;
    let expiresAt: number | null = null;
    try {
      ({ expiresAt } = await this.sends.resendInvite({
        siteId: this.siteId,
        inviteId: invitee.inviteId!,
        language: h.context.language,
      }));
      outcome = { kind: 'done' };
    } catch (err) {
      outcome = classify(err);
    }
    const at = Date.now();
    const { email } = invitee;
    if (outcome.kind === 'retry-later') {
      this.pause(outcome.delayMs);
      h.record(`${purpose} delayed`, WIX_ACTOR, `${email}: ${outcome.reason}`);
      return;
    }
    if (outcome.kind === 'refused' && outcome.status === 428) {
      // "No longer pending" usually means the customer accepted since the last check (resends queue behind
      // the rate limit): look before calling it a failure.
      await this.checkContributors();
      if (h.context.invitees.find((i) => i.email === email)?.status !== 'pending') return;
    }
    if (outcome.kind === 'refused') {
      h.feedOwn({
        type: 'RESEND_FAILED',
        email,
        at,
        reason: `Wix refused the ${purpose}: ${outcome.reason}`,
      });
      h.record(`${purpose} refused by Wix`, WIX_ACTOR, `${email}: ${outcome.reason}`);
      return;
    }
    // An unknown outcome counts as sent: sending again could email the customer twice.
    const note = outcome.kind === 'unknown' ? ` (outcome unknown, not repeated: ${outcome.reason})` : '';
    if (purpose === 'reminder') {
      h.feedOwn({ type: 'REMINDER_SENT', email, at, ...(expiresAt !== null ? { expiresAt } : {}) });
      h.record('reminder sent', WIX_ACTOR, `${email}${note}`);
    } else {
      const validity =
        invitee.expiresAt !== undefined && invitee.cycleStartedAt !== undefined
          ? invitee.expiresAt - invitee.cycleStartedAt
          : INVITE_VALIDITY_MS;
      h.feedOwn({ type: 'INVITE_RENEWED', email, at, expiresAt: expiresAt ?? at + validity });
      h.record('invite renewed', WIX_ACTOR, `${email}${note}`);
    }
  }

  /** Revoke Invite for every pending invite, in parallel; Temporal retries each safely. */
  async revokePending(): Promise<void> {
    const h = this.handoff;
    const waitMs = h.context.wixBusyUntil - Date.now();
    if (waitMs > 0) {
      await sleep(waitMs);
      return;
    }
    const targets = h.context.invitees.filter((i) => i.status === 'pending');
    const results = await Promise.all(
      targets.map(async (i) => {
        try {
          return await this.revokes.revokeInvite({ siteId: this.siteId, inviteId: i.inviteId! });
        } catch (err) {
          return classify(err);
        }
      }),
    );
    targets.forEach(({ email }, n) => {
      const result = results[n];
      if ('outcome' in result) {
        h.feedOwn({ type: 'REVOKED', email, at: Date.now(), outcome: result.outcome, detail: result.detail });
        h.record(
          result.outcome === 'revoked' ? 'invite revoked' : 'revoke refused by Wix',
          WIX_ACTOR,
          result.detail ? `${email}: ${result.detail}` : email,
        );
      } else if (result.kind === 'retry-later') {
        this.pause(result.delayMs);
        h.record('revoke delayed', WIX_ACTOR, `${email}: ${result.reason}`);
      } else {
        h.feedOwn({ type: 'REVOKED', email, at: Date.now(), outcome: 'refused', detail: result.reason });
        h.record('revoke failed', WIX_ACTOR, `${email}: ${result.reason}`);
      }
    });
  }

  /**
   * Revoked means out: a contributor with the role who is neither from before the handoff nor a known acceptance
   * came in through an invite this handoff lost track of (or was accepted just before the revoke). Staff are told.
   */
  async checkAfterRevoke(): Promise<void> {
    const h = this.handoff;
    const { roleId, role } = h.context;
    if (!roleId) return;
    let accounts: string[];
    try {
      accounts = await this.checks.findContributors({ siteId: this.siteId, roleId });
    } catch (err) {
      if (isCancellation(err)) throw err;
      h.alert("Could not check Wix contributors after the revoke: check the site's contributors by hand");
      return;
    }
    for (const account of unexplainedContributors(h.context, accounts)) {
      const alert =
        `Wix account ${account} holds role ${role} on site ${this.siteId} although the handoff was revoked: ` +
        `if it should not, remove it (POST /v1/sites/${this.siteId}/contributors/${account}/remove, or Wix Remove Contributor)`;
      h.alert(alert);
      h.record('ALERT contributor after revoke', WIX_ACTOR, alert);
      h.escalateLate('needs_attention');
      log.warn('Contributor found after revoke', { account });
    }
  }
}
