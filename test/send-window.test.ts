// The customer's hours: reminders wait for the send window's next opening in the customer's zone, across
// daylight-saving changes and the date line; and the expiry warning as the last reminder of a cycle.
import { nextOpening } from '../workflows/send-window';
import { nextReminderAt } from '../workflows/invite-machine';
import { validateHandoffChange, validateProjectCompleted } from '../workflows/project-schema';
import type { Invitee, ResolvedPolicy, SendWindow } from '../workflows/handoff-types';

const OFFICE: Omit<SendWindow, 'timeZone'> = {
  from: '09:00',
  to: '17:00',
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
};
const berlin: SendWindow = { ...OFFICE, timeZone: 'Europe/Berlin' };
const auckland: SendWindow = { ...OFFICE, timeZone: 'Pacific/Auckland' };
const utc = (iso: string) => Date.parse(iso);
const DAY = 86_400_000;

test('inside the window a reminder goes at once; after hours it waits for the next working morning', () => {
  // Wednesday 2026-12-02 10:00 in Berlin (CET, +1).
  expect(nextOpening(utc('2026-12-02T09:00:00Z'), berlin)).toBe(utc('2026-12-02T09:00:00Z'));
  // 17:00 is closing time: the next morning, 09:00 CET.
  expect(nextOpening(utc('2026-12-02T16:00:00Z'), berlin)).toBe(utc('2026-12-03T08:00:00Z'));
  // Saturday: Monday 09:00.
  expect(nextOpening(utc('2026-12-05T12:00:00Z'), berlin)).toBe(utc('2026-12-07T08:00:00Z'));
});

test('across the spring change in Berlin the opening keeps its local time, and a skipped time moves on by the jump', () => {
  // Friday 2027-03-26 18:00 CET → Monday 2027-03-29 09:00 CEST (+2): 07:00Z, not 08:00Z.
  expect(nextOpening(utc('2027-03-26T17:00:00Z'), berlin)).toBe(utc('2027-03-29T07:00:00Z'));
  // 02:30 on Sunday 2027-03-28 does not exist in Berlin (02:00 → 03:00): 03:30 CEST.
  const night: SendWindow = { timeZone: 'Europe/Berlin', from: '02:30', to: '04:00', days: ['sun'] };
  expect(nextOpening(utc('2027-03-27T20:00:00Z'), night)).toBe(utc('2027-03-28T01:30:00Z'));
  // In autumn 02:30 happens twice (2027-10-31): the first one, still CEST.
  expect(nextOpening(utc('2027-10-30T20:00:00Z'), night)).toBe(utc('2027-10-31T00:30:00Z'));
});

test('at the date line the working day is the customer’s: Monday in Auckland is Sunday in UTC', () => {
  // Friday 2026-12-04 17:00 NZDT (+13) is closing time: Monday 09:00 NZDT = Sunday 20:00Z.
  expect(nextOpening(utc('2026-12-04T04:00:00Z'), auckland)).toBe(utc('2026-12-06T20:00:00Z'));
  // Auckland's spring change (2026-09-27, 02:00 → 03:00): Friday 25th evening → Monday 28th 09:00 NZDT (+13).
  expect(nextOpening(utc('2026-09-25T06:00:00Z'), auckland)).toBe(utc('2026-09-27T20:00:00Z'));
});

const pendingSince = (at: number, expiresAt = at + 30 * DAY): Invitee => ({
  email: 'owner@customer.example',
  status: 'pending',
  cycleStartedAt: at,
  expiresAt,
  remindersSent: 0,
  renewals: 0,
  reminderDue: false,
  renewalDue: false,
});
const policy = (overrides: Partial<ResolvedPolicy>): ResolvedPolicy => ({
  reminderOffsetsMs: [2 * DAY, 5 * DAY, 10 * DAY, 20 * DAY],
  acceptancePollMs: 6 * 3_600_000,
  maxRenewals: 1,
  ...overrides,
});

test('the machine moves a reminder due at night to the customer’s morning', () => {
  // Invited Wednesday 2026-12-02 20:00 in Berlin: the 2-day reminder falls on Friday 20:00, sent Monday 09:00.
  const invitee = pendingSince(utc('2026-12-02T19:00:00Z'));
  expect(nextReminderAt(invitee, policy({}))).toBe(utc('2026-12-04T19:00:00Z'));
  expect(nextReminderAt(invitee, policy({ sendWindow: berlin }))).toBe(utc('2026-12-07T08:00:00Z'));
});

test('an expiry warning is the cycle’s last reminder: the cadence after it is dropped', () => {
  const start = utc('2026-12-01T10:00:00Z');
  const withWarning = policy({ expiryWarningMs: 15 * DAY });
  const at = (sent: number) => nextReminderAt({ ...pendingSince(start), remindersSent: sent }, withWarning);
  // 2, 5 and 10 days, then the warning 15 days before the 30-day expiry; the 20-day reminder is dropped.
  expect([0, 1, 2, 3, 4].map(at)).toEqual([
    start + 2 * DAY,
    start + 5 * DAY,
    start + 10 * DAY,
    start + 15 * DAY,
    undefined,
  ]);
});

test('a send window and an expiry warning are validated, naming each field', () => {
  const event = (policyInput: unknown) =>
    validateProjectCompleted({
      projectId: 'PRJ-1',
      siteId: '9d2c7e10-1b44-4f0a-9a3c-5e6f7a8b9c0d',
      customerEmails: ['owner@customer.example'],
      role: 'Website Manager',
      policy: policyInput,
    });
  const ok = event({
    sendWindow: { timeZone: 'Pacific/Auckland', from: '09:00', to: '17:00' },
    expiryWarning: '3 days',
  });
  expect(ok.ok && ok.policy).toMatchObject({
    expiryWarningMs: 3 * DAY,
    sendWindow: { timeZone: 'Pacific/Auckland', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] },
  });
  const bad = event({ sendWindow: { timeZone: 'Mars/Olympus', from: '9am', to: '08:00', days: ['funday'] } });
  expect(bad.ok ? [] : bad.problems.join('\n')).toMatch(
    /policy\.sendWindow\.timeZone[\s\S]*policy\.sendWindow\.from[\s\S]*policy\.sendWindow\.days/,
  );
  const change = validateHandoffChange({
    kind: 'changePolicy',
    actor: 'ana',
    policy: { sendWindow: { timeZone: 'Europe/Berlin', from: '17:00', to: '09:00' } },
  });
  expect(change.ok ? [] : change.problems).toEqual([
    'policy.sendWindow.to: must be later than from (a window within one day)',
  ]);
});
