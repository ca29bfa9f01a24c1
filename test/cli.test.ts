// The `site-handoff` command line, run in-process against Temporal's dev server, real workers and the Wix simulator.
import { Readable } from 'node:stream';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { runCli } from '../src/cli/main';
import type { HandoffStatus } from '../workflows/handoff-types';
import { openLedger } from '../src/ledger';
import { startPostgres } from './support/postgres';
import { TEST_ENCRYPTION_KEYS_ENV, startDevServerEnv, workflowBundle } from './support/temporal';
import { ADMIN_ROLE, createHarness, type Harness } from './support/handoff-harness';

const OWNER = 'owner@customer.example';
let env: TestWorkflowEnvironment;
const harnesses: Harness[] = [];
const savedEnv = { ...process.env };
const CLI_ENV = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'HANDOFF_TASK_QUEUE',
  'HANDOFF_ENCRYPTION_KEYS',
  'COLUMNS',
];

beforeAll(async () => {
  [env] = await Promise.all([startDevServerEnv(), workflowBundle()]);
});
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  await env?.teardown();
});
afterEach(() => {
  for (const name of CLI_ENV) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

/** A harness (one Wix site, one task queue) with the CLI pointed at it through the environment. */
async function harness(): Promise<Harness> {
  const h = await createHarness(env);
  harnesses.push(h);
  process.env.TEMPORAL_ADDRESS = env.address;
  process.env.TEMPORAL_NAMESPACE = 'default';
  process.env.HANDOFF_TASK_QUEUE = h.taskQueue;
  // The harness's workers encrypt payloads with the test key: the CLI must share it, as it would the service's.
  process.env.HANDOFF_ENCRYPTION_KEYS = TEST_ENCRYPTION_KEYS_ENV;
  return h;
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return cliWithStdin(undefined, ...args);
}

async function cliWithStdin(
  stdin: string | undefined,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, {
    out: (s) => (out += s),
    err: (s) => (err += s),
    ...(stdin !== undefined ? { stdin: Readable.from([stdin]) } : {}),
  });
  return { code, out, err };
}

const completeArgs = (h: Harness, ...extra: string[]): string[] => [
  'complete',
  '--site',
  h.siteId,
  '--project',
  'PRJ-1042',
  '--email',
  OWNER,
  '--role',
  ADMIN_ROLE,
  '--language',
  'en',
  ...extra,
];

async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls `status --json` until the handoff reaches `state`. */
function untilState(id: string, state: string): Promise<HandoffStatus> {
  return until(async () => {
    const { code, out } = await cli('status', id, '--json');
    const status = code === 0 ? (JSON.parse(out) as HandoffStatus) : undefined;
    return status?.state === state ? status : undefined;
  }, `${id} to be ${state}`);
}

test('complete, status, resend, list and revoke a handoff', async () => {
  const h = await harness();
  const id = `handoff-${h.siteId}`;
  await h.withWorker(async () => {
    const completed = await cli(...completeArgs(h, '--poll', '1h', '--max-renewals', '1'));
    expect(completed).toMatchObject({ code: 0, err: '' });
    expect(completed.out).toContain(id);
    expect(completed.out).toContain(`site-handoff status ${id}`);

    const pending = await untilState(id, 'pending');
    expect(pending.invitees).toEqual([expect.objectContaining({ email: OWNER, status: 'pending' })]);
    expect(h.sim.emailCount(OWNER)).toBe(1);

    // The bare site id works as well as the handoff id.
    const table = await cli('status', h.siteId);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^State\s+pending$/m);
    expect(table.out).toMatch(new RegExp(`^${OWNER.replace('.', '\\.')}\\s+pending\\s+`, 'm'));
    expect(table.out).toMatch(/^TIME\s+EVENT\s+ACTOR\s+DETAIL$/m);
    expect(table.out).toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    expect(table.out).not.toMatch(/\.\d{3}Z/);
    expect(JSON.parse((await cli('status', id, '--json')).out)).toMatchObject({
      state: 'pending',
      siteId: h.siteId,
    });
    // A narrow terminal wraps the long columns instead of overflowing.
    process.env.COLUMNS = '80';
    const narrow = await cli('status', id);
    delete process.env.COLUMNS;
    expect(narrow.out.split('\n').filter((line) => line.length > 80)).toEqual([]);
    expect(narrow.out).toMatch(/^Audit trail$/m);

    const resent = await cli('resend', id, '--actor', 'cli:test');
    expect(resent).toMatchObject({ code: 0, err: '' });
    await until(() => Promise.resolve(h.sim.emailCount(OWNER) === 2 || undefined), 'the resent email');

    // Listed here, while this is the only pending handoff: list queries each one, and other tests stop their workers.
    const listed = await cli('list', '--state', 'pending');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(/^ID\s+STATE\s+SITE\s+PROJECT\s+CUSTOMERS$/m);
    expect(listed.out).toMatch(new RegExp(`^${id}\\s+pending\\s+${h.siteId}\\s+PRJ-1042\\s+${OWNER}`, 'm'));
    const listedJson = await cli('--json', 'list', '--state', 'pending', '--limit', '100');
    expect(JSON.parse(listedJson.out)).toContainEqual(
      expect.objectContaining({ workflowId: id, state: 'pending', customers: [OWNER] }),
    );

    const revoked = await cli('revoke', id, '--reason', 'customer cancelled');
    expect(revoked).toMatchObject({ code: 0, err: '' });
    const final = await untilState(id, 'revoked');
    expect(final.audit).toContainEqual(
      expect.objectContaining({ event: 'revoke requested', detail: 'customer cancelled' }),
    );
    expect(final.audit.find((a) => a.event === 'revoke requested')?.actor).toMatch(/^cli:/);
    expect(h.sim.invites({ email: OWNER })[0].status).toBe('Deleted');
  });
  expect(h.sim.emailCount(OWNER)).toBe(2);
});

test('revoke after the customer accepted is refused with the reason (exit 4)', async () => {
  const h = await harness();
  const id = `handoff-${h.siteId}`;
  await h.withWorker(async () => {
    // A one-second poll notices the acceptance quickly: the dev server does not skip time.
    expect((await cli(...completeArgs(h, '--poll', '1s'))).code).toBe(0);
    const pending = await untilState(id, 'pending');
    h.sim.acceptInvite(pending.invitees[0].inviteId!);
    await until(async () => {
      const described = await env.client.workflow.getHandle(id).describe();
      return described.status.name === 'COMPLETED' ? true : undefined;
    }, 'the handoff to finish');

    const refused = await cli('revoke', id, '--reason', 'too late');
    expect(refused.code).toBe(4);
    expect(refused.out).toBe('');
    expect(refused.err).toMatch(/refused: .*already ended as accepted/);
    expect(refused.err).not.toMatch(/\n\s+at /);
  });
});

test('invalid input exits 2 with every problem, before anything is started', async () => {
  const h = await harness();
  const bad = await cli(
    'complete',
    '--site',
    h.siteId,
    '--project',
    'PRJ-1042',
    '--email',
    'not-an-email',
    '--role',
    ADMIN_ROLE,
    '--reminders',
    '5 days,2 days',
  );
  expect(bad.code).toBe(2);
  expect(bad.out).toBe('');
  expect(bad.err).toContain('customerEmails[0]');
  expect(bad.err).toContain('reminders must be in increasing order');
  expect(bad.err).toContain('Fix the fields above and run the command again');
  await expect(env.client.workflow.getHandle(`handoff-${h.siteId}`).describe()).rejects.toThrow();

  const fromStdin = await cliWithStdin(
    JSON.stringify({ projectId: 'PRJ-1', siteId: h.siteId, customerEmails: [], role: ADMIN_ROLE }),
    'complete',
    '--file',
    '-',
  );
  expect(fromStdin.code).toBe(2);
  expect(fromStdin.err).toMatch(/customerEmails must name at least one customer/);
  expect(fromStdin.err).toContain('Fix the fields above in stdin');

  const notJson = await cliWithStdin('{"projectId":', 'complete', '--file', '-');
  expect(notJson.code).toBe(2);
  expect(notJson.err).toMatch(/stdin is not valid JSON/);

  const missing = await cli('complete', '--site', h.siteId);
  expect(missing.code).toBe(2);
  expect(missing.err).toMatch(/missing --project <projectId>, --email <email\.\.\.>, --role <role>/);

  const mixed = await cli('complete', '--file', 'payload.json', '--role', ADMIN_ROLE);
  expect(mixed.code).toBe(2);

  const badNumber = await cli(...completeArgs(h, '--max-renewals', 'two'));
  expect(badNumber.code).toBe(2);
  expect(badNumber.err).toMatch(/--max-renewals/);

  expect((await cli('list', '--state', 'nonsense')).code).toBe(2);
  expect((await cli('revoke', `handoff-${h.siteId}`)).code).toBe(2);
  expect((await cli('no-such-command')).code).toBe(2);
});

test('complete --file reads the whole event; status of an unknown id exits 3', async () => {
  const h = await harness();
  const event = { projectId: 'PRJ-7', siteId: h.siteId, customerEmails: [OWNER], role: ADMIN_ROLE };
  await h.withWorker(async () => {
    const started = await cliWithStdin(JSON.stringify(event), '--json', 'complete', '--file', '-');
    expect(started.code).toBe(0);
    expect(JSON.parse(started.out)).toMatchObject({ workflowId: `handoff-${h.siteId}`, started: true });

    const again = await cliWithStdin(JSON.stringify(event), 'complete', '--file', '-');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/running handoff/);
    await untilState(h.siteId, 'pending');
    expect(h.sim.emailCount(OWNER)).toBe(1);

    const unknown = await cli('status', 'handoff-00000000-0000-4000-8000-000000000000');
    expect(unknown.code).toBe(3);
    expect(unknown.err).toMatch(/No handoff with id handoff-00000000-0000-4000-8000-000000000000/);
    expect((await cli('resend', '00000000-0000-4000-8000-000000000000')).code).toBe(3);
    expect((await cli('retry', '00000000-0000-4000-8000-000000000000')).code).toBe(3);
  });
});

test('--help for every command exits 0 and names its options', async () => {
  const expected: Record<string, string[]> = {
    complete: [
      '--site',
      '--project',
      '--email',
      '--role',
      '--language',
      '--reminders',
      '--poll',
      '--max-renewals',
      '--file',
    ],
    status: ['<id>', '--json'],
    list: ['--state', '--limit', '--json'],
    revoke: ['<id>', '--reason', '--actor'],
    resend: ['<id>', '--email', '--actor'],
    retry: ['<id>', '--actor'],
    worker: ['--help'],
    start: ['--help'],
  };
  for (const [command, options] of Object.entries(expected)) {
    const help = await cli(command, '--help');
    expect(help.code).toBe(0);
    for (const option of options) expect(help.out).toContain(option);
  }
  const top = await cli('--help');
  expect(top.code).toBe(0);
  for (const command of Object.keys(expected)) expect(top.out).toContain(command);
  expect(top.out).toMatch(/Exit codes:[\s\S]*5 {2}cannot reach Temporal/);
});

test('unreachable Temporal exits 5, says which address was tried and prints no secret', async () => {
  process.env.TEMPORAL_ADDRESS = '127.0.0.1:1';
  process.env.TEMPORAL_API_KEY = 'secret-api-key-never-printed';
  try {
    const result = await cli('status', 'handoff-00000000-0000-4000-8000-000000000000');
    expect(result.code).toBe(5);
    expect(result.err).toContain('127.0.0.1:1 (from TEMPORAL_ADDRESS)');
    expect(result.err).toContain('`npm start` running, or is TEMPORAL_ADDRESS set?');
    expect(result.err).not.toContain('secret-api-key');
    expect(result.err).not.toMatch(/\n\s+at /);
  } finally {
    delete process.env.TEMPORAL_API_KEY;
  }
});

test('a failed handoff shows its problem and recovers with retry', async () => {
  const h = await harness();
  const id = `handoff-${h.siteId}`;
  // Wix answers 500 before acting: the outcome is unknown, so the handoff stops for staff instead of resending.
  h.sim.injectFault({ count: 1, route: 'bulk', status: 500 });
  await h.withWorker(async () => {
    expect((await cli(...completeArgs(h))).code).toBe(0);
    await untilState(id, 'failed');
    const failed = await cli('status', id);
    expect(failed.out).toMatch(/^owner@customer\.example\s+unconfirmed\s/m);
    expect(failed.out).toMatch(/^ {4}problem: .*500/m);
    expect(failed.out).toContain(`site-handoff retry ${id}`);

    const retried = await cli('retry', id, '--actor', 'cli:test');
    expect(retried).toMatchObject({ code: 0, err: '' });
    const pending = await untilState(id, 'pending');
    expect(pending.audit).toContainEqual(expect.objectContaining({ event: 'retry', actor: 'cli:test' }));
  });
  expect(h.sim.emailCount(OWNER)).toBe(1);
});

test('without a worker: complete warns, and queries and updates fail fast with exit 5', async () => {
  const h = await harness();
  const id = `handoff-${h.siteId}`;
  const started = await cli(...completeArgs(h));
  expect(started.code).toBe(0);
  expect(started.err).toContain(`no worker is polling task queue "${h.taskQueue}"`);
  for (const args of [
    ['status', id],
    ['list'],
    ['revoke', id, '--reason', 'no longer needed'],
    ['resend', id],
  ]) {
    const result = await cli(...args);
    expect({ args, code: result.code }).toEqual({ args, code: 5 });
    expect(result.err).toMatch(/Start one \(`site-handoff worker`/);
  }
  expect(h.sim.emailCount(OWNER)).toBe(0);
});

test('with HANDOFF_DATABASE_URL, status and list answer a finished handoff from the ledger, its execution deleted', async () => {
  const h = await harness();
  const pg = await startPostgres();
  const ledger = await openLedger({ databaseUrl: pg.url, poolSize: 2 });
  try {
    const id = `handoff-${h.siteId}`;
    await h.withWorker(
      async () => {
        expect((await cli(...completeArgs(h, '--poll', '1s'))).code).toBe(0);
        const pending = await untilState(id, 'pending');
        h.sim.acceptInvite(pending.invitees[0].inviteId!);
        await env.client.workflow.getHandle(id).result();
      },
      { ledger: ledger },
    );
    const { runId } = await env.client.workflow.getHandle(id).describe();
    await env.client.workflowService.deleteWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: id, runId },
    });
    process.env.HANDOFF_DATABASE_URL = pg.url;
    const status = await cli('status', id, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ state: 'accepted', source: 'ledger' });
    const list = await cli('list', '--state', 'accepted', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toEqual([expect.objectContaining({ workflowId: id, state: 'accepted' })]);
  } finally {
    delete process.env.HANDOFF_DATABASE_URL;
    await ledger.close();
    await pg.stop();
  }
}, 180_000);
