// A worker process killed with SIGKILL while Bulk Invite is in flight, after Wix has already sent the email.
// Wix offers no idempotency key and no way to list invites, so exactly-once cannot be proven here: the
// handoff must not send a second invite, and must flag the unknown invite for staff instead.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { TEST_ENCRYPTION_KEYS_ENV, startTimeSkippingEnv, workflowBundle } from './support/temporal';
import { createHarness, projectEvent, type Harness } from './support/handoff-harness';

const OWNER = 'owner@customer.example';
let env: TestWorkflowEnvironment;
let h: Harness;
let child: ChildProcess | undefined;

beforeAll(async () => {
  env = await startTimeSkippingEnv();
  await workflowBundle();
});
afterAll(() => env?.teardown());
beforeEach(async () => {
  h = await createHarness(env);
});
afterEach(async () => {
  child?.kill('SIGKILL');
  await h?.close();
});

async function until(check: () => boolean, what: string, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The real worker entry point (`npm run worker`), configured only through its environment. */
function startWorkerProcess(): { process: ChildProcess; output: () => string } {
  let output = '';
  const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/worker.ts'], {
    cwd: path.resolve(__dirname, '..'),
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
      HANDOFF_TASK_QUEUE: h.taskQueue,
      WIX_API_BASE_URL: h.sim.url,
      WIX_API_KEY: h.apiKey,
      WIX_ACCOUNT_ID: h.accountId,
      WIX_TIMEOUT_MS: '600000',
      HANDOFF_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS_ENV,
      // No sticky cache: the time-skipping server would keep routing tasks to the killed worker.
      HANDOFF_MAX_CACHED_WORKFLOWS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return { process: proc, output: () => output };
}

test('worker killed after Wix sent the invite: no second email, the invite is flagged for staff', async () => {
  h.sim.injectFault({ count: 1, route: 'bulk', hang: 'after-processing' });
  const worker = startWorkerProcess();
  child = worker.process;
  const handle = await h.complete(projectEvent(h.siteId));
  await until(() => h.sim.emailCount(OWNER) === 1, `the invite email (worker output: ${worker.output()})`);
  child.kill('SIGKILL');

  await h.withWorker(async () => {
    // The lost attempt is noticed when its start-to-close timeout (1 minute) passes.
    await env.sleep('2 minutes');
    const status = await h.waitForStatus(handle, (s) => s.state === 'failed', 'the unconfirmed invite');
    expect(status.invitees[0]).toMatchObject({
      email: OWNER,
      status: 'unconfirmed',
      inviteId: null,
      problem: expect.stringMatching(/may have sent the invite/),
    });
    await env.sleep('3 days');
  });
  expect(h.sim.emailCount(OWNER)).toBe(1);
  expect(h.sim.calls().filter((c) => c.path.endsWith('/bulk'))).toHaveLength(1);
  expect(h.sim.invites({ email: OWNER })).toHaveLength(1);
});
