// Changing a running handoff (issue 13) on the time-skipping server, judged on the Wix side: the simulator's
// invites and the emails each address got.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import {
  HandoffAlreadyFinished,
  HandoffRequestRefused,
  InvalidHandoffRequest,
  changeHandoff,
  completeProject,
  resendHandoff,
  restartHandoff,
} from '../src/handoff-client';
import { revokeSignal, type customerHandoff } from '../workflows/customer-handoff';
import type { HandoffChange, HandoffStatus, SendWindow } from '../workflows/handoff-types';
import { startTimeSkippingEnv, workflowBundle } from './support/temporal';
import { ADMIN_ROLE, createHarness, projectEvent, type Harness } from './support/handoff-harness';
import { maybeRecordHistory } from './support/histories';

const OWNER = 'owner@customer.example';
const TYPO = 'owner@cusotmer.example';
const PARTNER = 'partner@customer.example';
const STAFF = 'staff:ana';

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

const change = (handle: WorkflowHandle, what: HandoffChange, updateId?: string): Promise<HandoffStatus> =>
  changeHandoff(
    env.client,
    handle.workflowId,
    { ...what, actor: STAFF },
    {
      ...(updateId ? { updateId } : {}),
    },
  );
/**
 * Waits for the run to close in that state. Not `result()`: while a result is awaited the time-skipping server
 * skips to the next timer anywhere, and with nothing due it jumped years ahead, which later stalled env.sleep.
 */
async function ended(handle: WorkflowHandle, state: string): Promise<HandoffStatus> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') {
      const final = await h.status(handle);
      expect(final.state).toBe(state);
      return final;
    }
    if (Date.now() > deadline)
      throw new Error(`still running, not ${state}: ${JSON.stringify(await h.status(handle))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const inviteStatuses = (email: string) => h.sim.invites({ siteId: h.siteId, email }).map((i) => i.status);
const refusalOf = async (p: Promise<unknown>): Promise<string> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HandoffRequestRefused);
  return (err as HandoffRequestRefused).reason;
};

async function pendingHandoff(
  overrides: Record<string, unknown> = {},
): Promise<{ handle: WorkflowHandle<typeof customerHandoff>; status: HandoffStatus }> {
  const handle = await h.complete(projectEvent(h.siteId, overrides));
  const status = await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
  return { handle, status };
}

test('replace a mistyped address: the new one is invited first, then the old invite is revoked; both are kept', async () => {
  await h.withWorker(async () => {
    const { handle } = await pendingHandoff({ customerEmails: [TYPO] });
    const after = await change(handle, {
      kind: 'replaceInvitee',
      email: TYPO,
      newEmail: OWNER,
      reason: 'typo',
    });
    expect(after.state).toBe('pending');
    expect(after.invitees).toEqual([
      expect.objectContaining({ email: TYPO, status: 'removed', replacedBy: OWNER }),
      expect.objectContaining({ email: OWNER, status: 'pending', replaces: TYPO }),
    ]);
    expect(after.invitees.every((i) => i.inviteId)).toBe(true);
    expect(inviteStatuses(TYPO)).toEqual(['Deleted']);
    expect(inviteStatuses(OWNER)).toEqual(['Pending']);
    expect(h.sim.emailCount(TYPO)).toBe(1);
    expect(h.sim.emailCount(OWNER)).toBe(1);
    expect(after.audit.find((a) => a.event === 'invitee replaced')).toMatchObject({
      actor: STAFF,
      detail: `${TYPO} → ${OWNER}: typo`,
    });
    // Reminders now go to the new address only.
    await env.sleep('2 days');
    await h.waitForStatus(handle, (s) => s.remindersSent === 1, 'the first reminder');
    expect(h.sim.emailCount(OWNER)).toBe(2);
    expect(h.sim.emailCount(TYPO)).toBe(1);
    h.sim.acceptInvite(after.invitees[1].inviteId!);
    await change(handle, { kind: 'checkAcceptance' });
    expect((await ended(handle, 'accepted')).state).toBe('accepted');
    await maybeRecordHistory(handle, 'invitee-replaced');
  });
});

test('a replacement Wix refuses leaves the old invite working, and says why', async () => {
  await h.withWorker(async () => {
    h.sim.addContributor(h.siteId, { policyIds: ['x'], email: PARTNER });
    const { handle } = await pendingHandoff();
    const reason = await refusalOf(
      change(handle, { kind: 'replaceInvitee', email: OWNER, newEmail: PARTNER }),
    );
    expect(reason).toContain(`Wix did not invite ${PARTNER}`);
    expect(reason).toContain(`the invite for ${OWNER} stays`);
    const status = await h.status(handle);
    expect(status.invitees.find((i) => i.email === OWNER)).toMatchObject({ status: 'pending' });
    expect(inviteStatuses(OWNER)).toEqual(['Pending']);
    // The old address can still be replaced by a good one.
    const fixed = await change(handle, {
      kind: 'replaceInvitee',
      email: OWNER,
      newEmail: 'owner2@customer.example',
    });
    expect(fixed.invitees.find((i) => i.email === 'owner2@customer.example')).toMatchObject({
      status: 'pending',
    });
    expect(inviteStatuses(OWNER)).toEqual(['Deleted']);
  });
});

test('add an invitee (once, even when the call is retried) and remove one; removing the last one is refused', async () => {
  await h.withWorker(async () => {
    const { handle } = await pendingHandoff();
    const added = await change(handle, { kind: 'addInvitee', email: PARTNER }, 'add-partner-1');
    // A client retry with the same key is the same update: no second invite.
    const again = await change(handle, { kind: 'addInvitee', email: PARTNER }, 'add-partner-1');
    expect(again.invitees).toHaveLength(2);
    expect(added.invitees.find((i) => i.email === PARTNER)).toMatchObject({ status: 'pending' });
    expect(h.sim.emailCount(PARTNER)).toBe(1);
    expect(await refusalOf(change(handle, { kind: 'addInvitee', email: PARTNER }))).toMatch(
      /already invited by this handoff/,
    );

    const removed = await change(handle, { kind: 'removeInvitee', email: OWNER });
    expect(removed.invitees.find((i) => i.email === OWNER)).toMatchObject({ status: 'removed' });
    expect(inviteStatuses(OWNER)).toEqual(['Deleted']);
    expect(await refusalOf(change(handle, { kind: 'removeInvitee', email: PARTNER }))).toMatch(
      /last invitee.*revoke it instead/,
    );
    await maybeRecordHistory(handle, 'invitee-added-and-removed');
  });
});

test('paused reminders: none while paused, the expiry still shown; a resume sends one catch-up, not several', async () => {
  await h.withWorker(async () => {
    const { handle } = await pendingHandoff();
    const paused = await change(handle, { kind: 'pause', reason: 'customer on holiday' });
    expect(paused.paused).toMatchObject({ actor: STAFF, reason: 'customer on holiday' });
    expect(paused.nextReminderAt).toBeNull();
    expect(paused.invitees[0].expiresAt).not.toBeNull();
    expect(await refusalOf(change(handle, { kind: 'pause' }))).toBe('reminders are already paused');

    // Past the 2-, 5- and 10-day reminders: nothing is sent.
    await env.sleep('11 days');
    await h.waitForStatus(handle, (s) => s.paused !== null, 'still paused');
    expect(h.sim.emailCount(OWNER)).toBe(1);

    const resumed = await change(handle, { kind: 'resume' });
    expect(resumed.paused).toBeNull();
    await h.waitForStatus(handle, (s) => s.remindersSent === 1, 'the catch-up reminder');
    await env.sleep('1 day');
    await h.status(handle);
    expect(h.sim.emailCount(OWNER)).toBe(2);
    // The next is the 20-day reminder, on its original schedule.
    const next = Date.parse((await h.status(handle)).nextReminderAt!);
    const invited = Date.parse(h.sim.invites({ siteId: h.siteId, email: OWNER })[0].dateCreated!);
    expect(Math.round((next - invited) / 86_400_000)).toBe(20);
    await maybeRecordHistory(handle, 'paused-then-resumed');
  });
});

test('an invite lapses while reminders are paused: no renewal, the handoff expires', async () => {
  await h.withWorker(async () => {
    const { handle } = await pendingHandoff();
    await change(handle, { kind: 'pause' });
    await env.sleep('31 days');
    const final = await ended(handle, 'expired');
    expect(final.state).toBe('expired');
    expect(h.sim.emailCount(OWNER)).toBe(1);
  });
});

test('a new cadence for one handoff, and a check now instead of waiting for the next poll', async () => {
  await h.withWorker(async () => {
    const { handle, status } = await pendingHandoff();
    const changed = await change(handle, {
      kind: 'changePolicy',
      policy: { reminders: ['1 day', '3 days'], maxRenewals: 0 },
    });
    expect(changed.policy).toMatchObject({ reminderOffsetsMs: [86_400_000, 3 * 86_400_000], maxRenewals: 0 });
    await env.sleep('25 hours');
    await h.waitForStatus(handle, (s) => s.remindersSent === 1, 'the 1-day reminder');

    // The customer accepted; the next poll is hours away, but staff ask now.
    h.sim.acceptInvite(status.invitees[0].inviteId!);
    await change(handle, { kind: 'checkAcceptance' });
    const final = await ended(handle, 'accepted');
    expect(final.state).toBe('accepted');
    // After the end every change is refused with the machine's reason.
    expect(await refusalOf(change(handle, { kind: 'pause' }))).toBe(
      'the handoff has already ended as accepted',
    );
  });
});

test('bad changes name the field and send nothing to the workflow', async () => {
  await h.withWorker(async () => {
    const { handle } = await pendingHandoff({ role: ADMIN_ROLE });
    const invalid = await change(handle, {
      kind: 'replaceInvitee',
      email: OWNER,
      newEmail: 'not-an-email',
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(invalid).toBeInstanceOf(InvalidHandoffRequest);
    expect((invalid as InvalidHandoffRequest).problems).toEqual(['newEmail: must be a valid email address']);
    const policy = await change(handle, { kind: 'changePolicy', policy: { reminders: ['soon'] } }).then(
      () => undefined,
      (e: unknown) => e as InvalidHandoffRequest,
    );
    expect(policy?.problems.join()).toMatch(/policy\.reminders\[0\]/);
    const history = await handle.fetchHistory();
    expect(history.events?.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);
  });
});

test('start again after a revoke: a new run linked to the previous one, the ledger keeping both; a repeated event stays refused', async () => {
  await h.withWorker(async () => {
    const { handle } = await pendingHandoff();
    const restart = () =>
      restartHandoff(
        env.client,
        h.ledger,
        handle.workflowId,
        { reason: 'customer is back', actor: STAFF },
        {
          taskQueue: h.taskQueue,
        },
      );
    expect(await refusalOf(restart())).toMatch(/still running/);
    await handle.signal(revokeSignal, { reason: 'contract paused', actor: STAFF });
    const revoked = await ended(handle, 'revoked');
    expect(revoked.state).toBe('revoked');
    const firstRun = (await handle.describe()).runId;
    // The project tool's late duplicate does not start it again.
    await expect(
      completeProject(env.client, projectEvent(h.siteId), { taskQueue: h.taskQueue }),
    ).rejects.toBeInstanceOf(HandoffAlreadyFinished);

    const started = await restart();
    expect(started.runId).not.toBe(firstRun);
    const again = env.client.workflow.getHandle<typeof customerHandoff>(handle.workflowId);
    const pending = await h.waitForStatus(again, (s) => s.state === 'pending', 'the new invite');
    expect(pending.restartOf).toEqual({
      runId: firstRun,
      state: 'revoked',
      reason: 'customer is back',
      actor: STAFF,
    });
    expect(pending.audit[0]).toMatchObject({ event: 'restarted', actor: STAFF });
    expect(
      h.sim
        .invites({ siteId: h.siteId, email: OWNER })
        .map((i) => i.status)
        .sort(),
    ).toEqual(['Deleted', 'Pending']);
    expect(h.sim.emailCount(OWNER)).toBe(2);
    // A repeated event now re-signals the running run: still one new invite.
    await completeProject(env.client, projectEvent(h.siteId), { taskQueue: h.taskQueue });
    await h.waitForStatus(
      again,
      (s) => s.audit.some((a) => a.event.startsWith('projectCompleted repeated')),
      'the repeat',
    );
    expect(h.sim.emailCount(OWNER)).toBe(2);

    h.sim.acceptInvite(pending.invitees[0].inviteId!);
    await change(again, { kind: 'checkAcceptance' });
    expect((await ended(again, 'accepted')).state).toBe('accepted');
    const record = await h.ledger.get(handle.workflowId);
    expect(record).toMatchObject({ state: 'accepted', runId: started.runId });
    const events = record!.audit.map((a) => a.event);
    expect(events).toContain('revoke requested');
    expect(events.indexOf('restarted')).toBeGreaterThan(events.indexOf('state: revoked'));
    expect(await refusalOf(restart())).toMatch(/ended as accepted/);
    await maybeRecordHistory(again, 'restarted-after-revoke');
  });
});

test('a send window given mid-flight: the reminder waits for the customer’s hours in their zone', async () => {
  await h.withWorker(async () => {
    const { handle } = await pendingHandoff({ policy: { reminders: ['1 day', '2 days'] } });
    const window: SendWindow = {
      timeZone: 'Pacific/Auckland',
      from: '09:00',
      to: '10:00',
      days: ['tue', 'wed', 'thu'],
    };
    const changed = await change(handle, { kind: 'changePolicy', policy: { sendWindow: window } });
    const next = new Date(changed.nextReminderAt!);
    const local = (d: Date) =>
      new Intl.DateTimeFormat('en-US', {
        timeZone: 'Pacific/Auckland',
        weekday: 'short',
        hour: 'numeric',
        hourCycle: 'h23',
      }).format(d);
    expect(local(next)).toMatch(/^(Tue|Wed|Thu),? 09$/);
    await env.sleep('8 days');
    await h.waitForStatus(handle, (s) => s.remindersSent === 2, 'both reminders');
    const reminders = h.sim.outbox().filter((m) => m.kind === 'resend');
    expect(reminders).toHaveLength(2);
    for (const m of reminders) expect(local(new Date(m.at))).toMatch(/^(Tue|Wed|Thu),? 09$/);
    await maybeRecordHistory(handle, 'send-window-mid-flight');
  });
});

test('replace while a resend is in flight: the resend finishes first, then the replacement; one email each', async () => {
  await h.withWorker(async () => {
    const { handle } = await pendingHandoff();
    // Wix takes 1.5 s to answer the resend (the harness's client waits 2 s): the replacement arrives meanwhile.
    h.sim.injectFault({ count: 1, route: 'resend', delayMs: 1_500 });
    const resend = resendHandoff(env.client, handle.workflowId, { actor: STAFF });
    await new Promise((r) => setTimeout(r, 500));
    const after = await change(handle, { kind: 'replaceInvitee', email: OWNER, newEmail: PARTNER });
    await resend;
    expect(after.invitees.map((i) => [i.email, i.status])).toEqual([
      [OWNER, 'removed'],
      [PARTNER, 'pending'],
    ]);
    expect(h.sim.emailCount(OWNER)).toBe(2);
    expect(h.sim.emailCount(PARTNER)).toBe(1);
    expect(inviteStatuses(OWNER)).toEqual(['Deleted']);
    expect(inviteStatuses(PARTNER)).toEqual(['Pending']);
    const events = after.audit.map((a) => a.event);
    expect(events.indexOf('reminder sent')).toBeGreaterThan(-1);
    expect(events.indexOf('reminder sent')).toBeLessThan(events.indexOf('invitee replaced'));
  });
});
