// Adaptive acceptance checks (issue 15) on the time-skipping server: a customer who accepts half an hour after the
// invite is seen within minutes, not at the next 6-hour poll; the status says when the next check is and why.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { InvalidHandoffRequest, changeHandoff, completeProject } from '../src/handoff-client';
import { startTimeSkippingEnv, workflowBundle } from './support/temporal';
import { createHarness, projectEvent, type Harness } from './support/handoff-harness';
import { maybeRecordHistory } from './support/histories';

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

const contributorChecks = () => h.sim.calls().filter((c) => c.path.includes('/contributors/query')).length;

test('accepted 30 minutes after the invite: seen at the check 48 minutes after it, not hours later', async () => {
  await h.withWorker(async () => {
    const handle = await h.complete(projectEvent(h.siteId));
    const pending = await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
    const invitedAt = Date.parse(pending.audit.find((a) => a.event === 'invite sent')!.at);
    expect(pending.nextCheckReason).toBe('after an email');
    expect(Date.parse(pending.nextCheckAt!) - invitedAt).toBe(10 * 60_000);

    await env.sleep('30 minutes');
    const seen = await h.waitForStatus(
      handle,
      (s) => Date.parse(s.nextCheckAt!) - invitedAt > 30 * 60_000,
      'two checks',
    );
    expect(seen.state).toBe('pending');
    h.sim.acceptInvite(pending.invitees[0].inviteId!);
    const acceptedAt = await env.currentTimeMs();
    await env.sleep('20 minutes');
    const final = await h.waitForStatus(handle, (s) => s.state === 'accepted', 'the acceptance');
    const detectedAt = Date.parse(final.audit.find((a) => a.event === 'state: accepted')!.at);
    // The schedule's third check (10, 25, 48 minutes), give or take the milliseconds the check itself takes.
    expect(Math.round((detectedAt - invitedAt) / 60_000)).toBe(48);
    expect(detectedAt - acceptedAt).toBeLessThan(20 * 60_000);
    expect(contributorChecks()).toBeLessThanOrEqual(4);
    await maybeRecordHistory(handle, 'accepted-after-adaptive-checks');
  });
});

test('the fixed poll stays available per handoff; a bad schedule is refused naming the field', async () => {
  await h.withWorker(async () => {
    const handle = await h.complete(
      projectEvent(h.siteId, { policy: { checksAfterEmail: [], acceptancePoll: '6h' } }),
    );
    const pending = await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
    const invitedAt = Date.parse(pending.audit.find((a) => a.event === 'invite sent')!.at);
    expect(pending.nextCheckReason).toBe('quiet period');
    expect(Date.parse(pending.nextCheckAt!) - invitedAt).toBe(6 * 3600_000);
    expect(pending.policy).toMatchObject({ checkAfterEmailMs: [], acceptancePollMs: 6 * 3600_000 });

    const bad = await changeHandoff(env.client, handle.workflowId, {
      kind: 'changePolicy',
      policy: { checksAfterEmail: ['1h', '10m'] },
      actor: 'staff:ana',
    }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidHandoffRequest);
    expect((bad as Error).message).toContain('policy.checksAfterEmail: checks must be in increasing order');
    await expect(
      completeProject(env.client, projectEvent(h.siteId, { policy: { checksAfterEmail: 'often' } }), {
        taskQueue: h.taskQueue,
      }),
    ).rejects.toThrow(/policy\.checksAfterEmail: must be a list of durations/);

    const changed = await changeHandoff(env.client, handle.workflowId, {
      kind: 'changePolicy',
      policy: { checksAfterEmail: ['5m', '1h'] },
      actor: 'staff:ana',
    });
    expect(changed.policy?.checkAfterEmailMs).toEqual([5 * 60_000, 3600_000]);
  });
});
