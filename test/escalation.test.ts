// Escalation (issue 14) on the time-skipping server: a handoff nobody accepts, one that expires and one changed by
// staff escalate once per cause, shown in the status and delivered as a signed handoff.escalated event.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { InvalidHandoffRequest, changeHandoff } from '../src/handoff-client';
import { Notifier } from '../src/notify';
import type { customerHandoff } from '../workflows/customer-handoff';
import type { HandoffStatus } from '../workflows/handoff-types';
import { startTimeSkippingEnv, workflowBundle } from './support/temporal';
import { createHarness, projectEvent, type Harness } from './support/handoff-harness';
import { maybeRecordHistory } from './support/histories';
import { Receiver } from './notify-receiver';

const SECRET = `whsec_${Buffer.alloc(24, 21).toString('base64')}`;
const MANAGER = 'am@pixel-agency.io';

let env: TestWorkflowEnvironment;
let h: Harness;
let receiver: Receiver;

beforeAll(async () => {
  env = await startTimeSkippingEnv();
  await workflowBundle();
});
afterAll(() => env?.teardown());
beforeEach(async () => {
  h = await createHarness(env);
  receiver = await Receiver.start({ secrets: [SECRET] });
});
afterEach(async () => {
  await receiver.close();
  await h?.close();
});

const notifier = (): Notifier =>
  new Notifier({
    client: env.client,
    taskQueue: h.taskQueue,
    config: {
      endpoints: [{ kind: 'webhook', name: 'default', url: receiver.url, secrets: [SECRET] }],
      consoleUrl: 'http://127.0.0.1:8080',
    },
    db: h.ledger.db,
    retry: {
      initialInterval: '200 ms',
      backoffCoefficient: 2,
      maximumInterval: '1 second',
      giveUpAfter: '1 day',
    },
    timeoutMs: 1_000,
  });

async function pending(policy: Record<string, unknown>): Promise<WorkflowHandle<typeof customerHandoff>> {
  const handle = await h.complete(projectEvent(h.siteId, { policy }));
  await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
  return handle;
}

const causes = (s: HandoffStatus) => (s.escalations ?? []).map((e) => e.cause);
const escalatedEvents = () => receiver.delivered().filter((d) => d.event.type === 'handoff.escalated');

test('nobody accepts for 7 days: escalated once, to the account manager, shown in the status and delivered signed', async () => {
  await h.withWorker(
    async () => {
      const handle = await pending({ escalateTo: MANAGER });
      const before = await h.status(handle);
      expect(before.escalations).toEqual([]);
      const invitedAt = Date.parse(before.audit.find((a) => a.event === 'invite sent')!.at);
      expect(Date.parse(before.escalationDueAt!) - invitedAt).toBe(7 * 86_400_000);

      await env.sleep('6 days');
      expect(causes(await h.status(handle))).toEqual([]);
      await env.sleep('1 day');
      const after = await h.waitForStatus(handle, (s) => causes(s).length > 0, 'the escalation');
      expect(after.escalations).toEqual([{ cause: 'no_acceptance', at: expect.any(String), to: MANAGER }]);
      expect(after.escalationDueAt).toBeNull();
      expect(after.state).toBe('pending');
      expect(after.audit.filter((a) => a.event === 'escalated')).toEqual([
        expect.objectContaining({
          detail: `no_acceptance: nobody accepted within 7 days of the first invite (to ${MANAGER})`,
        }),
      ]);

      await receiver.waitFor(() => escalatedEvents().length === 1, 'handoff.escalated');
      const [escalated] = escalatedEvents();
      expect(escalated.event.data).toMatchObject({
        handoffId: handle.workflowId,
        cause: 'no_acceptance',
        escalateTo: MANAGER,
        state: 'pending',
      });
      expect(receiver.requests.every((r) => r.verified)).toBe(true);

      // A week more of silence is the same cause: no second escalation.
      await env.sleep('8 days');
      expect(causes(await h.status(handle))).toEqual(['no_acceptance']);
      await maybeRecordHistory(handle, 'escalated-no-acceptance');
    },
    { notifier: notifier() },
  );
});

test('an invite that expires escalates as expired; a policy without escalation stays quiet', async () => {
  await h.withWorker(async () => {
    const handle = await pending({
      reminders: ['1 day'],
      maxRenewals: 0,
      escalateAfter: null,
      escalateOn: ['expired'],
    });
    expect((await h.status(handle)).escalationDueAt).toBeNull();
    // Each Resend restarts Wix's 30 days: with one reminder after a day, the invite lapses on day 31.
    await env.sleep('32 days');
    const final = await h.waitForStatus(handle, (s) => s.state === 'expired', 'the expiry');
    expect(causes(final)).toEqual(['expired']);
    expect(final.audit.at(-1)).toMatchObject({ event: 'escalated' });
  });
});

test('staff change escalation mid-flight; a bad escalateTo is refused naming the field', async () => {
  await h.withWorker(async () => {
    const handle = await pending({ escalateAfter: null });
    expect((await h.status(handle)).escalationDueAt).toBeNull();
    const err = await changeHandoff(env.client, handle.workflowId, {
      kind: 'changePolicy',
      policy: { escalateTo: 'not an address' },
      actor: 'staff:ana',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidHandoffRequest);
    expect((err as Error).message).toContain('policy.escalateTo');

    const changed = await changeHandoff(env.client, handle.workflowId, {
      kind: 'changePolicy',
      policy: { escalateAfter: '1 hour', escalateTo: '#accounts' },
      actor: 'staff:ana',
    });
    expect(changed.policy).toMatchObject({ escalateAfterMs: 3_600_000, escalateTo: '#accounts' });
    // Counted from the first invite, which is older than an hour only once time passes.
    await env.sleep('2 hours');
    const after = await h.waitForStatus(handle, (s) => causes(s).length > 0, 'the escalation');
    expect(after.escalations).toEqual([{ cause: 'no_acceptance', at: expect.any(String), to: '#accounts' }]);
  });
});
