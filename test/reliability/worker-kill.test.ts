// Workers as child processes (the real `src/worker.ts`), SIGKILLed on the dev server at chosen points:
// during revoke (after Wix revoked the first invite, before the answer came back) and between reminders.
import type { ChildProcess } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { revokeSignal } from '../../workflows/customer-handoff';
import { startDevServerEnv, workflowBundle } from '../support/temporal';
import { startWorkerProcess, until } from '../support/worker-process';
import { createHarness, projectEvent, type Harness } from '../support/handoff-harness';

const OWNER = 'owner@customer.example';
const PARTNER = 'partner@customer.example';
let env: TestWorkflowEnvironment;
let h: Harness;
let child: ChildProcess | undefined;

beforeAll(async () => {
  env = await startDevServerEnv();
  await workflowBundle();
}, 120_000);
afterAll(() => env?.teardown());
beforeEach(async () => {
  h = await createHarness(env);
});
afterEach(async () => {
  child?.kill('SIGKILL');
  await h?.close();
});

const statuses = () => h.sim.invites({ siteId: h.siteId }).map((i) => i.status);

test('killed during revoke: another worker finishes it, every invite is revoked, no email is sent again', async () => {
  child = startWorkerProcess(env.address, h).process;
  const handle = await h.complete(projectEvent(h.siteId, { customerEmails: [OWNER, PARTNER] }));
  await until(() => statuses().length === 2, 'the two invites');
  h.sim.injectFault({ count: 1, route: 'revoke', hang: 'after-processing' });
  await handle.signal(revokeSignal, { reason: 'contract cancelled', actor: 'staff:ana' });
  await until(() => statuses().includes('Deleted'), 'the first revoke to reach Wix');
  child.kill('SIGKILL');

  // The lost revoke attempt times out (1 minute) and is retried by the new worker: revoke is safe to repeat.
  const final = await h.withWorker(() => handle.result());
  expect(final.state).toBe('revoked');
  expect(final.invitees.map((i) => i.status)).toEqual(['revoked', 'revoked']);
  expect(statuses()).toEqual(['Deleted', 'Deleted']);
  expect(h.sim.contributors(h.siteId)).toEqual([]);
  expect([h.sim.emailCount(OWNER), h.sim.emailCount(PARTNER)]).toEqual([1, 1]);
}, 240_000);

test('killed between reminders: the next worker sends the next reminder once', async () => {
  child = startWorkerProcess(env.address, h).process;
  const handle = await h.complete(
    projectEvent(h.siteId, { policy: { reminders: ['4s', '12s'], acceptancePoll: '1h' } }),
  );
  await until(() => h.sim.emailCount(OWNER) === 2, 'the first reminder');
  child.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 3000));
  await h.withWorker(async () => {
    await until(() => h.sim.emailCount(OWNER) === 3, 'the second reminder');
    const status = await h.waitForStatus(handle, (s) => s.remindersSent === 2, 'two reminders in the status');
    expect(status.invitees[0]).toMatchObject({ status: 'pending', remindersSent: 2 });
    await new Promise((r) => setTimeout(r, 3000));
  });
  expect(h.sim.outbox().map((m) => m.kind)).toEqual(['invite', 'resend', 'resend']);
}, 240_000);
