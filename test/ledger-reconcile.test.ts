// The reconcile job fills the ledger from Temporal: a handoff another ledger recorded (as one begun before the
// ledger existed would be), finished or running, lands in this one; a second pass writes nothing.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { openLedger, type Ledger } from '../src/ledger';
import { ensureReconcileSchedule } from '../src/ledger-reconcile-schedule';
import type { customerHandoff } from '../workflows/customer-handoff';
import { RECONCILE_SCHEDULE_ID, reconcileLedger } from '../workflows/reconcile-ledger';
import { createHarness, projectEvent, type Harness } from './support/handoff-harness';
import { startDevServerEnv, workflowBundle } from './support/temporal';

let env: TestWorkflowEnvironment;
let h: Harness;
let empty: Ledger;

beforeAll(async () => {
  env = await startDevServerEnv();
  await workflowBundle();
  h = await createHarness(env);
  empty = await openLedger({ dataDir: 'memory://' });
}, 120_000);
afterAll(async () => {
  await empty?.close();
  await h?.close();
  await env?.teardown();
});

test('a finished and a running handoff missing from the ledger are filled; the second pass writes nothing', async () => {
  const running = h.sim.addSite({ ownerAccountId: h.accountId });
  await h.withWorker(async () => {
    const done = await h.complete(projectEvent(h.siteId, { policy: { acceptancePoll: '1s' } }));
    const pending = await h.waitForStatus(done, (s) => s.state === 'pending', 'the invite');
    h.sim.acceptInvite(pending.invitees[0].inviteId!);
    await done.result();
    const open = await h.complete(projectEvent(running));
    await h.waitForStatus(open, (s) => s.state === 'pending', 'the second invite');
  });
  await h.withWorker(
    async () => {
      const run = (n: number) =>
        env.client.workflow.execute(reconcileLedger, {
          workflowId: `reconcile-test-${n}`,
          taskQueue: h.taskQueue,
          args: [{ closedWithinHours: 1 }],
        });
      const first = await run(1);
      expect(first).toMatchObject({ written: 2 });
      const finished = await env.client.workflow
        .getHandle<typeof customerHandoff>(`handoff-${h.siteId}`)
        .result();
      const filled = await empty.get(`handoff-${h.siteId}`);
      expect(filled).toMatchObject({ state: 'accepted', endedAt: expect.any(String) });
      expect(filled!.audit).toEqual(finished.audit);
      expect(await empty.get(`handoff-${running}`)).toMatchObject({ state: 'pending', endedAt: null });

      const second = await run(2);
      expect(second).toMatchObject({ written: 0, upToDate: 2 });
    },
    { ledger: empty },
  );
  await env.client.workflow.getHandle(`handoff-${running}`).terminate('test over');
});

test('the schedule is created at start, and creating it again updates it', async () => {
  await ensureReconcileSchedule(env.client, { taskQueue: h.taskQueue });
  await ensureReconcileSchedule(env.client, { taskQueue: h.taskQueue, every: '2 hours' });
  const described = await env.client.schedule.getHandle(RECONCILE_SCHEDULE_ID).describe();
  expect(described.spec.intervals?.[0].every).toBe(2 * 3_600_000);
  expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconcileLedger' });
});
