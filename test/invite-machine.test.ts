// Unit tests for the pure invite machine: every allowed transition, every refusal, persistence.
import {
  applyEvent,
  contributorsWorthChecking,
  DEFAULT_POLICY,
  ADAPTIVE_CHECKS,
  ESCALATION_DEFAULTS,
  escalationDueAt,
  geometricOffsets,
  nextCheck,
  judgeContributors,
  whatIsDue,
  initialHandoff,
  isRepeatedProject,
  nextReminderAt,
  refusalReason,
  restoreHandoff,
  saveHandoff,
  stateOf,
  type HandoffEvent,
  type HandoffSnapshot,
} from '../workflows/invite-machine';
import type { HandoffState, Invitee, ProjectCompleted, ResolvedPolicy } from '../workflows/handoff-types';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** 2025-03-03T11:06:40Z, when the project tool reports the site finished. */
const T0 = 1_741_000_000_000;
/** How long a Wix invite stays valid in these tests. */
const VALIDITY = 30 * DAY;

const SITE_ID = '9d2c7e10-1b44-4f0a-9a3c-5e6f7a8b9c0d';
const OTHER_SITE_ID = '5b7e3c21-8f0d-4a6e-b2c9-1d4f6a8e0b37';
const PROJECT_ID = 'PRJ-2025-0142';
const ROLE = 'Admin (Co-Owner)';
const ROLE_ID = '0f9e8d7c-6b5a-4f3e-8d2c-1b0a9f8e7d6c';
const ANNA = 'anna.keller@keller-bakery.ch';
const BEN = 'ben.okafor@keller-bakery.ch';
const CARLA = 'carla.rossi@keller-bakery.ch';
const ANNA_ACCOUNT = '0c6a1d2e-7f3b-4c5d-9e8f-a1b2c3d4e5f6';
const BEN_ACCOUNT = '7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a';
const OWNER_ACCOUNT = 'aa11bb22-cc33-4d44-8e55-ff6677889900';
const STAFF = 'lena@pixel-agency.io';

const INVITE_PREFIX: Record<string, string> = { [ANNA]: '1a2b3c4d', [BEN]: '2b3c4d5e', [CARLA]: '3c4d5e6f' };
/** A Wix invite id for the address; `round` tells a re-invite apart from the first invite. */
const inviteId = (email: string, round = 1): string =>
  `${INVITE_PREFIX[email.trim().toLowerCase()]}-0e1f-4a2b-8c3d-${String(round).padStart(12, '0')}`;

const policy = (overrides: Partial<ResolvedPolicy> = {}): ResolvedPolicy => ({
  ...DEFAULT_POLICY,
  ...overrides,
});

// ---- Event builders ----

const project = (emails: string[], overrides: Partial<ProjectCompleted> = {}): ProjectCompleted => ({
  projectId: PROJECT_ID,
  siteId: SITE_ID,
  customerEmails: emails,
  role: ROLE,
  language: 'de',
  ...overrides,
});

const completed = (
  emails: string[],
  overrides: Partial<ProjectCompleted> = {},
  resolved: ResolvedPolicy = DEFAULT_POLICY,
  at = T0,
): HandoffEvent => ({ type: 'PROJECT_COMPLETED', project: project(emails, overrides), policy: resolved, at });

const prepared: HandoffEvent = {
  type: 'HANDOFF_PREPARED',
  roleId: ROLE_ID,
  contributorAccountIds: [OWNER_ACCOUNT],
};

const invitesSent = (at: number, emails: string[], failedEmails: string[] = [], round = 1): HandoffEvent => ({
  type: 'INVITES_SENT',
  at,
  invites: emails.map((email) => ({ email, inviteId: inviteId(email, round), expiresAt: at + VALIDITY })),
  failedEmails,
});

const sendFailed = (
  emails: string[],
  outcome: 'refused' | 'unknown',
  reason: string,
  at = T0,
): HandoffEvent => ({
  type: 'SEND_FAILED',
  at,
  emails,
  reason,
  outcome,
});

const reminderDue = (email: string, at: number): HandoffEvent => ({ type: 'REMINDER_DUE', email, at });
const reminderSent = (email: string, at: number, expiresAt?: number): HandoffEvent => ({
  type: 'REMINDER_SENT',
  email,
  at,
  ...(expiresAt !== undefined ? { expiresAt } : {}),
});
const expiryReached = (email: string, at: number): HandoffEvent => ({ type: 'EXPIRY_REACHED', email, at });
const inviteRenewed = (email: string, at: number, expiresAt = at + VALIDITY): HandoffEvent => ({
  type: 'INVITE_RENEWED',
  email,
  at,
  expiresAt,
});
const resendFailed = (
  email: string,
  at: number,
  reason = 'Wix refused the reminder: 404 invite not found',
): HandoffEvent => ({
  type: 'RESEND_FAILED',
  email,
  at,
  reason,
});
const accepted = (email: string, at: number, accountId?: string, actor = 'wix'): HandoffEvent => ({
  type: 'ACCEPTED',
  email,
  at,
  actor,
  ...(accountId !== undefined ? { accountId } : {}),
});
const revokeRequested = (at: number, reason = 'customer cancelled the contract'): HandoffEvent => ({
  type: 'REVOKE_REQUESTED',
  at,
  reason,
  actor: STAFF,
});
const revoked = (
  email: string,
  at: number,
  outcome: 'revoked' | 'refused' = 'revoked',
  detail?: string,
): HandoffEvent => ({
  type: 'REVOKED',
  email,
  at,
  outcome,
  ...(detail !== undefined ? { detail } : {}),
});
const retry = (at: number): HandoffEvent => ({ type: 'RETRY', at, actor: STAFF });

/** One plausible instance of every event type, about Anna. */
const everyEvent = (at: number): HandoffEvent[] => [
  completed([ANNA, CARLA], {}, DEFAULT_POLICY, at),
  prepared,
  invitesSent(at, [ANNA]),
  sendFailed([ANNA], 'refused', 'Wix answered 403', at),
  reminderDue(ANNA, at),
  reminderSent(ANNA, at),
  expiryReached(ANNA, at),
  inviteRenewed(ANNA, at),
  resendFailed(ANNA, at),
  accepted(ANNA, at, BEN_ACCOUNT),
  revokeRequested(at),
  revoked(ANNA, at),
  retry(at),
];

// ---- Helpers ----

/** Applies an event the machine must allow, checking it never rests in the transient `settling`. */
function step(snapshot: HandoffSnapshot, event: HandoffEvent): HandoffSnapshot {
  expect({ event: event.type, refusal: refusalReason(snapshot, event) }).toEqual({
    event: event.type,
    refusal: undefined,
  });
  expect(snapshot.can(event)).toBe(true);
  const next = applyEvent(snapshot, event);
  expect(stateOf(next)).not.toBe('settling');
  return next;
}

const run = (snapshot: HandoffSnapshot, ...events: HandoffEvent[]): HandoffSnapshot =>
  events.reduce(step, snapshot);

function invitee(snapshot: HandoffSnapshot, email: string): Invitee {
  const found = snapshot.context.invitees.find((i) => i.email === email);
  if (!found) throw new Error(`${email} is not an invitee`);
  return found;
}

const statuses = (snapshot: HandoffSnapshot): Record<string, string> =>
  Object.fromEntries(snapshot.context.invitees.map((i) => [i.email, i.status]));

const next = (snapshot: HandoffSnapshot, email: string): number | undefined =>
  nextReminderAt(invitee(snapshot, email), snapshot.context.policy);

// ---- Fixtures: one snapshot per resting state ----

const startHandoff = (
  emails: string[] = [ANNA],
  resolved: ResolvedPolicy = DEFAULT_POLICY,
): HandoffSnapshot => run(initialHandoff(), completed(emails, {}, resolved));

const pendingHandoff = (
  emails: string[] = [ANNA],
  resolved: ResolvedPolicy = DEFAULT_POLICY,
): HandoffSnapshot => run(startHandoff(emails, resolved), prepared, invitesSent(T0, emails));

const failedHandoff = (): HandoffSnapshot =>
  run(
    startHandoff([ANNA]),
    prepared,
    sendFailed([ANNA], 'refused', 'Wix answered 403: no seats left on the site'),
  );

const revokingHandoff = (): HandoffSnapshot => run(pendingHandoff([ANNA, BEN]), revokeRequested(T0 + DAY));

const acceptedHandoff = (): HandoffSnapshot =>
  run(pendingHandoff(), accepted(ANNA, T0 + 3 * DAY, ANNA_ACCOUNT));

const revokedHandoff = (): HandoffSnapshot =>
  run(pendingHandoff(), revokeRequested(T0 + DAY), revoked(ANNA, T0 + DAY + 1000));

const expiredHandoff = (): HandoffSnapshot =>
  run(pendingHandoff([ANNA], policy({ maxRenewals: 0 })), expiryReached(ANNA, T0 + VALIDITY));

describe('invite machine', () => {
  describe('defaults', () => {
    it('starts awaiting the project with the default policy', () => {
      const s = initialHandoff();
      expect(stateOf(s)).toBe('awaitingProject');
      expect(s.status).toBe('active');
      expect(s.context).toEqual({
        policy: DEFAULT_POLICY,
        invitees: [],
        claimedAccountIds: [],
        reportedAccountIds: [],
        lastCheckAt: 0,
        wixBusyUntil: 0,
      });
    });

    it('reminds after 2, 5, 10 and 20 days, polls every 6 hours and renews once by default', () => {
      expect(DEFAULT_POLICY).toEqual({
        reminderOffsetsMs: [2 * DAY, 5 * DAY, 10 * DAY, 20 * DAY],
        acceptancePollMs: 6 * HOUR,
        maxRenewals: 1,
      });
    });
  });

  describe('awaitingProject', () => {
    it('PROJECT_COMPLETED starts the handoff: inviting, with normalised, de-duplicated invitees', () => {
      const resolved = policy({ reminderOffsetsMs: [3000, 60_000], maxRenewals: 2 });
      const s = step(
        initialHandoff(),
        completed(['Anna.Keller@Keller-Bakery.ch ', ANNA, BEN], { role: '  Admin (Co-Owner) ' }, resolved),
      );
      expect(stateOf(s)).toBe('inviting');
      expect(s.context).toMatchObject({
        projectId: PROJECT_ID,
        siteId: SITE_ID,
        role: ROLE,
        language: 'de',
        policy: resolved,
        claimedAccountIds: [],
      });
      expect(s.context.invitees).toEqual([
        {
          email: ANNA,
          status: 'toInvite',
          remindersSent: 0,
          renewals: 0,
          reminderDue: false,
          renewalDue: false,
        },
        {
          email: BEN,
          status: 'toInvite',
          remindersSent: 0,
          renewals: 0,
          reminderDue: false,
          renewalDue: false,
        },
      ]);
    });

    it('PROJECT_COMPLETED without any address settles as failed, never resting in settling', () => {
      const s = step(initialHandoff(), completed([]));
      expect(stateOf(s)).toBe('failed');
      expect(s.context.invitees).toEqual([]);
    });
  });

  describe('inviting', () => {
    it('HANDOFF_PREPARED records the role id and the contributors already holding it', () => {
      const s = step(startHandoff(), prepared);
      expect(stateOf(s)).toBe('inviting');
      expect(s.context.roleId).toBe(ROLE_ID);
      expect(s.context.baselineAccountIds).toEqual([OWNER_ACCOUNT]);
    });

    it('INVITES_SENT for everyone: pending, with invite id, times and a fresh schedule', () => {
      const sentAt = T0 + 5000;
      const s = run(
        startHandoff([ANNA, BEN]),
        prepared,
        invitesSent(sentAt, [ANNA, 'BEN.Okafor@keller-bakery.ch']),
      );
      expect(stateOf(s)).toBe('pending');
      expect(s.context.failure).toBeUndefined();
      expect(invitee(s, ANNA)).toEqual({
        email: ANNA,
        status: 'pending',
        inviteId: inviteId(ANNA),
        invitedAt: sentAt,
        cycleStartedAt: sentAt,
        expiresAt: sentAt + VALIDITY,
        remindersSent: 0,
        renewals: 0,
        reminderDue: false,
        renewalDue: false,
      });
      expect(invitee(s, BEN)).toMatchObject({ status: 'pending', inviteId: inviteId(BEN, 1) });
      expect(next(s, ANNA)).toBe(sentAt + 2 * DAY);
    });

    it('INVITES_SENT with some failedEmails: the others are pending, the refused ones failed', () => {
      const s = run(startHandoff([ANNA, BEN]), prepared, invitesSent(T0, [ANNA], [BEN]));
      expect(stateOf(s)).toBe('pending');
      expect(statuses(s)).toEqual({ [ANNA]: 'pending', [BEN]: 'failed' });
      expect(invitee(s, BEN).problem).toMatch(/failedEmails/);
      expect(invitee(s, BEN).inviteId).toBeUndefined();
    });

    it('INVITES_SENT silent about an address: that invitee is unconfirmed', () => {
      const s = run(startHandoff([ANNA, BEN]), prepared, invitesSent(T0, [ANNA]));
      expect(stateOf(s)).toBe('pending');
      expect(statuses(s)).toEqual({ [ANNA]: 'pending', [BEN]: 'unconfirmed' });
      expect(invitee(s, BEN).problem).toMatch(/without an invite or a failure/);
    });

    it('INVITES_SENT where Wix refused every address: failed', () => {
      const s = run(startHandoff([ANNA, BEN]), prepared, invitesSent(T0, [], [ANNA, BEN]));
      expect(stateOf(s)).toBe('failed');
      expect(statuses(s)).toEqual({ [ANNA]: 'failed', [BEN]: 'failed' });
    });

    it('SEND_FAILED refused: the invitees fail with the reason, the handoff needs staff', () => {
      const s = run(
        startHandoff([ANNA, BEN]),
        sendFailed([ANNA, BEN], 'refused', 'Wix answered 403: forbidden'),
      );
      expect(stateOf(s)).toBe('failed');
      expect(statuses(s)).toEqual({ [ANNA]: 'failed', [BEN]: 'failed' });
      expect(invitee(s, ANNA).problem).toBe('Wix answered 403: forbidden');
      expect(s.context.failure).toBe('Wix answered 403: forbidden');
    });

    it('SEND_FAILED unknown: the invitees are unconfirmed and not sent again automatically', () => {
      const s = run(startHandoff([ANNA]), sendFailed([ANNA], 'unknown', 'the call to Wix timed out'));
      expect(stateOf(s)).toBe('failed');
      expect(invitee(s, ANNA).status).toBe('unconfirmed');
      expect(invitee(s, ANNA).problem).toMatch(/^the call to Wix timed out\. .*not sent again automatically/);
      expect(s.context.failure).toBe('the call to Wix timed out');
    });

    it('SEND_FAILED for some addresses only: still inviting the others', () => {
      const s = run(
        startHandoff([ANNA, BEN]),
        sendFailed([BEN], 'refused', 'Wix answered 400: invalid email'),
      );
      expect(stateOf(s)).toBe('inviting');
      expect(statuses(s)).toEqual({ [ANNA]: 'toInvite', [BEN]: 'failed' });
    });

    it('ACCEPTED for an invite already pending while a new address is being invited', () => {
      let s = run(pendingHandoff([ANNA]), completed([ANNA, BEN], {}, DEFAULT_POLICY, T0 + DAY));
      expect(stateOf(s)).toBe('inviting');
      s = step(s, accepted(ANNA, T0 + DAY + 1000, ANNA_ACCOUNT));
      expect(stateOf(s)).toBe('inviting');
      expect(invitee(s, ANNA)).toMatchObject({ status: 'accepted', acceptedAt: T0 + DAY + 1000 });
      s = step(s, invitesSent(T0 + DAY + 2000, [BEN]));
      expect(stateOf(s)).toBe('pending');
      s = step(s, expiryReached(BEN, T0 + DAY + 2000 + VALIDITY));
      s = step(s, resendFailed(BEN, T0 + DAY + 2000 + VALIDITY + 1000));
      expect(stateOf(s)).toBe('accepted');
    });

    it('REVOKE_REQUESTED before any invite went out: revoked at once, every address revoked', () => {
      const s = step(startHandoff([ANNA, BEN]), revokeRequested(T0 + 1000));
      expect(stateOf(s)).toBe('revoked');
      expect(s.status).toBe('done');
      expect(statuses(s)).toEqual({ [ANNA]: 'revoked', [BEN]: 'revoked' });
      expect(s.context.revocation).toEqual({
        reason: 'customer cancelled the contract',
        actor: STAFF,
        requestedAt: T0 + 1000,
      });
    });

    it('REVOKE_REQUESTED with one invite pending: the new address is revoked at once, the pending one waits', () => {
      let s = run(pendingHandoff([ANNA]), completed([ANNA, BEN], {}, DEFAULT_POLICY, T0 + DAY));
      s = step(s, revokeRequested(T0 + DAY + 1000));
      expect(stateOf(s)).toBe('revoking');
      expect(statuses(s)).toEqual({ [ANNA]: 'pending', [BEN]: 'revoked' });
      s = step(s, revoked(ANNA, T0 + DAY + 2000));
      expect(stateOf(s)).toBe('revoked');
      expect(statuses(s)).toEqual({ [ANNA]: 'revoked', [BEN]: 'revoked' });
    });
  });

  describe('pending: reminders', () => {
    it('reminds at 2, 5, 10 and 20 days after the invite, then never a 5th time', () => {
      let s = pendingHandoff();
      [2, 5, 10, 20].forEach((days, sent) => {
        const dueAt = T0 + days * DAY;
        expect(next(s, ANNA)).toBe(dueAt);
        expect(s.can(reminderDue(ANNA, dueAt - 1))).toBe(false);
        s = step(s, reminderDue(ANNA, dueAt));
        expect(stateOf(s)).toBe('pending');
        expect(invitee(s, ANNA)).toMatchObject({ reminderDue: true, remindersSent: sent });
        s = step(s, reminderSent(ANNA, dueAt + 4000));
        expect(stateOf(s)).toBe('pending');
        expect(invitee(s, ANNA)).toMatchObject({ reminderDue: false, remindersSent: sent + 1 });
      });
      expect(next(s, ANNA)).toBeUndefined();
      expect(s.can(reminderDue(ANNA, T0 + 29 * DAY))).toBe(false);
      expect(refusalReason(s, reminderDue(ANNA, T0 + 29 * DAY))).toMatch(
        /REMINDER_DUE is not allowed while pending/,
      );
    });

    it('a late reminder is still due before expiry, but only one at a time', () => {
      let s = pendingHandoff();
      s = step(s, reminderDue(ANNA, T0 + 6 * DAY));
      expect(s.can(reminderDue(ANNA, T0 + 6 * DAY + 1000))).toBe(false);
      s = step(s, reminderSent(ANNA, T0 + 6 * DAY + 2000));
      expect(invitee(s, ANNA).remindersSent).toBe(1);
      expect(next(s, ANNA)).toBe(T0 + 5 * DAY);
    });

    it('REMINDER_SENT carrying a new expiry from Wix moves the invite expiry', () => {
      let s = run(pendingHandoff(), reminderDue(ANNA, T0 + 2 * DAY));
      s = step(s, reminderSent(ANNA, T0 + 2 * DAY, T0 + 2 * DAY + VALIDITY));
      expect(invitee(s, ANNA).expiresAt).toBe(T0 + 2 * DAY + VALIDITY);
      expect(invitee(s, ANNA).cycleStartedAt).toBe(T0);
    });

    it.each([
      { validityDays: 7, lastDueDays: 5 },
      { validityDays: 5, lastDueDays: 2 },
    ])(
      'with an invite valid $validityDays days, no reminder is due at or after the expiry (last one at day $lastDueDays)',
      ({ validityDays, lastDueDays }) => {
        let s = run(startHandoff(), prepared, {
          type: 'INVITES_SENT',
          at: T0,
          invites: [{ email: ANNA, inviteId: inviteId(ANNA), expiresAt: T0 + validityDays * DAY }],
          failedEmails: [],
        });
        for (const days of [2, 5].filter((d) => d <= lastDueDays)) {
          s = run(s, reminderDue(ANNA, T0 + days * DAY), reminderSent(ANNA, T0 + days * DAY));
        }
        expect(next(s, ANNA)).toBeUndefined();
        expect(s.can(reminderDue(ANNA, T0 + validityDays * DAY - 1))).toBe(false);
        expect(s.can(reminderDue(ANNA, T0 + 10 * DAY))).toBe(false);
      },
    );

    it.each([
      { when: 'at the expiry itself', expire: false, at: T0 + 7 * DAY },
      { when: 'after EXPIRY_REACHED, while the renewal is due', expire: true, at: T0 + 7 * DAY + HOUR },
    ])('a reminder scheduled before expiry but missed is no longer due $when', ({ expire, at }) => {
      // Invite valid 7 days; the 2-day reminder went out, the 5-day one was missed (worker down).
      let s = run(startHandoff(), prepared, {
        type: 'INVITES_SENT',
        at: T0,
        invites: [{ email: ANNA, inviteId: inviteId(ANNA), expiresAt: T0 + 7 * DAY }],
        failedEmails: [],
      });
      s = run(s, reminderDue(ANNA, T0 + 2 * DAY), reminderSent(ANNA, T0 + 2 * DAY));
      if (expire) {
        s = step(s, expiryReached(ANNA, T0 + 7 * DAY));
        expect(invitee(s, ANNA).renewalDue).toBe(true);
      }
      expect(s.can(reminderDue(ANNA, at))).toBe(false);
    });
  });

  describe('pending: expiry and renewal', () => {
    it('EXPIRY_REACHED with a renewal left marks it due; INVITE_RENEWED restarts the schedule', () => {
      let s = run(pendingHandoff(), reminderDue(ANNA, T0 + 2 * DAY), reminderSent(ANNA, T0 + 2 * DAY));
      const expiry = T0 + VALIDITY;
      expect(s.can(expiryReached(ANNA, expiry - 1))).toBe(false);
      s = step(s, expiryReached(ANNA, expiry));
      expect(stateOf(s)).toBe('pending');
      expect(invitee(s, ANNA)).toMatchObject({
        status: 'pending',
        renewalDue: true,
        renewals: 0,
        remindersSent: 1,
      });
      expect(s.can(expiryReached(ANNA, expiry + 1000))).toBe(false);

      const renewedAt = expiry + HOUR;
      s = step(s, inviteRenewed(ANNA, renewedAt));
      expect(stateOf(s)).toBe('pending');
      expect(invitee(s, ANNA)).toMatchObject({
        status: 'pending',
        inviteId: inviteId(ANNA),
        invitedAt: T0,
        cycleStartedAt: renewedAt,
        expiresAt: renewedAt + VALIDITY,
        renewals: 1,
        remindersSent: 0,
        renewalDue: false,
      });
      expect(s.can(inviteRenewed(ANNA, renewedAt + 1000))).toBe(false);
      // The schedule counts from the renewal again.
      expect(next(s, ANNA)).toBe(renewedAt + 2 * DAY);
      expect(s.can(reminderDue(ANNA, renewedAt + 2 * DAY - 1))).toBe(false);
      s = step(s, reminderDue(ANNA, renewedAt + 2 * DAY));
      s = step(s, reminderSent(ANNA, renewedAt + 2 * DAY));
      expect(invitee(s, ANNA).remindersSent).toBe(1);
      expect(next(s, ANNA)).toBe(renewedAt + 5 * DAY);
    });

    it.each([0, 1, 2])(
      'with maxRenewals %i the invite is renewed that many times, then expires',
      (maxRenewals) => {
        let s = pendingHandoff([ANNA], policy({ maxRenewals }));
        let expiry = T0 + VALIDITY;
        for (let n = 0; n < maxRenewals; n++) {
          s = step(s, expiryReached(ANNA, expiry));
          expect(invitee(s, ANNA).renewalDue).toBe(true);
          s = step(s, inviteRenewed(ANNA, expiry + 1000));
          expiry = expiry + 1000 + VALIDITY;
          expect(stateOf(s)).toBe('pending');
        }
        s = step(s, expiryReached(ANNA, expiry));
        expect(stateOf(s)).toBe('expired');
        expect(s.status).toBe('done');
        expect(invitee(s, ANNA)).toMatchObject({
          status: 'expired',
          renewals: maxRenewals,
          renewalDue: false,
        });
      },
    );

    it('RESEND_FAILED while a renewal is due: the invitee fails with the reason', () => {
      let s = step(pendingHandoff(), expiryReached(ANNA, T0 + VALIDITY));
      s = step(s, resendFailed(ANNA, T0 + VALIDITY + 1000, 'Wix refused the renewal: 404'));
      expect(stateOf(s)).toBe('failed');
      expect(invitee(s, ANNA)).toMatchObject({
        status: 'failed',
        problem: 'Wix refused the renewal: 404',
        renewalDue: false,
        reminderDue: false,
      });
    });

    it('RESEND_FAILED of a reminder with another invite pending: still pending', () => {
      let s = run(pendingHandoff([ANNA, BEN]), reminderDue(ANNA, T0 + 2 * DAY));
      s = step(s, resendFailed(ANNA, T0 + 2 * DAY + 1000));
      expect(stateOf(s)).toBe('pending');
      expect(statuses(s)).toEqual({ [ANNA]: 'failed', [BEN]: 'pending' });
      expect(invitee(s, ANNA).reminderDue).toBe(false);
    });
  });

  describe('pending: acceptance', () => {
    it('ACCEPTED: the handoff is accepted, with who, when and which Wix account', () => {
      const at = T0 + 3 * DAY;
      const s = step(pendingHandoff(), accepted('Anna.Keller@keller-bakery.ch', at, ANNA_ACCOUNT));
      expect(stateOf(s)).toBe('accepted');
      expect(s.status).toBe('done');
      expect(invitee(s, ANNA)).toMatchObject({
        status: 'accepted',
        acceptedAt: at,
        acceptedBy: 'wix',
        acceptedByAccountId: ANNA_ACCOUNT,
        inviteId: inviteId(ANNA),
      });
      expect(s.context.claimedAccountIds).toEqual([ANNA_ACCOUNT]);
    });

    it('ACCEPTED from staff without an account id claims no account', () => {
      const s = step(pendingHandoff(), accepted(ANNA, T0 + DAY, undefined, STAFF));
      expect(stateOf(s)).toBe('accepted');
      expect(invitee(s, ANNA)).toMatchObject({ acceptedBy: STAFF, acceptedByAccountId: undefined });
      expect(s.context.claimedAccountIds).toEqual([]);
    });

    it('ACCEPTED while a reminder is due cancels it: no reminder goes out after acceptance', () => {
      let s = run(pendingHandoff([ANNA, BEN]), reminderDue(ANNA, T0 + 2 * DAY));
      s = step(s, accepted(ANNA, T0 + 2 * DAY + 1000, ANNA_ACCOUNT));
      expect(invitee(s, ANNA).reminderDue).toBe(false);
      expect(s.can(reminderSent(ANNA, T0 + 2 * DAY + 2000))).toBe(false);
      expect(s.can(reminderDue(ANNA, T0 + 5 * DAY))).toBe(false);
      expect(s.can(reminderDue(BEN, T0 + 2 * DAY + 2000))).toBe(true);
    });

    it('ACCEPTED while a renewal is due cancels it: no renewal after acceptance', () => {
      let s = run(pendingHandoff([ANNA, BEN]), expiryReached(ANNA, T0 + VALIDITY));
      s = step(s, accepted(ANNA, T0 + VALIDITY + 1000));
      expect(invitee(s, ANNA).renewalDue).toBe(false);
      expect(s.can(inviteRenewed(ANNA, T0 + VALIDITY + 2000))).toBe(false);
      expect(s.can(resendFailed(ANNA, T0 + VALIDITY + 2000))).toBe(false);
    });

    it('one of two accepts: still pending for the other; the same Wix account cannot accept for both', () => {
      let s = step(pendingHandoff([ANNA, BEN]), accepted(ANNA, T0 + DAY, ANNA_ACCOUNT));
      expect(stateOf(s)).toBe('pending');
      expect(statuses(s)).toEqual({ [ANNA]: 'accepted', [BEN]: 'pending' });
      expect(s.can(accepted(BEN, T0 + 2 * DAY, ANNA_ACCOUNT))).toBe(false);
      expect(refusalReason(s, accepted(BEN, T0 + 2 * DAY, ANNA_ACCOUNT))).toMatch(
        new RegExp(`${ANNA_ACCOUNT} is already attributed to another invitee`),
      );
      s = step(s, accepted(BEN, T0 + 2 * DAY, BEN_ACCOUNT));
      expect(stateOf(s)).toBe('accepted');
      expect(s.context.claimedAccountIds).toEqual([ANNA_ACCOUNT, BEN_ACCOUNT]);
    });

    it.each<{ name: string; first: HandoffEvent; second: HandoffEvent; outcome: HandoffState }>([
      {
        name: 'one accepted, the other expired',
        first: accepted(ANNA, T0 + DAY),
        second: expiryReached(BEN, T0 + VALIDITY),
        outcome: 'accepted',
      },
      {
        name: 'one expired, the other accepted',
        first: expiryReached(ANNA, T0 + VALIDITY),
        second: accepted(BEN, T0 + VALIDITY + 1000),
        outcome: 'accepted',
      },
      {
        name: 'one refused on resend, the other accepted',
        first: resendFailed(ANNA, T0 + DAY),
        second: accepted(BEN, T0 + 2 * DAY),
        outcome: 'accepted',
      },
      {
        name: 'one expired, the other refused on resend',
        first: expiryReached(ANNA, T0 + VALIDITY),
        second: resendFailed(BEN, T0 + VALIDITY + 1000),
        outcome: 'expired',
      },
      {
        name: 'one refused on resend, the other expired',
        first: resendFailed(ANNA, T0 + DAY),
        second: expiryReached(BEN, T0 + VALIDITY),
        outcome: 'expired',
      },
      {
        name: 'both refused on resend',
        first: resendFailed(ANNA, T0 + DAY),
        second: resendFailed(BEN, T0 + 2 * DAY),
        outcome: 'failed',
      },
    ])(
      'with two invitees ($name): pending until both settle, then $outcome',
      ({ first, second, outcome }) => {
        let s = pendingHandoff([ANNA, BEN], policy({ maxRenewals: 0 }));
        s = step(s, first);
        expect(stateOf(s)).toBe('pending');
        s = step(s, second);
        expect(stateOf(s)).toBe(outcome);
      },
    );
  });

  describe('pending: more addresses and retries', () => {
    it('PROJECT_COMPLETED with a new address: only the new one is invited, the pending invite is kept', () => {
      let s = pendingHandoff([ANNA]);
      s = step(
        s,
        completed(
          ['ANNA.KELLER@keller-bakery.ch', BEN],
          { role: 'admin (co-owner)' },
          DEFAULT_POLICY,
          T0 + DAY,
        ),
      );
      expect(stateOf(s)).toBe('inviting');
      expect(statuses(s)).toEqual({ [ANNA]: 'pending', [BEN]: 'toInvite' });
      expect(s.context.role).toBe(ROLE);
      s = step(s, invitesSent(T0 + DAY + 1000, [BEN]));
      expect(stateOf(s)).toBe('pending');
      expect(invitee(s, ANNA)).toMatchObject({ status: 'pending', inviteId: inviteId(ANNA), invitedAt: T0 });
      expect(invitee(s, BEN)).toMatchObject({
        status: 'pending',
        inviteId: inviteId(BEN),
        invitedAt: T0 + DAY + 1000,
      });
    });

    it('RETRY re-invites only the failed and unconfirmed addresses', () => {
      let s = run(startHandoff([ANNA, BEN, CARLA]), prepared, invitesSent(T0, [ANNA], [BEN]));
      expect(statuses(s)).toEqual({ [ANNA]: 'pending', [BEN]: 'failed', [CARLA]: 'unconfirmed' });
      s = step(s, retry(T0 + HOUR));
      expect(stateOf(s)).toBe('inviting');
      expect(statuses(s)).toEqual({ [ANNA]: 'pending', [BEN]: 'toInvite', [CARLA]: 'toInvite' });
      expect(invitee(s, BEN).problem).toBeUndefined();
      expect(invitee(s, ANNA).inviteId).toBe(inviteId(ANNA));
      s = step(s, invitesSent(T0 + HOUR + 1000, [BEN, CARLA], [], 2));
      expect(stateOf(s)).toBe('pending');
      expect(invitee(s, ANNA)).toMatchObject({ inviteId: inviteId(ANNA), invitedAt: T0 });
      expect(invitee(s, CARLA)).toMatchObject({ status: 'pending', inviteId: inviteId(CARLA, 2) });
    });

    it('an address re-invited after a refused reminder gets the schedule from its new invite', () => {
      let s = pendingHandoff([ANNA, BEN]);
      s = run(
        s,
        reminderDue(ANNA, T0 + 2 * DAY),
        reminderSent(ANNA, T0 + 2 * DAY),
        reminderDue(ANNA, T0 + 5 * DAY),
        resendFailed(ANNA, T0 + 5 * DAY, 'Wix refused the reminder: 404 invite not found'),
        retry(T0 + 6 * DAY),
        invitesSent(T0 + 6 * DAY, [ANNA], [], 2),
      );
      expect(invitee(s, ANNA)).toMatchObject({
        status: 'pending',
        inviteId: inviteId(ANNA, 2),
        cycleStartedAt: T0 + 6 * DAY,
      });
      // The new invite's first reminder is due 2 days after it, like any other invite.
      expect(next(s, ANNA)).toBe(T0 + 8 * DAY);
      expect(s.can(reminderDue(ANNA, T0 + 8 * DAY))).toBe(true);
    });
  });

  describe('failed', () => {
    it('RETRY after a refused send: inviting again, with the problem and the failure cleared', () => {
      let s = failedHandoff();
      expect(s.context.failure).toBe('Wix answered 403: no seats left on the site');
      s = step(s, retry(T0 + DAY));
      expect(stateOf(s)).toBe('inviting');
      expect(s.context.failure).toBeUndefined();
      expect(invitee(s, ANNA)).toMatchObject({ status: 'toInvite', problem: undefined, inviteId: undefined });
      // The role was resolved on the first attempt: not prepared again.
      expect(s.can(prepared)).toBe(false);
      s = step(s, invitesSent(T0 + DAY + 1000, [ANNA]));
      expect(stateOf(s)).toBe('pending');
      expect(invitee(s, ANNA)).toMatchObject({
        status: 'pending',
        inviteId: inviteId(ANNA),
        problem: undefined,
      });
    });

    it('RETRY after an unknown outcome re-invites the unconfirmed address', () => {
      let s = run(startHandoff([ANNA]), prepared, sendFailed([ANNA], 'unknown', 'socket hang up'));
      expect(stateOf(s)).toBe('failed');
      s = step(s, retry(T0 + DAY));
      expect(stateOf(s)).toBe('inviting');
      expect(invitee(s, ANNA).status).toBe('toInvite');
    });

    it('PROJECT_COMPLETED with a corrected address adds it and invites again', () => {
      const s = step(failedHandoff(), completed([ANNA, BEN], {}, DEFAULT_POLICY, T0 + DAY));
      expect(stateOf(s)).toBe('inviting');
      expect(statuses(s)).toEqual({ [ANNA]: 'failed', [BEN]: 'toInvite' });
    });

    it('ACCEPTED for a failed address (Wix did invite after all): accepted', () => {
      const s = step(failedHandoff(), accepted(ANNA, T0 + DAY, ANNA_ACCOUNT, STAFF));
      expect(stateOf(s)).toBe('accepted');
      expect(invitee(s, ANNA)).toMatchObject({ status: 'accepted', problem: undefined, acceptedBy: STAFF });
    });

    it('ACCEPTED for an unconfirmed address: accepted', () => {
      const s = run(startHandoff([ANNA]), prepared, sendFailed([ANNA], 'unknown', 'socket hang up'));
      expect(stateOf(step(s, accepted(ANNA, T0 + DAY, ANNA_ACCOUNT)))).toBe('accepted');
    });

    it('REVOKE_REQUESTED with nothing pending: revoked at once', () => {
      const s = step(failedHandoff(), revokeRequested(T0 + DAY));
      expect(stateOf(s)).toBe('revoked');
      expect(s.context.revocation?.actor).toBe(STAFF);
    });

    it('a project event with another role, taken while nothing is pending, uses that role', () => {
      const s = failedHandoff();
      const corrected = completed([ANNA, BEN], { role: 'Website Manager' }, DEFAULT_POLICY, T0 + DAY);
      // Refusing it would be fine; taking it and then inviting Ben with the old role is not.
      if (s.can(corrected)) {
        const after = applyEvent(s, corrected);
        expect({ role: after.context.role, roleId: after.context.roleId }).toEqual({
          role: 'Website Manager',
          roleId: undefined,
        });
      } else {
        expect(refusalReason(s, corrected)).toMatch(/role/);
      }
    });
  });

  describe('revoking', () => {
    it('revokes several pending invites one REVOKED at a time, then is revoked', () => {
      let s = run(startHandoff([ANNA, BEN, CARLA]), prepared, invitesSent(T0, [ANNA, BEN], [CARLA]));
      s = step(s, revokeRequested(T0 + DAY, 'wrong customer'));
      expect(stateOf(s)).toBe('revoking');
      expect(s.context.revocation).toEqual({ reason: 'wrong customer', actor: STAFF, requestedAt: T0 + DAY });
      expect(statuses(s)).toEqual({ [ANNA]: 'pending', [BEN]: 'pending', [CARLA]: 'failed' });
      s = step(s, revoked(BEN, T0 + DAY + 1000));
      expect(stateOf(s)).toBe('revoking');
      expect(statuses(s)).toEqual({ [ANNA]: 'pending', [BEN]: 'revoked', [CARLA]: 'failed' });
      expect(s.can(revoked(BEN, T0 + DAY + 2000))).toBe(false);
      s = step(s, revoked(ANNA, T0 + DAY + 2000));
      expect(stateOf(s)).toBe('revoked');
      expect(s.status).toBe('done');
      expect(statuses(s)).toEqual({ [ANNA]: 'revoked', [BEN]: 'revoked', [CARLA]: 'failed' });
    });

    it('a revoke Wix refuses leaves that invitee failed with the detail; the handoff still ends revoked', () => {
      let s = revokingHandoff();
      s = step(s, revoked(ANNA, T0 + DAY + 1000, 'refused', 'Wix answered 409: invite already used'));
      expect(stateOf(s)).toBe('revoking');
      expect(invitee(s, ANNA)).toMatchObject({
        status: 'failed',
        problem: 'Wix answered 409: invite already used',
        reminderDue: false,
        renewalDue: false,
      });
      s = step(s, revoked(BEN, T0 + DAY + 2000));
      expect(stateOf(s)).toBe('revoked');
      expect(statuses(s)).toEqual({ [ANNA]: 'failed', [BEN]: 'revoked' });
    });

    it('REVOKED clears a reminder that was due', () => {
      let s = run(pendingHandoff(), reminderDue(ANNA, T0 + 2 * DAY), revokeRequested(T0 + 2 * DAY + 1000));
      expect(invitee(s, ANNA).reminderDue).toBe(true);
      s = step(s, revoked(ANNA, T0 + 2 * DAY + 2000));
      expect(invitee(s, ANNA)).toMatchObject({ status: 'revoked', reminderDue: false });
    });
  });

  describe('forbidden events', () => {
    interface Row {
      state: HandoffState;
      make: () => HandoffSnapshot;
      event: HandoffEvent;
      why: string;
      reason: RegExp;
    }
    const later = T0 + DAY;
    const anyReason = /\S/;
    const rows: Row[] = [
      // awaitingProject: only PROJECT_COMPLETED
      ...everyEvent(later)
        .filter((e) => e.type !== 'PROJECT_COMPLETED' && e.type !== 'REVOKE_REQUESTED' && e.type !== 'RETRY')
        .map((event) => ({
          state: 'awaitingProject' as const,
          make: initialHandoff,
          event,
          why: 'no project yet',
          reason:
            event.type === 'ACCEPTED'
              ? new RegExp(`${ANNA} is not invited by this handoff`)
              : new RegExp(`${event.type} is not allowed while awaitingProject`),
        })),
      {
        state: 'awaitingProject',
        make: initialHandoff,
        event: revokeRequested(later),
        why: 'nothing to revoke',
        reason: /no handoff has started yet/,
      },
      {
        state: 'awaitingProject',
        make: initialHandoff,
        event: retry(later),
        why: 'nothing failed',
        reason: /nothing to retry/,
      },
      // inviting
      {
        state: 'inviting',
        make: () => startHandoff(),
        event: completed([ANNA, BEN], {}, DEFAULT_POLICY, later),
        why: 'project event while inviting',
        reason: /not taken while inviting/,
      },
      {
        state: 'inviting',
        make: () => startHandoff(),
        event: completed([ANNA], { siteId: OTHER_SITE_ID }, DEFAULT_POLICY, later),
        why: 'another site',
        reason: new RegExp(`this handoff is for site ${SITE_ID}, not ${OTHER_SITE_ID}`),
      },
      {
        state: 'inviting',
        make: () => run(startHandoff(), prepared),
        event: prepared,
        why: 'role already prepared',
        reason: /HANDOFF_PREPARED is not allowed while inviting/,
      },
      ...[
        reminderDue(ANNA, later),
        reminderSent(ANNA, later),
        expiryReached(ANNA, later),
        inviteRenewed(ANNA, later),
        resendFailed(ANNA, later),
        revoked(ANNA, later),
      ].map((event) => ({
        state: 'inviting' as const,
        make: () => startHandoff(),
        event,
        why: 'no invite sent yet',
        reason: anyReason,
      })),
      {
        state: 'inviting',
        make: () => startHandoff(),
        event: accepted(ANNA, later, ANNA_ACCOUNT),
        why: 'address not invited yet',
        reason: new RegExp(`the invite for ${ANNA} is toInvite, it cannot be accepted`),
      },
      {
        state: 'inviting',
        make: () => startHandoff(),
        event: accepted(CARLA, later),
        why: 'address not in the handoff',
        reason: new RegExp(`${CARLA} is not invited by this handoff`),
      },
      {
        state: 'inviting',
        make: () => startHandoff(),
        event: retry(later),
        why: 'nothing failed',
        reason: /nothing to retry/,
      },
      {
        state: 'inviting',
        make: () =>
          run(
            pendingHandoff([ANNA]),
            completed([ANNA, BEN], {}, DEFAULT_POLICY, later),
            accepted(ANNA, later),
          ),
        event: revokeRequested(later + 1000),
        why: 'someone accepted',
        reason: new RegExp(`already accepted by ${ANNA}`),
      },
      // pending
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: completed([BEN], { siteId: OTHER_SITE_ID }, DEFAULT_POLICY, later),
        why: 'another site',
        reason: new RegExp(`this handoff is for site ${SITE_ID}, not ${OTHER_SITE_ID}`),
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: completed([BEN], { projectId: 'PRJ-2025-0999' }, DEFAULT_POLICY, later),
        why: 'another project',
        reason: new RegExp(`site ${SITE_ID} is already being handed over for project ${PROJECT_ID}`),
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: completed([BEN], { role: 'Website Manager' }, DEFAULT_POLICY, later),
        why: 'another role',
        reason: /role "Website Manager" contradicts the invites already sent with role "Admin \(Co-Owner\)"/,
      },
      {
        state: 'pending',
        make: () => pendingHandoff([ANNA, BEN]),
        event: completed([BEN, 'Anna.Keller@Keller-Bakery.ch'], {}, DEFAULT_POLICY, later),
        why: 'same addresses again',
        reason: /not taken while pending/,
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: prepared,
        why: 'role already prepared',
        reason: anyReason,
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: invitesSent(later, [ANNA], [], 2),
        why: 'no send in flight (no second invite for a pending address)',
        reason: /INVITES_SENT is not allowed while pending/,
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: sendFailed([ANNA], 'refused', 'Wix answered 403', later),
        why: 'no send in flight',
        reason: anyReason,
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: reminderDue(ANNA, T0 + 2 * DAY - 1),
        why: 'first reminder 1 ms early',
        reason: anyReason,
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: reminderDue(CARLA, T0 + 3 * DAY),
        why: 'unknown address',
        reason: anyReason,
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: reminderSent(ANNA, T0 + 2 * DAY),
        why: 'reminder sent that was never due',
        reason: anyReason,
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: expiryReached(ANNA, T0 + VALIDITY - 1),
        why: 'expiry 1 ms early',
        reason: anyReason,
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: inviteRenewed(ANNA, later),
        why: 'renewal that was never due',
        reason: anyReason,
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: resendFailed(CARLA, later),
        why: 'resend failure for an unknown address',
        reason: anyReason,
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: accepted(CARLA, later),
        why: 'acceptance by an address not invited',
        reason: new RegExp(`${CARLA} is not invited by this handoff`),
      },
      {
        state: 'pending',
        make: () => run(pendingHandoff([ANNA, BEN]), accepted(ANNA, later, ANNA_ACCOUNT)),
        event: accepted(ANNA, later + 1000),
        why: 'second acceptance of the same invite',
        reason: new RegExp(`the invite for ${ANNA} is accepted, it cannot be accepted`),
      },
      {
        state: 'pending',
        make: () => run(pendingHandoff([ANNA, BEN]), accepted(ANNA, later, ANNA_ACCOUNT)),
        event: accepted(BEN, later + 1000, ANNA_ACCOUNT),
        why: 'one Wix account for two invitees',
        reason: /already attributed to another invitee/,
      },
      {
        state: 'pending',
        make: () => run(pendingHandoff([ANNA, BEN]), accepted(ANNA, later, ANNA_ACCOUNT)),
        event: revokeRequested(later + 1000),
        why: 'revoke after an acceptance',
        reason: new RegExp(`already accepted by ${ANNA}; an accepted invite cannot be revoked`),
      },
      {
        state: 'pending',
        make: () => run(pendingHandoff([ANNA, BEN]), accepted(ANNA, later, ANNA_ACCOUNT)),
        event: reminderDue(ANNA, T0 + 2 * DAY),
        why: 'reminder after acceptance',
        reason: anyReason,
      },
      {
        state: 'pending',
        make: () => run(pendingHandoff([ANNA, BEN]), accepted(ANNA, later, ANNA_ACCOUNT)),
        event: expiryReached(ANNA, T0 + VALIDITY),
        why: 'renewal after acceptance',
        reason: anyReason,
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: revoked(ANNA, later),
        why: 'REVOKED without a revoke',
        reason: anyReason,
      },
      {
        state: 'pending',
        make: () => pendingHandoff(),
        event: retry(later),
        why: 'nothing failed',
        reason: /nothing to retry: no invite has failed or is unconfirmed/,
      },
      // revoking
      ...[
        completed([ANNA, CARLA], {}, DEFAULT_POLICY, later),
        prepared,
        invitesSent(later, [ANNA]),
        sendFailed([ANNA], 'refused', 'Wix answered 403', later),
        reminderDue(ANNA, T0 + 2 * DAY),
        expiryReached(ANNA, T0 + VALIDITY),
        inviteRenewed(ANNA, later),
        resendFailed(ANNA, later),
        accepted(ANNA, later, ANNA_ACCOUNT),
        revokeRequested(later),
        revoked(CARLA, later),
      ].map((event) => ({
        state: 'revoking' as const,
        make: revokingHandoff,
        event,
        why: 'revoke in progress',
        reason: anyReason,
      })),
      {
        state: 'revoking',
        make: () => run(revokingHandoff(), revoked(ANNA, later + 1000)),
        event: revoked(ANNA, later + 2000),
        why: 'invite already revoked',
        reason: /REVOKED is not allowed while revoking/,
      },
      {
        state: 'revoking',
        make: revokingHandoff,
        event: retry(later),
        why: 'nothing failed',
        reason: /nothing to retry/,
      },
      // failed
      ...[
        prepared,
        invitesSent(later, [ANNA]),
        sendFailed([ANNA], 'refused', 'Wix answered 403', later),
        reminderDue(ANNA, T0 + 2 * DAY),
        reminderSent(ANNA, later),
        expiryReached(ANNA, T0 + VALIDITY),
        inviteRenewed(ANNA, later),
        resendFailed(ANNA, later),
        revoked(ANNA, later),
      ].map((event) => ({
        state: 'failed' as const,
        make: failedHandoff,
        event,
        why: 'waiting for staff',
        reason: new RegExp(`${event.type} is not allowed while failed`),
      })),
      {
        state: 'failed',
        make: failedHandoff,
        event: completed(['anna.KELLER@keller-bakery.ch'], {}, DEFAULT_POLICY, later),
        why: 'same address again',
        reason: /not taken while failed/,
      },
      {
        state: 'failed',
        make: failedHandoff,
        event: completed([BEN], { siteId: OTHER_SITE_ID }, DEFAULT_POLICY, later),
        why: 'another site',
        reason: new RegExp(`not ${OTHER_SITE_ID}`),
      },
      {
        state: 'failed',
        make: () => run(initialHandoff(), completed([])),
        event: retry(later),
        why: 'nothing failed',
        reason: /nothing to retry/,
      },
      {
        state: 'failed',
        make: failedHandoff,
        event: accepted(BEN, later),
        why: 'address not in the handoff',
        reason: /not invited by this handoff/,
      },
    ];

    it.each(rows)('$state refuses $event.type ($why)', ({ state, make, event, reason }) => {
      const before = make();
      expect(stateOf(before)).toBe(state);
      expect(before.can(event)).toBe(false);
      const after = applyEvent(before, event);
      expect(stateOf(after)).toBe(state);
      expect(after.context).toEqual(before.context);
      const why = refusalReason(before, event);
      expect(typeof why).toBe('string');
      expect((why ?? '').trim().length).toBeGreaterThan(0);
      expect(why).toMatch(reason);
    });

    const terminals: Array<{ state: HandoffState; make: () => HandoffSnapshot }> = [
      { state: 'accepted', make: acceptedHandoff },
      { state: 'revoked', make: revokedHandoff },
      { state: 'expired', make: expiredHandoff },
    ];
    const terminalRows = terminals.flatMap(({ state, make }) =>
      everyEvent(T0 + 40 * DAY).map((event) => ({ state, make, event })),
    );

    it.each(terminalRows)('$state is final: takes no $event.type', ({ state, make, event }) => {
      const before = make();
      expect(stateOf(before)).toBe(state);
      expect(before.status).toBe('done');
      expect(before.can(event)).toBe(false);
      const after = applyEvent(before, event);
      expect(stateOf(after)).toBe(state);
      expect(after.context).toEqual(before.context);
      const why = refusalReason(before, event);
      if (state === 'accepted' && event.type === 'REVOKE_REQUESTED') {
        expect(why).toMatch(new RegExp(`already accepted by ${ANNA}`));
      } else {
        expect(why).toBe(`the handoff has already ended as ${state}`);
      }
    });
  });

  describe('persistence', () => {
    const fixtures: Array<{ name: string; make: () => HandoffSnapshot; then: HandoffEvent[] }> = [
      {
        name: 'awaitingProject',
        make: initialHandoff,
        then: [completed([ANNA]), prepared, invitesSent(T0, [ANNA])],
      },
      {
        name: 'inviting',
        make: () => startHandoff([ANNA, BEN]),
        then: [prepared, invitesSent(T0, [ANNA], [BEN])],
      },
      {
        name: 'pending with a reminder due',
        make: () => run(pendingHandoff([ANNA, BEN]), reminderDue(ANNA, T0 + 2 * DAY)),
        then: [
          reminderSent(ANNA, T0 + 2 * DAY),
          reminderDue(BEN, T0 + 2 * DAY),
          reminderSent(BEN, T0 + 2 * DAY),
          accepted(BEN, T0 + 3 * DAY, BEN_ACCOUNT),
          expiryReached(ANNA, T0 + VALIDITY),
          inviteRenewed(ANNA, T0 + VALIDITY + 1000),
        ],
      },
      {
        name: 'pending with a renewal due',
        make: () => run(pendingHandoff(), expiryReached(ANNA, T0 + VALIDITY)),
        then: [inviteRenewed(ANNA, T0 + VALIDITY + 1000), reminderDue(ANNA, T0 + VALIDITY + 1000 + 2 * DAY)],
      },
      {
        name: 'revoking',
        make: revokingHandoff,
        then: [revoked(ANNA, T0 + 2 * DAY, 'refused', '409'), revoked(BEN, T0 + 2 * DAY)],
      },
      { name: 'failed', make: failedHandoff, then: [retry(T0 + DAY), invitesSent(T0 + DAY, [ANNA])] },
      { name: 'accepted', make: acceptedHandoff, then: [] },
      { name: 'revoked', make: revokedHandoff, then: [] },
      { name: 'expired', make: expiredHandoff, then: [] },
    ];

    it.each(fixtures)(
      'a $name snapshot survives JSON and structured clone, and continues identically',
      ({ make, then }) => {
        const original = make();
        const saved = saveHandoff(original);
        expect(structuredClone(saved)).toEqual(saved);
        const restored = restoreHandoff(JSON.parse(JSON.stringify(saved)) as typeof saved);
        expect(stateOf(restored)).toBe(stateOf(original));
        expect(restored.status).toBe(original.status);
        expect(restored.context).toEqual(original.context);

        let a = original;
        let b = restored;
        for (const event of [...then, ...everyEvent(T0 + 4 * DAY)]) {
          expect({ type: event.type, can: b.can(event), reason: refusalReason(b, event) }).toEqual({
            type: event.type,
            can: a.can(event),
            reason: refusalReason(a, event),
          });
        }
        for (const event of then) {
          a = step(a, event);
          b = step(b, event);
          expect(saveHandoff(b)).toEqual(saveHandoff(a));
        }
        expect(b.status).toBe(a.status);
      },
    );

    it('saveHandoff keeps only the state name and plain context', () => {
      const saved = saveHandoff(run(pendingHandoff(), reminderDue(ANNA, T0 + 2 * DAY)));
      expect(Object.keys(saved).sort()).toEqual(['context', 'value']);
      expect(saved.value).toBe('pending');
      expect(JSON.parse(JSON.stringify(saved))).toEqual(saved);
    });
  });

  describe('isRepeatedProject', () => {
    it('is true for the same project event again, in any case or order', () => {
      const s = pendingHandoff([ANNA, BEN]);
      expect(isRepeatedProject(s, project([ANNA, BEN]))).toBe(true);
      expect(isRepeatedProject(s, project([' Ben.Okafor@Keller-Bakery.ch', ANNA, ANNA]))).toBe(true);
      expect(isRepeatedProject(s, project([BEN]))).toBe(true);
      expect(isRepeatedProject(s, project([ANNA, BEN], { role: 'admin (co-owner)' }))).toBe(true);
    });

    it('is false when an address is new', () => {
      const s = pendingHandoff([ANNA, BEN]);
      expect(isRepeatedProject(s, project([ANNA, BEN, CARLA]))).toBe(false);
    });

    it('is false for another site, project or role, and before any project', () => {
      const s = pendingHandoff([ANNA]);
      expect(isRepeatedProject(s, project([ANNA], { siteId: OTHER_SITE_ID }))).toBe(false);
      expect(isRepeatedProject(s, project([ANNA], { projectId: 'PRJ-2025-0999' }))).toBe(false);
      expect(isRepeatedProject(s, project([ANNA], { role: 'Website Manager' }))).toBe(false);
      expect(isRepeatedProject(initialHandoff(), project([ANNA]))).toBe(false);
    });

    it('is false for a project event that changes the role of a failed handoff', () => {
      // Not a repeat: it is either refused (role conflict) or a correction to apply, never "nothing new".
      expect(isRepeatedProject(failedHandoff(), project([ANNA], { role: 'Website Manager' }))).toBe(false);
    });
  });

  describe('nextReminderAt', () => {
    it('has no reminder for an invitee that is not pending', () => {
      const s = failedHandoff();
      expect(next(s, ANNA)).toBeUndefined();
      expect(next(acceptedHandoff(), ANNA)).toBeUndefined();
    });

    it('follows a custom schedule', () => {
      const s = pendingHandoff([ANNA], policy({ reminderOffsetsMs: [3000, 60_000] }));
      expect(next(s, ANNA)).toBe(T0 + 3000);
      const after = run(s, reminderDue(ANNA, T0 + 3000), reminderSent(ANNA, T0 + 3500));
      expect(next(after, ANNA)).toBe(T0 + 60_000);
      const done = run(after, reminderDue(ANNA, T0 + 60_000), reminderSent(ANNA, T0 + 60_500));
      expect(next(done, ANNA)).toBeUndefined();
    });
  });
  describe('what is due', () => {
    const due = (s: HandoffSnapshot, at: number) => whatIsDue(s.context, at);

    it('after the invite: nothing now, the first reminder at 2 days, the first check one poll later', () => {
      const s = pendingHandoff();
      expect(due(s, T0 + HOUR)).toEqual({
        wakeAt: T0 + 6 * HOUR,
        checkContributors: false,
        clockEvents: [],
        removals: [],
        sends: [],
      });
      const atPoll = due(s, T0 + 6 * HOUR);
      expect(atPoll).toMatchObject({ checkContributors: true, clockEvents: [], sends: [] });
    });

    it('a checked handoff wakes for the reminder, checks before it, then the machine marks it and it is sent', () => {
      const checked = run(pendingHandoff(), {
        type: 'CONTRIBUTORS_SEEN',
        at: T0 + 42 * HOUR,
        accountIds: [OWNER_ACCOUNT],
      });
      expect(due(checked, T0 + 43 * HOUR).wakeAt).toBe(T0 + 2 * DAY);
      const atReminder = due(checked, T0 + 2 * DAY);
      expect(atReminder.checkContributors).toBe(true);
      expect(atReminder.clockEvents).toEqual([reminderDue(ANNA, T0 + 2 * DAY)]);
      const marked = run(checked, ...atReminder.clockEvents);
      expect(due(marked, T0 + 2 * DAY).sends).toEqual([
        { invitee: invitee(marked, ANNA), purpose: 'reminder' },
      ]);
      // Marked once: the same moment yields no second reminder event.
      expect(due(marked, T0 + 2 * DAY).clockEvents).toEqual([]);
    });

    it('at expiry the invite is renewed, not reminded; a reminder missed until then is dropped', () => {
      const s = pendingHandoff([ANNA], policy({ reminderOffsetsMs: [29 * DAY + 23 * HOUR] }));
      const atExpiry = due(s, T0 + VALIDITY + HOUR);
      expect(atExpiry.clockEvents).toEqual([expiryReached(ANNA, T0 + VALIDITY + HOUR)]);
      const renewing = run(s, ...atExpiry.clockEvents);
      expect(due(renewing, T0 + VALIDITY + HOUR).sends).toEqual([
        { invitee: invitee(renewing, ANNA), purpose: 'renewal' },
      ]);
    });

    it('while Wix asked to wait, nothing is sent and the handoff wakes when the pause ends', () => {
      const marked = run(
        pendingHandoff(),
        { type: 'CONTRIBUTORS_SEEN', at: T0 + 2 * DAY, accountIds: [] },
        reminderDue(ANNA, T0 + 2 * DAY),
        {
          type: 'WIX_BUSY',
          until: T0 + 2 * DAY + 90_000,
        },
      );
      expect(due(marked, T0 + 2 * DAY + 1000)).toMatchObject({ wakeAt: T0 + 2 * DAY + 90_000, sends: [] });
      expect(due(marked, T0 + 2 * DAY + 90_000).sends).toHaveLength(1);
    });

    it('a staff retry does not wait for an earlier pause', () => {
      const s = run(failedHandoff(), { type: 'WIX_BUSY', until: T0 + DAY }, retry(T0 + HOUR));
      expect(s.context.wixBusyUntil).toBe(0);
    });

    it('a failed contributors check still counts as a check for the poll interval', () => {
      const s = run(pendingHandoff(), { type: 'CONTRIBUTORS_CHECK_FAILED', at: T0 + 6 * HOUR });
      expect(due(s, T0 + 7 * HOUR).wakeAt).toBe(T0 + 12 * HOUR);
    });
  });

  describe('who accepted, judged from the contributors Wix lists', () => {
    const seen = (at: number, ...accountIds: string[]): HandoffEvent => ({
      type: 'CONTRIBUTORS_SEEN',
      at,
      accountIds,
    });

    it('one invite out and one new contributor: that invitee accepted, as that account', () => {
      const s = pendingHandoff();
      expect(judgeContributors(s.context, [OWNER_ACCOUNT, ANNA_ACCOUNT])).toEqual({
        kind: 'accepted',
        email: ANNA,
        accountId: ANNA_ACCOUNT,
      });
      const after = run(s, seen(T0 + DAY, OWNER_ACCOUNT, ANNA_ACCOUNT));
      expect(stateOf(after)).toBe('accepted');
      expect(invitee(after, ANNA)).toMatchObject({ acceptedByAccountId: ANNA_ACCOUNT, acceptedBy: 'wix' });
    });

    it('contributors from before the invite are never taken for the customer', () => {
      const after = run(pendingHandoff(), seen(T0 + DAY, OWNER_ACCOUNT));
      expect(stateOf(after)).toBe('pending');
      expect(after.context.lastCheckAt).toBe(T0 + DAY);
    });

    it('two invites out: a new contributor is reported once as ambiguous, nobody is marked accepted', () => {
      const s = pendingHandoff([ANNA, BEN]);
      expect(judgeContributors(s.context, [ANNA_ACCOUNT])).toEqual({
        kind: 'ambiguous',
        accountIds: [ANNA_ACCOUNT],
        candidates: [ANNA, BEN],
      });
      const after = run(s, seen(T0 + DAY, ANNA_ACCOUNT));
      expect(statuses(after)).toEqual({ [ANNA]: 'pending', [BEN]: 'pending' });
      expect(after.context.reportedAccountIds).toEqual([ANNA_ACCOUNT]);
      expect(judgeContributors(after.context, [ANNA_ACCOUNT])).toEqual({ kind: 'nothing new' });
    });

    it('an account reported as ambiguous is not attributed later when only one invite is left', () => {
      const reported = run(
        pendingHandoff([ANNA, BEN]),
        seen(T0 + DAY, ANNA_ACCOUNT),
        accepted(BEN, T0 + DAY, BEN_ACCOUNT, STAFF),
      );
      expect(judgeContributors(reported.context, [ANNA_ACCOUNT, BEN_ACCOUNT])).toEqual({
        kind: 'nothing new',
      });
    });

    it('an unconfirmed invite of a failed handoff can still be seen accepted', () => {
      const s = run(
        startHandoff([ANNA]),
        prepared,
        sendFailed([ANNA], 'unknown', 'the call to Wix did not finish'),
      );
      expect(stateOf(s)).toBe('failed');
      expect(contributorsWorthChecking(s.context)).toBe(true);
      expect(stateOf(run(s, seen(T0 + DAY, ANNA_ACCOUNT)))).toBe('accepted');
    });

    it('nothing to check before the role is known or when no invite can be accepted', () => {
      expect(contributorsWorthChecking(startHandoff().context)).toBe(false);
      expect(contributorsWorthChecking(failedHandoff().context)).toBe(false);
    });
  });

  describe('restoring a state saved before the machine kept its check times', () => {
    it('takes the initial values for the fields it did not have', () => {
      const saved = saveHandoff(pendingHandoff());
      const { lastCheckAt: _a, wixBusyUntil: _b, reportedAccountIds: _c, ...older } = saved.context;
      const restored = restoreHandoff({ value: saved.value, context: older as typeof saved.context });
      expect(restored.context).toMatchObject({ lastCheckAt: 0, wixBusyUntil: 0, reportedAccountIds: [] });
      expect(stateOf(restored)).toBe('pending');
    });
  });

  describe('changes by staff to a running handoff', () => {
    const at = T0 + DAY;
    const pause = (t = at): HandoffEvent => ({
      type: 'PAUSE_REQUESTED',
      at: t,
      actor: STAFF,
      reason: 'holiday',
    });
    const resume = (t: number): HandoffEvent => ({ type: 'RESUME_REQUESTED', at: t, actor: STAFF });
    const add = (email: string): HandoffEvent => ({ type: 'INVITEE_ADDED', at, actor: STAFF, email });
    const remove = (email: string): HandoffEvent => ({
      type: 'INVITEE_REMOVAL_REQUESTED',
      at,
      actor: STAFF,
      email,
    });
    const replace = (email: string, newEmail: string): HandoffEvent => ({
      type: 'INVITEE_REPLACEMENT_REQUESTED',
      at,
      actor: STAFF,
      email,
      newEmail,
    });

    it('replaces: the new address is invited first; the old invite is revoked only once the new one is out', () => {
      let s = run(pendingHandoff([ANNA]), replace(ANNA, BEN));
      expect(stateOf(s)).toBe('inviting');
      expect(invitee(s, ANNA)).toMatchObject({ status: 'pending', replacedBy: BEN });
      expect(whatIsDue(s.context, at).removals).toEqual([]);
      s = run(s, invitesSent(at, [BEN]));
      expect(stateOf(s)).toBe('pending');
      expect(invitee(s, ANNA)).toMatchObject({ status: 'pending', removalDue: true });
      expect(whatIsDue(s.context, at).removals.map((i) => i.email)).toEqual([ANNA]);
      s = run(s, { type: 'INVITEE_REMOVED', email: ANNA, at, outcome: 'revoked' });
      expect(statuses(s)).toEqual({ [ANNA]: 'removed', [BEN]: 'pending' });
      expect(invitee(s, BEN).replaces).toBe(ANNA);
    });

    it('a removed invite Wix will not revoke stays out: a later retry never invites that address again', () => {
      const s = run(pendingHandoff([ANNA]), replace(ANNA, BEN), invitesSent(at, [BEN]), {
        type: 'INVITEE_REMOVED',
        email: ANNA,
        at,
        outcome: 'refused',
        detail: 'no longer pending',
      });
      expect(invitee(s, ANNA)).toMatchObject({ status: 'removed', problem: 'no longer pending' });
      expect(refusalReason(s, retry(at))).toBe('nothing to retry: no invite has failed or is unconfirmed');
    });

    it('a replacement Wix refuses leaves the old invite as it was, free to be replaced again', () => {
      const s = run(pendingHandoff([ANNA]), replace(ANNA, BEN), invitesSent(at, [], [BEN]));
      expect(stateOf(s)).toBe('pending');
      expect(invitee(s, ANNA)).toMatchObject({ status: 'pending', replacedBy: undefined });
      expect(invitee(s, ANNA).removalDue).toBeFalsy();
      expect(refusalReason(s, replace(ANNA, CARLA))).toBeUndefined();
    });

    it('removing the last invitee, an accepted one or an unknown one is refused in words', () => {
      const s = pendingHandoff([ANNA]);
      expect(refusalReason(s, remove(ANNA))).toMatch(/last invitee: .*revoke it instead/);
      expect(refusalReason(s, remove(CARLA))).toBe(`${CARLA} is not invited by this handoff`);
      expect(refusalReason(s, add(ANNA))).toMatch(/already invited/);
      const two = pendingHandoff([ANNA, BEN]);
      expect(refusalReason(two, remove(BEN))).toBeUndefined();
      expect(refusalReason(acceptedHandoff(), pause())).toBe('the handoff has already ended as accepted');
      expect(refusalReason(revokingHandoff(), add(CARLA))).toBe(
        'adding an invitee is not allowed while the handoff is revoking',
      );
    });

    it('paused: no reminder falls due and none is decided; the expiry still ends the invite without a renewal', () => {
      let s = run(pendingHandoff([ANNA]), pause());
      expect(s.context.paused).toMatchObject({ since: at, actor: STAFF, reason: 'holiday' });
      expect(refusalReason(s, pause())).toBe('reminders are already paused');
      expect(refusalReason(s, reminderDue(ANNA, T0 + 3 * DAY))).toBeDefined();
      const due = whatIsDue(s.context, T0 + 11 * DAY);
      expect(due.clockEvents).toEqual([]);
      expect(due.wakeAt).toBe(Math.min(T0 + 11 * DAY, T0 + VALIDITY, s.context.lastCheckAt + 6 * HOUR));
      s = run(s, expiryReached(ANNA, T0 + VALIDITY));
      expect(stateOf(s)).toBe('expired');
    });

    it('a resume after three missed reminders makes one catch-up due, then the schedule goes on', () => {
      let s = run(pendingHandoff([ANNA]), pause(), resume(T0 + 11 * DAY));
      expect(s.context.paused).toBeUndefined();
      expect(refusalReason(s, resume(T0 + 11 * DAY))).toBe('reminders are not paused');
      expect(next(s, ANNA)).toBe(T0 + 10 * DAY);
      s = run(s, reminderDue(ANNA, T0 + 11 * DAY), reminderSent(ANNA, T0 + 11 * DAY));
      expect(next(s, ANNA)).toBe(T0 + 20 * DAY);
    });

    it('check now makes a contributors check due at once; a policy change takes effect for what is next', () => {
      let s = pendingHandoff([ANNA]);
      expect(whatIsDue(s.context, T0 + HOUR).checkContributors).toBe(false);
      s = run(s, { type: 'CHECK_REQUESTED', at: T0 + HOUR, actor: STAFF });
      expect(whatIsDue(s.context, T0 + HOUR).checkContributors).toBe(true);
      s = run(s, {
        type: 'POLICY_CHANGED',
        at: T0 + HOUR,
        actor: STAFF,
        policy: { reminderOffsetsMs: [DAY, 3 * DAY], maxRenewals: 0 },
      });
      expect(next(s, ANNA)).toBe(T0 + DAY);
      expect(s.context.policy.maxRenewals).toBe(0);
    });
  });

  describe('escalation', () => {
    const escalating = policy({ ...ESCALATION_DEFAULTS, escalateTo: 'am@pixel-agency.io' });
    const causes = (s: HandoffSnapshot) => (s.context.escalations ?? []).map((e) => e.cause);
    const escalationEvents = (s: HandoffSnapshot, at: number) =>
      whatIsDue(s.context, at).clockEvents.filter((e) => e.type === 'ESCALATION_DUE');

    it('escalates once when nobody accepted seven days after the first invite, naming who is told', () => {
      let s = pendingHandoff([ANNA], escalating);
      expect(escalationDueAt(s.context)).toBe(T0 + 7 * DAY);
      expect(escalationEvents(s, T0 + 7 * DAY - 1)).toEqual([]);
      expect(whatIsDue(s.context, T0 + 6 * DAY).wakeAt).toBeLessThanOrEqual(T0 + 7 * DAY);
      expect(
        refusalReason(s, { type: 'ESCALATION_DUE', at: T0 + DAY, cause: 'no_acceptance' }),
      ).toBeDefined();
      const due = escalationEvents(s, T0 + 7 * DAY);
      expect(due).toEqual([{ type: 'ESCALATION_DUE', at: T0 + 7 * DAY, cause: 'no_acceptance' }]);
      s = run(s, ...due);
      expect(s.context.escalations).toEqual([
        { cause: 'no_acceptance', at: T0 + 7 * DAY, to: 'am@pixel-agency.io' },
      ]);
      expect(escalationDueAt(s.context)).toBeUndefined();
      expect(escalationEvents(s, T0 + 8 * DAY)).toEqual([]);
      expect(stateOf(s)).toBe('pending');
    });

    it('counts from the first invite, not from a later re-invite', () => {
      const s = run(
        pendingHandoff([ANNA], escalating),
        { type: 'INVITEE_ADDED', at: T0 + 2 * DAY, actor: STAFF, email: BEN },
        invitesSent(T0 + 2 * DAY, [BEN]),
      );
      expect(escalationDueAt(s.context)).toBe(T0 + 7 * DAY);
    });

    it('does not escalate while reminders are paused, nor after an acceptance', () => {
      const paused = run(pendingHandoff([ANNA], escalating), {
        type: 'PAUSE_REQUESTED',
        at: T0 + DAY,
        actor: STAFF,
      });
      expect(escalationDueAt(paused.context)).toBeUndefined();
      expect(escalationEvents(paused, T0 + 8 * DAY)).toEqual([]);
      const resumed = run(paused, { type: 'RESUME_REQUESTED', at: T0 + 8 * DAY, actor: STAFF });
      expect(escalationEvents(resumed, T0 + 8 * DAY)).toHaveLength(1);
      const acceptedOne = run(
        pendingHandoff([ANNA, BEN], escalating),
        accepted(ANNA, T0 + DAY, ANNA_ACCOUNT),
      );
      expect(escalationDueAt(acceptedOne.context)).toBeUndefined();
    });

    it('escalates an expiry and a failure once each, as the policy asks', () => {
      const expired = run(
        pendingHandoff([ANNA], { ...escalating, maxRenewals: 0 }),
        expiryReached(ANNA, T0 + VALIDITY),
      );
      expect(stateOf(expired)).toBe('expired');
      expect(causes(expired)).toEqual(['expired']);
      const failed = run(
        startHandoff([ANNA], escalating),
        prepared,
        sendFailed([ANNA], 'refused', 'Wix answered 403: no seats left on the site'),
      );
      expect(stateOf(failed)).toBe('failed');
      // The refusal ended the handoff: one escalation (failed), not a second for the refused address.
      expect(causes(failed)).toEqual(['failed']);
      const again = run(failed, retry(T0 + DAY), sendFailed([ANNA], 'refused', 'still no seats', T0 + DAY));
      expect(causes(again)).toEqual(['failed']);
      const onlyExpiry = run(
        pendingHandoff([ANNA], { ...escalating, escalateOn: ['expired'], maxRenewals: 0 }),
        expiryReached(ANNA, T0 + VALIDITY),
      );
      expect(causes(onlyExpiry)).toEqual(['expired']);
      const noTriggers = run(
        startHandoff([ANNA], { ...escalating, escalateOn: [] }),
        prepared,
        sendFailed([ANNA], 'refused', 'no'),
      );
      expect(causes(noTriggers)).toEqual([]);
    });

    it('escalates a refused address while the handoff goes on as needing attention, once', () => {
      let s = run(startHandoff([ANNA, BEN], escalating), prepared, invitesSent(T0, [ANNA], [BEN]));
      expect(stateOf(s)).toBe('pending');
      expect(causes(s)).toEqual(['needs_attention']);
      s = run(s, {
        type: 'CONTRIBUTORS_SEEN',
        at: T0 + DAY,
        accountIds: [OWNER_ACCOUNT, ANNA_ACCOUNT, BEN_ACCOUNT],
      });
      expect(causes(s)).toEqual(['needs_attention']);
    });

    it('escalates an acceptance it cannot attribute', () => {
      const s = run(pendingHandoff([ANNA, BEN], escalating), {
        type: 'CONTRIBUTORS_SEEN',
        at: T0 + DAY,
        accountIds: [OWNER_ACCOUNT, ANNA_ACCOUNT],
      });
      expect(causes(s)).toEqual(['needs_attention']);
    });

    it('never escalates a handoff whose policy has no escalation (runs begun before it existed)', () => {
      const s = run(
        startHandoff([ANNA, BEN, CARLA], policy({ maxRenewals: 0 })),
        prepared,
        invitesSent(T0, [ANNA, BEN], [CARLA]),
      );
      expect(escalationDueAt(s.context)).toBeUndefined();
      expect(escalationEvents(s, T0 + 60 * DAY)).toEqual([]);
      const ended = run(s, expiryReached(ANNA, T0 + VALIDITY), expiryReached(BEN, T0 + VALIDITY));
      expect(stateOf(ended)).toBe('expired');
      expect(ended.context.escalations).toBeUndefined();
    });

    it('takes escalation changed by staff mid-flight', () => {
      const s = run(pendingHandoff([ANNA], policy()), {
        type: 'POLICY_CHANGED',
        at: T0 + DAY,
        actor: STAFF,
        policy: { escalateAfterMs: 2 * DAY, escalateTo: '#accounts' },
      });
      expect(escalationDueAt(s.context)).toBe(T0 + 2 * DAY);
      const off = run(s, {
        type: 'POLICY_CHANGED',
        at: T0 + DAY,
        actor: STAFF,
        policy: { escalateAfterMs: undefined },
      });
      expect(escalationDueAt(off.context)).toBeUndefined();
    });
  });

  describe('adaptive acceptance checks', () => {
    const MIN = 60_000;
    const adaptive = policy({ ...ADAPTIVE_CHECKS });
    const contributorsSeen = (at: number): HandoffEvent => ({
      type: 'CONTRIBUTORS_SEEN',
      at,
      accountIds: [OWNER_ACCOUNT],
    });
    /** Every check the machine asks for in [from, to), making each one as it falls due. */
    function checksBetween(start: HandoffSnapshot, from: number, to: number): number[] {
      let s = start;
      const times: number[] = [];
      for (let now = from; now < to;) {
        const due = whatIsDue(s.context, now);
        if (due.checkContributors) {
          times.push(now);
          s = applyEvent(s, contributorsSeen(now));
          continue;
        }
        now = Math.max(due.wakeAt, now + 1);
      }
      return times;
    }

    it('the default schedule: 10 minutes, gaps growing ×1.5 to at most 2 hours, until 18 hours', () => {
      const offsets = ADAPTIVE_CHECKS.checkAfterEmailMs!;
      expect(offsets[0]).toBe(10 * MIN);
      expect(offsets.at(-1)!).toBeLessThanOrEqual(18 * HOUR);
      const gaps = offsets.slice(1).map((o, i) => o - offsets[i]);
      expect(gaps.every((g, i) => i === 0 || g >= gaps[i - 1])).toBe(true);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(2 * HOUR);
      expect(geometricOffsets(MIN, 2, 4 * MIN, 12 * MIN)).toEqual([MIN, 3 * MIN, 7 * MIN, 11 * MIN]);
    });

    it('checks soon after the invite, backs off while nothing happens, then at the quiet rate', () => {
      const s = pendingHandoff([ANNA], adaptive);
      expect(nextCheck(s.context)).toEqual({ at: T0 + 10 * MIN, reason: 'after an email' });
      const times = checksBetween(s, T0, T0 + 2 * DAY - 1);
      expect(times.map((t) => t - T0)).toEqual(ADAPTIVE_CHECKS.checkAfterEmailMs);
      const afterBurst = applyEvent(s, contributorsSeen(T0 + 18 * HOUR));
      expect(nextCheck(afterBurst.context)).toEqual({ at: T0 + 18 * HOUR + 5 * DAY, reason: 'quiet period' });
    });

    it('each reminder starts the checks after an email again', () => {
      let s = pendingHandoff([ANNA], adaptive);
      s = run(
        s,
        contributorsSeen(T0 + DAY),
        reminderDue(ANNA, T0 + 2 * DAY),
        reminderSent(ANNA, T0 + 2 * DAY),
      );
      expect(nextCheck(s.context)).toEqual({ at: T0 + 2 * DAY + 10 * MIN, reason: 'after an email' });
    });

    it('a check asked for by staff or by Wix is due at once, and says who asked', () => {
      const s = applyEvent(pendingHandoff([ANNA], adaptive), contributorsSeen(T0 + 20 * HOUR));
      const staff = run(s, { type: 'CHECK_REQUESTED', at: T0 + DAY, actor: STAFF });
      expect(nextCheck(staff.context).reason).toBe('requested by staff');
      expect(whatIsDue(staff.context, T0 + DAY).checkContributors).toBe(true);
      const hinted = run(s, { type: 'CHECK_REQUESTED', at: T0 + DAY, actor: 'wix-webhook' });
      expect(nextCheck(hinted.context).reason).toBe('Wix hint received');
      expect(nextCheck(applyEvent(hinted, contributorsSeen(T0 + DAY)).context).reason).toBe('quiet period');
    });

    it('a handoff begun on the fixed poll keeps it: every 6 hours, whatever the emails', () => {
      const s = pendingHandoff([ANNA], DEFAULT_POLICY);
      const times = checksBetween(s, T0, T0 + DAY);
      expect(times.map((t) => t - T0)).toEqual([6 * HOUR, 12 * HOUR, 18 * HOUR]);
      expect(nextCheck(s.context)).toEqual({ at: T0 + 6 * HOUR, reason: 'quiet period' });
    });
  });
});
