// The customer handoff on Temporal's time-skipping server, against the Wix simulator over HTTP.
// Every test checks what an agency would: the emails the customer got and the handoff's status.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { sql } from 'kysely';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { WixClient } from '../src/wix/client/wix-client';
import { HandoffAlreadyFinished, InvalidHandoffRequest } from '../src/handoff-client';
import {
  acceptedSignal,
  resendUpdate,
  revokeSignal,
  revokeUpdate,
  retrySignal,
} from '../workflows/customer-handoff';
import type { HandoffStatus } from '../workflows/handoff-types';
import { capturedLogs, startTimeSkippingEnv, workflowBundle } from './support/temporal';
import { createHarness, projectEvent, type Harness } from './support/handoff-harness';
import { maybeRecordHistory } from './support/histories';

const OWNER = 'owner@customer.example';
const PARTNER = 'partner@customer.example';
const events = (s: HandoffStatus, name: string) => s.audit.filter((a) => a.event === name);

let env: TestWorkflowEnvironment;
let h: Harness;

beforeAll(async () => {
  env = await startTimeSkippingEnv();
  await workflowBundle();
});
afterAll(() => env?.teardown());
beforeEach(async () => {
  h = await createHarness(env);
});
afterEach(() => h?.close());

const inviteIdOf = (s: HandoffStatus, email: string) => s.invitees.find((i) => i.email === email)!.inviteId!;

test('the customer accepts after the second reminder: 1 invite + 2 reminders, then accepted', async () => {
  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    const pending = await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
    expect(pending.invitees[0]).toMatchObject({ email: OWNER, status: 'pending', remindersSent: 0 });
    expect(pending.nextReminderAt).not.toBeNull();

    await env.sleep('121 hours');
    const reminded = await h.waitForStatus(handle, (s) => s.remindersSent === 2, 'two reminders');
    expect(h.sim.emailCount(OWNER)).toBe(3);

    h.sim.acceptInvite(inviteIdOf(reminded, OWNER));
    const final = await handle.result();
    expect(final.state).toBe('accepted');
    expect(final.invitees[0]).toMatchObject({ status: 'accepted', remindersSent: 2 });
    expect(final.nextReminderAt).toBeNull();
    expect(events(final, 'accepted')).toHaveLength(1);
    await maybeRecordHistory(handle, 'accepted-after-reminders');

    // The lasting record: the ledger holds exactly what Temporal's audit holds, in order.
    const record = await h.ledger.get(handle.workflowId);
    expect(record).toMatchObject({ state: 'accepted', siteId: h.siteId, endedAt: expect.any(String) });
    expect(
      record!.audit.map(({ at, event, actor, detail }) => ({
        at,
        event,
        actor,
        ...(detail ? { detail } : {}),
      })),
    ).toEqual(final.audit);
    expect(record!.invitees).toEqual(final.invitees);

    // Personal data and secrets never sit in Temporal history in clear.
    const history = Buffer.from(temporal.api.history.v1.History.encode(await handle.fetchHistory()).finish());
    expect(history.includes(OWNER)).toBe(false);
    expect(history.includes(h.apiKey)).toBe(false);
  });
  // No reminder after acceptance, however long we wait.
  await env.sleep('30 days');
  expect(h.sim.emailCount(OWNER)).toBe(3);
});

test('never accepted: four reminders, one renewal at expiry, four more, then expired', async () => {
  const final = await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    const result = await handle.result();
    await maybeRecordHistory(handle, 'expired-after-renewal');
    return result;
  });
  expect(final.state).toBe('expired');
  expect(final.invitees[0]).toMatchObject({ status: 'expired', renewals: 1, remindersSent: 4 });
  // 1 invite + 4 reminders + 1 renewal + 4 reminders after the renewal.
  expect(h.sim.emailCount(OWNER)).toBe(10);
  expect(h.sim.outbox().filter((m) => m.kind === 'invite')).toHaveLength(1);
  expect(events(final, 'invite renewed')).toHaveLength(1);
});

test('revoke while pending calls Revoke Invite once per pending invite and ends as revoked', async () => {
  const final = await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId, { customerEmails: [OWNER, PARTNER] }));
    await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invites');
    await handle.signal(revokeSignal, { reason: 'customer cancelled the contract', actor: 'staff:ana' });
    const result = await handle.result();
    await maybeRecordHistory(handle, 'revoked-with-contributor-check');
    return result;
  });
  expect(final.state).toBe('revoked');
  expect(final.invitees.map((i) => i.status)).toEqual(['revoked', 'revoked']);
  const revokeCalls = h.sim.calls().filter((c) => c.path.endsWith('/revoke'));
  expect(revokeCalls).toHaveLength(2);
  expect(h.sim.invites({ siteId: h.siteId }).map((i) => i.status)).toEqual(['Deleted', 'Deleted']);
  expect(h.sim.emailCount(OWNER)).toBe(1);
  expect(h.sim.emailCount(PARTNER)).toBe(1);
  expect(final.audit.find((a) => a.event === 'revoke requested')).toMatchObject({ actor: 'staff:ana' });
});

test('revoked means out: a contributor who got in before the revoke is reported to staff', async () => {
  const final = await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId, { customerEmails: [OWNER, PARTNER] }));
    const pending = await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invites');
    // The customer accepts; with two invitees the handoff cannot tell who, so nobody is marked accepted yet.
    const { accountId } = h.sim.acceptInvite(inviteIdOf(pending, OWNER));
    await handle.signal(revokeSignal, { reason: 'contract cancelled', actor: 'staff:ana' });
    const result = await handle.result();
    expect(result.alerts).toEqual([expect.stringContaining(accountId)]);
    await maybeRecordHistory(handle, 'revoked-with-alert');
    return result;
  });
  expect(final.state).toBe('revoked');
  expect(final.invitees.map((i) => i.status)).toEqual(['failed', 'revoked']);
  expect(final.invitees[0].problem).toMatch(/no longer pending/);
  expect(h.sim.invites({ email: PARTNER })[0].status).toBe('Deleted');
});

test('a revoke after an acceptance is refused visibly and nothing is revoked', async () => {
  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId, { customerEmails: [OWNER, PARTNER] }));
    const pending = await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invites');
    h.sim.acceptInvite(inviteIdOf(pending, OWNER));
    // Two invitees: acceptance is confirmed by staff, since a new contributor cannot be told apart.
    await handle.signal(acceptedSignal, { email: OWNER, actor: 'staff:ana' });
    await h.waitForStatus(handle, (s) => s.invitees[0].status === 'accepted', 'the acceptance');

    const rejection = await handle
      .executeUpdate(revokeUpdate, { args: [{ reason: 'oops', actor: 'staff:bo' }] })
      .catch((err: unknown) => err);
    expect(rejection).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((rejection as WorkflowUpdateFailedError).cause?.message).toMatch(
      /already accepted by owner@customer\.example/,
    );
    await handle.signal(revokeSignal, { reason: 'oops', actor: 'staff:bo' });
    const refused = await h.waitForStatus(handle, (s) => s.lastRefusal !== null, 'the refusal');
    expect(refused.lastRefusal).toMatchObject({
      request: 'revoke',
      reason: expect.stringMatching(/already accepted/),
    });
    expect(refused.state).toBe('pending');
    expect(refused.invitees.map((i) => i.status)).toEqual(['accepted', 'pending']);
    await maybeRecordHistory(handle, 'revoke-refused-after-acceptance');
  });
  expect(h.sim.calls().filter((c) => c.path.endsWith('/revoke'))).toHaveLength(0);
  expect(h.sim.invites({ email: PARTNER })[0].status).toBe('Pending');
});

test('a staff resend emails the pending invitee now and counts as a reminder; refused after acceptance', async () => {
  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    const pending = await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
    await handle.executeUpdate(resendUpdate, { args: [{ actor: 'staff:ana' }] });
    await h.waitForStatus(handle, (s) => s.remindersSent === 1, 'the resend');
    expect(h.sim.emailCount(OWNER)).toBe(2);
    expect(events(await h.status(handle), 'resend requested')).toEqual([
      expect.objectContaining({ actor: 'staff:ana' }),
    ]);

    await handle.signal(acceptedSignal, { email: OWNER, actor: 'staff:ana' });
    const final = await handle.result();
    expect(final.state).toBe('accepted');
    expect(inviteIdOf(final, OWNER)).toBe(inviteIdOf(pending, OWNER));
    await maybeRecordHistory(handle, 'staff-resend-then-accepted');
  });
  expect(h.sim.emailCount(OWNER)).toBe(2);
});

test('partial Bulk Invite failure: the good address is invited, the other is failed with a reason', async () => {
  const existing = 'already@customer.example';
  h.sim.addContributor(h.siteId, { policyIds: ['6732588207941061632'], email: existing });
  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId, { customerEmails: [OWNER, existing] }));
    const status = await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
    expect(status.invitees).toEqual([
      expect.objectContaining({ email: OWNER, status: 'pending', inviteId: expect.any(String) }),
      expect.objectContaining({
        email: existing,
        status: 'failed',
        problem: expect.stringMatching(/failedEmails/),
      }),
    ]);
    h.sim.acceptInvite(status.invitees[0].inviteId!);
    const final = await handle.result();
    expect(final.state).toBe('accepted');
    await maybeRecordHistory(handle, 'partial-failure-then-accepted');
  });
  expect(h.sim.emailCount(OWNER)).toBe(1);
  expect(h.sim.emailCount(existing)).toBe(0);
});

test('a 429 storm delays the invite, which then goes out exactly once', async () => {
  h.sim.injectFault({ count: 4, route: 'bulk', status: 429 });
  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    await env.sleep('10 minutes');
    const status = await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite after the storm');
    expect(events(status, 'invite delayed')).toHaveLength(4);
    await maybeRecordHistory(handle, 'invite-delayed-by-429');
  });
  expect(h.sim.emailCount(OWNER)).toBe(1);
  expect(
    h.sim
      .calls()
      .filter((c) => c.path.endsWith('/bulk'))
      .map((c) => c.status),
  ).toEqual([429, 429, 429, 429, 200]);
});

test('a reminder held back by a 429 waits out the pause: one contributors check, then one resend', async () => {
  h.sim.injectFault({ count: 1, route: 'resend', status: 429 });
  const reminded = await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
    await env.sleep('49 hours');
    const status = await h.waitForStatus(
      handle,
      (s) => s.remindersSent === 1,
      'the reminder after the pause',
    );
    await maybeRecordHistory(handle, 'reminder-waits-out-429');
    return status;
  });
  const [delayed] = events(reminded, 'reminder delayed');
  const [sent] = events(reminded, 'reminder sent');
  // Wix's advice: a minute.
  expect(Date.parse(sent.at) - Date.parse(delayed.at)).toBeGreaterThanOrEqual(60_000);
  const calls = h.sim.calls();
  const resends = calls.flatMap((c, n) => (c.path.endsWith('/resend') ? [n] : []));
  expect(resends.map((n) => calls[n].status)).toEqual([429, 200]);
  // Before, the handoff checked contributors again and again until the pause ended.
  const checksDuringPause = calls.slice(resends[0], resends[1]).filter((c) => /contributors/.test(c.path));
  expect(checksDuringPause.length).toBeLessThanOrEqual(1);
  expect(h.sim.emailCount(OWNER)).toBe(2);
});

test("Wix's Retry-After sets the pause: an invite refused with 429 and Retry-After: 150 goes out 150 s later", async () => {
  h.sim.injectFault({ count: 1, route: 'bulk', status: 429, retryAfter: 150 });
  const status = await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    await env.sleep('10 minutes');
    return h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite after the pause');
  });
  const [delayed] = events(status, 'invite delayed');
  const [sent] = events(status, 'invite sent');
  const waitedMs = Date.parse(sent.at) - Date.parse(delayed.at);
  // At least what Wix asked, not the default minute.
  expect(waitedMs).toBeGreaterThanOrEqual(150_000);
  expect(waitedMs).toBeLessThan(180_000);
  expect(h.sim.emailCount(OWNER)).toBe(1);
});

test('a revoke refused with 503 and Retry-After is retried by Temporal no sooner than Wix asked', async () => {
  h.sim.injectFault({ count: 1, route: 'revoke', status: 503, retryAfter: 40 });
  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
    const t0 = await env.currentTimeMs();
    await handle.signal(revokeSignal, { reason: 'contract cancelled', actor: 'staff:ana' });
    const final = await handle.result();
    expect(final.state).toBe('revoked');
    expect(Date.parse(final.audit.find((a) => a.event === 'invite revoked')!.at) - t0).toBeGreaterThanOrEqual(
      40_000,
    );
  });
  expect(
    h.sim
      .calls()
      .filter((c) => c.path.endsWith('/revoke'))
      .map((c) => c.status),
  ).toEqual([503, 200]);
});

test('the same project-completed event three times starts one handoff and sends one invite', async () => {
  await h.withWorker(async () => {
    const handles = [];
    for (let n = 0; n < 3; n++) handles.push(await h.complete(projectEvent(h.siteId)));
    const status = await h.waitForStatus(
      handles[0],
      (s) => s.state === 'pending' && events(s, 'projectCompleted repeated: nothing new').length === 2,
      'the repeats',
    );
    const runs = await Promise.all(handles.map(async (x) => (await x.describe()).runId));
    expect(new Set(runs).size).toBe(1);
    expect(status.invitees).toHaveLength(1);
  });
  expect(h.sim.emailCount(OWNER)).toBe(1);
});

test('a new email for a running handoff invites just that address', async () => {
  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    await h.waitForStatus(handle, (s) => s.state === 'pending', 'the first invite');
    await h.complete(projectEvent(h.siteId, { customerEmails: [OWNER, PARTNER] }));
    const status = await h.waitForStatus(
      handle,
      (s) => s.state === 'pending' && s.invitees.length === 2 && s.invitees[1].status === 'pending',
      'the second invite',
    );
    expect(status.invitees.map((i) => i.email)).toEqual([OWNER, PARTNER]);
  });
  expect(h.sim.emailCount(OWNER)).toBe(1);
  expect(h.sim.emailCount(PARTNER)).toBe(1);
});

test('another role for a running handoff is refused and recorded', async () => {
  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
    await h.complete(projectEvent(h.siteId, { role: 'Website Manager', customerEmails: [PARTNER] }));
    const status = await h.waitForStatus(handle, (s) => s.lastRefusal !== null, 'the refusal');
    expect(status.lastRefusal?.reason).toMatch(/role "Website Manager" contradicts/);
    expect(status.invitees).toHaveLength(1);
  });
  expect(h.sim.emailCount(PARTNER)).toBe(0);
});

/** The acceptance poll handoffs had before adaptive checks. */
const FIXED_POLL = { checksAfterEmail: [], acceptancePoll: '6h' };

test('the worker restarted between reminders: the schedule goes on, nothing is sent twice', async () => {
  const handle = await h.withWorker(
    async () => {
      // The fixed 6-hour poll: the gap without a worker below must be shorter than the next check.
      const started = await h.complete(projectEvent(h.siteId, { policy: FIXED_POLL }));
      await env.sleep('49 hours');
      await h.waitForStatus(started, (s) => s.remindersSent === 1, 'the first reminder');
      return started;
    },
    { stopsMidway: true },
  );
  // No worker for a while. Shorter than the next acceptance poll: the time-skipping server cannot skip past a
  // timer whose task no worker is there to run.
  await env.sleep('5 hours');
  const final = await h.withWorker(async () => {
    await env.sleep('3 days');
    const status = await h.waitForStatus(handle, (s) => s.remindersSent === 2, 'the second reminder');
    expect(status.invitees[0]).toMatchObject({ status: 'pending', remindersSent: 2 });
    h.sim.acceptInvite(inviteIdOf(status, OWNER));
    return handle.result();
  });
  expect(final.state).toBe('accepted');
  expect(h.sim.emailCount(OWNER)).toBe(3);
  expect(h.sim.outbox().map((m) => m.kind)).toEqual(['invite', 'resend', 'resend']);
  // The first worker ran without a cache (every task replayed the history) and a new one replayed it again:
  // the ledger still holds each audit entry once, in order.
  const record = await h.ledger.get(handle.workflowId);
  const { rows } = await sql<{
    n: string;
  }>`select count(*) as n from handoff_audit where handoff_id = ${handle.workflowId}`.execute(h.ledger.db);
  expect(Number(rows[0].n)).toBe(final.audit.length);
  expect(record!.audit.map((a) => a.event)).toEqual(final.audit.map((a) => a.event));
});

test('a permanent Wix error makes the handoff failed; after the fix a staff retry invites', async () => {
  const badKey = new WixClient({
    baseUrl: h.sim.url,
    apiKey: 'revoked-key',
    accountId: h.accountId,
    timeoutMs: 2_000,
  });
  const handle = await h.withWorker(
    async () => {
      const started = await h.complete(projectEvent(h.siteId));
      const failed = await h.waitForStatus(started, (s) => s.state === 'failed', 'the failure');
      expect(failed.failure).toMatch(/401|API key/);
      expect(failed.invitees[0]).toMatchObject({ status: 'failed' });
      expect(JSON.stringify(failed)).not.toContain('revoked-key');
      return started;
    },
    { wix: badKey, stopsMidway: true },
  );
  expect(h.sim.emailCount(OWNER)).toBe(0);

  // The agency fixes WIX_API_KEY and restarts the worker, then staff retry.
  await h.withWorker(async () => {
    await handle.signal(retrySignal, { actor: 'staff:ana' });
    const status = await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite after retry');
    expect(status.failure).toBeNull();
    expect(events(status, 'retry')).toEqual([expect.objectContaining({ actor: 'staff:ana' })]);
    await maybeRecordHistory(handle, 'failed-then-retried');
  });
  expect(h.sim.emailCount(OWNER)).toBe(1);
});

test('a key without permission fails the handoff; the key is in no log line, status or history', async () => {
  const weakKey = h.sim.addApiKey({ accountId: h.accountId, permissions: [] });
  const weak = new WixClient({
    baseUrl: h.sim.url,
    apiKey: weakKey,
    accountId: h.accountId,
    timeoutMs: 2_000,
  });
  const logsBefore = capturedLogs.length;
  await h.withWorker(
    async () => {
      const handle = await h.complete(projectEvent(h.siteId));
      const failed = await h.waitForStatus(handle, (s) => s.state === 'failed', 'the failure');
      expect(failed.failure).toMatch(/403|Manage Contributors/);
      expect(JSON.stringify(failed)).not.toContain(weakKey);
      const history = Buffer.from(
        temporal.api.history.v1.History.encode(await handle.fetchHistory()).finish(),
      );
      expect(history.includes(weakKey)).toBe(false);
    },
    { wix: weak },
  );
  const logs = capturedLogs.slice(logsBefore);
  expect(logs.some((line) => /403|PERMISSION_DENIED/.test(line))).toBe(true);
  expect(logs.filter((line) => line.includes(weakKey))).toEqual([]);
});

test('an unknown role fails with the titles that exist', async () => {
  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId, { role: 'Site Boss' }));
    const failed = await h.waitForStatus(handle, (s) => s.state === 'failed', 'the failure');
    expect(failed.failure).toMatch(/Site Boss/);
    expect(failed.failure).toMatch(/Website Manager/);
  });
  expect(h.sim.outbox()).toHaveLength(0);
});

test('a hung Bulk Invite is never repeated blindly: flagged unconfirmed, staff retry sends it once', async () => {
  h.sim.injectFault({ count: 1, route: 'bulk', hang: 'before-processing' });
  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    const failed = await h.waitForStatus(handle, (s) => s.state === 'failed', 'the unconfirmed invite');
    expect(failed.invitees[0]).toMatchObject({
      status: 'unconfirmed',
      problem: expect.stringMatching(/may have sent/),
    });
    expect(h.sim.emailCount(OWNER)).toBe(0);
    await handle.signal(retrySignal, { actor: 'staff:ana' });
    await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite after retry');
  });
  expect(h.sim.emailCount(OWNER)).toBe(1);
});

test('a timeout after Wix sent the invite does not send a second one', async () => {
  h.sim.injectFault({ count: 1, route: 'bulk', hang: 'after-processing' });
  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId, { policy: FIXED_POLL }));
    const failed = await h.waitForStatus(handle, (s) => s.state === 'failed', 'the unconfirmed invite');
    expect(failed.invitees[0].status).toBe('unconfirmed');
    await env.sleep('3 days');
    expect((await h.status(handle)).invitees[0].status).toBe('unconfirmed');
  });
  expect(h.sim.emailCount(OWNER)).toBe(1);
  expect(h.sim.calls().filter((c) => c.path.endsWith('/bulk'))).toHaveLength(1);
});

test('an unconfirmed invite that did go out is still seen when the customer accepts it', async () => {
  h.sim.injectFault({ count: 1, route: 'bulk', hang: 'after-processing' });
  const final = await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    await h.waitForStatus(handle, (s) => s.state === 'failed', 'the unconfirmed invite');
    h.sim.acceptInvite(h.sim.invites({ email: OWNER })[0].id!);
    const result = await handle.result();
    await maybeRecordHistory(handle, 'unconfirmed-then-accepted');
    return result;
  });
  expect(final.state).toBe('accepted');
  expect(final.invitees[0]).toMatchObject({ status: 'accepted', inviteId: null });
  expect(h.sim.emailCount(OWNER)).toBe(1);
});

test('cancelling the workflow revokes its pending invites', async () => {
  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    await maybeRecordHistory(handle, 'cancelled-while-pending');
  });
  expect(h.sim.invites({ email: OWNER })[0].status).toBe('Deleted');
});

test('invalid events are refused before anything starts; a finished handoff is not restarted', async () => {
  await expect(h.complete(projectEvent(h.siteId, { customerEmails: ['not-an-email'] }))).rejects.toThrow(
    InvalidHandoffRequest,
  );
  await expect(h.complete(projectEvent('not-a-site'))).rejects.toThrow(/siteId must be the Wix site id/);
  await expect(env.client.workflow.getHandle(`handoff-${h.siteId}`).describe()).rejects.toThrow(/not found/i);

  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    const pending = await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
    h.sim.acceptInvite(inviteIdOf(pending, OWNER));
    await handle.result();
  });
  await expect(h.complete(projectEvent(h.siteId))).rejects.toThrow(HandoffAlreadyFinished);
  expect(h.sim.emailCount(OWNER)).toBe(1);
});
