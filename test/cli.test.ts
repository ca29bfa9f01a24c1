// The `site-handoff` command line, run in-process against Temporal's dev server, real workers and the Wix simulator.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parse } from 'csv-parse/sync';
import { buildApi } from '../src/api/server';
import { runCli } from '../src/cli/main';
import { renderStatus } from '../src/cli/format';
import { parseSendWindow } from '../src/cli/send-window';
import { readHandoff } from '../src/handoff-client';
import type { HandoffStatus, SendWindow } from '../workflows/handoff-types';
import { openLedger, type Ledger } from '../src/ledger';
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
  'HANDOFF_DATABASE_URL',
  'HANDOFF_API_URL',
  'HANDOFF_API_PORT',
  'HANDOFF_API_TOKEN',
  'HANDOFF_CLI_TOKEN',
];

beforeAll(async () => {
  [env] = await Promise.all([startDevServerEnv(), workflowBundle()]);
});
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
  await env?.teardown();
});
beforeEach(() => {
  // Nothing listens on port 1: the CLI finds no `npm start` API (another one on this machine must not answer).
  process.env.HANDOFF_API_PORT = '1';
  for (const name of ['HANDOFF_DATABASE_URL', 'HANDOFF_API_URL', 'HANDOFF_API_TOKEN', 'HANDOFF_CLI_TOKEN'])
    delete process.env[name];
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

test('invitee replace, pause and resume, policy and check change a running handoff; refusals give the reason', async () => {
  const h = await harness();
  const id = `handoff-${h.siteId}`;
  const TYPO = 'owner@cusotmer.example';
  const inviteStatuses = (email: string) => h.sim.invites({ siteId: h.siteId, email }).map((i) => i.status);
  await h.withWorker(async () => {
    const started = await cli(
      ...['complete', '--site', h.siteId, '--project', 'PRJ-1042', '--email', TYPO, '--role', ADMIN_ROLE],
    );
    expect(started.code).toBe(0);
    await untilState(id, 'pending');

    // Invalid input names the field, as the command line spells it, and sends nothing.
    const bad = await cli('invitee', 'replace', id, TYPO, 'not-an-email');
    expect(bad.code).toBe(2);
    expect(bad.out).toBe('');
    expect(bad.err).toContain('newEmail (<new>): must be a valid email address');
    expect(bad.err).toContain('nothing was sent');
    const badAdd = await cli('invitee', 'add', id, 'nobody');
    expect(badAdd.code).toBe(2);
    expect(badAdd.err).toContain('email (<email>): must be a valid email address');
    const badPolicy = await cli('policy', id, '--reminders', 'soon');
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.err).toMatch(/policy\.reminders\[0\] \(--reminders\): each reminder must be a duration/);
    expect((await cli('policy', id)).err).toContain('policy needs at least one of --reminders');

    const replaced = await cli(
      'invitee',
      'replace',
      h.siteId,
      TYPO,
      OWNER,
      '--reason',
      'typo',
      '--actor',
      'cli:ana',
    );
    expect(replaced).toMatchObject({ code: 0, err: '' });
    expect(replaced.out).toContain(`Replaced ${TYPO} with ${OWNER}`);
    expect(replaced.out).toMatch(/^owner@cusotmer\.example\s+removed\s+/m);
    expect(replaced.out).toMatch(/^ {4}replaced by owner@customer\.example$/m);
    expect(replaced.out).toMatch(/^owner@customer\.example\s+pending\s+/m);
    expect(replaced.out).toMatch(/^ {4}replaces owner@cusotmer\.example$/m);
    // Judged at Wix: the old invite revoked, the new one pending, one email each.
    expect(inviteStatuses(TYPO)).toEqual(['Deleted']);
    expect(inviteStatuses(OWNER)).toEqual(['Pending']);
    expect(h.sim.emailCount(TYPO)).toBe(1);
    expect(h.sim.emailCount(OWNER)).toBe(1);
    const json = JSON.parse((await cli('status', id, '--json')).out) as HandoffStatus;
    expect(json.audit).toContainEqual(
      expect.objectContaining({
        event: 'invitee replaced',
        actor: 'cli:ana',
        detail: `${TYPO} → ${OWNER}: typo`,
      }),
    );

    const last = await cli('invitee', 'remove', id, OWNER);
    expect(last.code).toBe(4);
    expect(last.err).toMatch(/^refused: .*last invitee.*revoke it instead/m);
    expect(last.err).toContain(`site-handoff status ${id}`);

    const paused = await cli('pause', id, '--reason', 'customer on holiday', '--actor', 'cli:ana');
    expect(paused).toMatchObject({ code: 0, err: '' });
    expect(paused.out).toMatch(/^Paused\s+since \d{4}-\d\d-\d\dT\S+Z by cli:ana: customer on holiday$/m);
    expect(paused.out).toMatch(/^Next reminder\s+-$/m);
    const twice = await cli('pause', id);
    expect(twice.code).toBe(4);
    expect(twice.err).toMatch(/^refused: reminders are already paused$/m);
    const resumed = await cli('--json', 'resume', id);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.out)).toMatchObject({ state: 'pending', paused: null });
    expect((await cli('status', id)).out).toMatch(/^Paused\s+no$/m);

    const policy = await cli(
      'policy',
      id,
      '--reminders',
      '1 day, 3 days',
      '--acceptance-poll',
      '2h',
      '--max-renewals',
      '0',
    );
    expect(policy.code).toBe(0);
    expect(policy.out).toMatch(
      /^Policy\s+reminders at 1 day, 3 days; acceptance checked 13 times within 18h of each email, then every 2h; 0 renewals at most$/m,
    );

    // The customer accepted; the next poll is two hours away, but staff check now.
    h.sim.acceptInvite(h.sim.invites({ siteId: h.siteId, email: OWNER })[0].id!);
    const checked = await cli('check', id);
    expect(checked.code).toBe(0);
    expect(checked.out).toContain('Acceptance check requested: the worker asks Wix now');
    await untilState(id, 'accepted');
    const ended = await cli('pause', id);
    expect(ended.code).toBe(4);
    expect(ended.err).toMatch(/refused: the handoff has already ended as accepted/);
  });
  expect(h.sim.emailCount(OWNER)).toBe(1);
});

/** The service's API over the harness's ledger (the one its workers write), open without a token, for the CLI. */
async function apiOver(h: Harness): Promise<{ url: string; close: () => Promise<void> }> {
  const api = buildApi({
    client: env.client,
    ledger: h.ledger,
    namespace: 'default',
    taskQueue: h.taskQueue,
    webhookSecrets: [],
    apiTokens: [],
  });
  await api.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`, close: () => api.close() };
}

test('restart after a revoke starts a new run that invites again, linked to the previous one; refused while running', async () => {
  const h = await harness();
  const id = `handoff-${h.siteId}`;
  const api = await apiOver(h);
  try {
    process.env.HANDOFF_API_URL = api.url;
    await h.withWorker(async () => {
      expect((await cli(...completeArgs(h))).code).toBe(0);
      await untilState(id, 'pending');

      const running = await cli('restart', id, '--reason', 'customer asked again');
      expect(running.code).toBe(4);
      expect(running.out).toBe('');
      expect(running.err).toMatch(/^refused: the handoff is still running: .*revoke it first$/m);

      expect((await cli('revoke', id, '--reason', 'wrong site')).code).toBe(0);
      await untilState(id, 'revoked');
      await until(async () => {
        const described = await env.client.workflow.getHandle(id).describe();
        return described.status.name === 'RUNNING' ? undefined : true;
      }, 'the revoked run to close');
      const { runId: firstRun } = await env.client.workflow.getHandle(id).describe();
      expect(h.sim.invites({ siteId: h.siteId }).map((i) => i.status)).toEqual(['Deleted']);

      // Invalid input names the flag as typed, and starts nothing.
      const bad = await cli('restart', id, '--reason', 'again', '--emails', 'not-an-email');
      expect(bad.code).toBe(2);
      expect(bad.err).toContain('customerEmails[0] (--emails): must be a valid email address');
      expect(bad.err).toContain('nothing was started');
      expect((await cli('restart', id, '--reason', ' ')).err).toContain('reason (--reason): say why');
      expect((await env.client.workflow.getHandle(id).describe()).runId).toBe(firstRun);

      const restarted = await cli(
        'restart',
        h.siteId,
        '--reason',
        'customer asked again',
        '--emails',
        OWNER,
        '--actor',
        'cli:ana',
      );
      expect(restarted).toMatchObject({ code: 0, err: '' });
      const { runId: newRun } = await env.client.workflow.getHandle(id).describe();
      expect(newRun).not.toBe(firstRun);
      expect(restarted.out).toContain(`Restarted ${id} as a new run ${newRun}`);
      expect(restarted.out).toMatch(
        new RegExp(
          `^Previous run\\s+restarted after revoked \\(run ${firstRun}\\): customer asked again$`,
          'm',
        ),
      );

      // Judged at Wix: the old invite stays revoked, a new one is out, one email each.
      await until(
        () => Promise.resolve(h.sim.invites({ siteId: h.siteId }).length === 2 || undefined),
        'the new invite',
      );
      expect(h.sim.invites({ siteId: h.siteId }).map((i) => i.status)).toEqual(['Deleted', 'Pending']);
      expect(h.sim.emailCount(OWNER)).toBe(2);
      const pending = await untilState(id, 'pending');
      expect(pending.restartOf).toEqual({
        runId: firstRun,
        state: 'revoked',
        reason: 'customer asked again',
        actor: 'cli:ana',
      });
      expect((await cli('status', id)).out).toMatch(/^Previous run\s+restarted after revoked \(run /m);
    });

    // Without the ledger the new run could not number its audit on: the CLI says how to reach it.
    delete process.env.HANDOFF_API_URL;
    const noLedger = await cli('restart', id, '--reason', 'again');
    expect(noLedger.code).toBe(5);
    expect(noLedger.err).toContain('restart reads the handoff ledger');
  } finally {
    await api.close();
  }
});

test('policy sets an expiry warning and a send window, shown in the status, the next reminder inside it; a bad zone or format is named', async () => {
  const h = await harness();
  const id = `handoff-${h.siteId}`;
  await h.withWorker(async () => {
    expect((await cli(...completeArgs(h))).code).toBe(0);
    await untilState(id, 'pending');

    const badZone = await cli('policy', id, '--send-window', 'Mars/Olympus 09:00-17:00 mon-fri');
    expect(badZone.code).toBe(2);
    expect(badZone.err).toContain(
      'policy.sendWindow.timeZone (--send-window): must be an IANA time zone such as Europe/Berlin',
    );
    expect(badZone.err).toContain('nothing was sent');
    const badShape = await cli('policy', id, '--send-window', '9 to 5');
    expect(badShape.code).toBe(2);
    expect(badShape.err).toContain('--send-window "9 to 5" is not a send window');
    expect(badShape.err).toContain('"Europe/Berlin 09:00-17:00 mon-fri"');
    const badDay = await cli('policy', id, '--send-window', 'Europe/Berlin 09:00-17:00 mon-fry');
    expect(badDay.code).toBe(2);
    expect(badDay.err).toContain('"fry" in "mon-fry" is not a day');
    const late = await cli('policy', id, '--send-window', 'Europe/Berlin 17:00-09:00');
    expect(late.err).toContain('policy.sendWindow.to (--send-window): must be later than from');
    const none = await cli('policy', id, '--send-window', 'none');
    expect(none.code).toBe(2);
    expect(none.err).toContain('--send-window none is not supported');
    const badWarning = await cli('policy', id, '--expiry-warning', 'soon');
    expect(badWarning.code).toBe(2);
    expect(badWarning.err).toMatch(/policy\.expiryWarning \(--expiry-warning\): /);
    const badTrigger = await cli('policy', id, '--escalate-on', 'expired,sometimes');
    expect(badTrigger.code).toBe(2);
    expect(badTrigger.err).toMatch(/policy\.escalateOn \(--escalate-on\): must be a list of expired, failed/);
    const escalation = await cli('policy', id, '--escalate-after', '2 days', '--escalate-to', '#accounts');
    expect(escalation).toMatchObject({ code: 0, err: '' });
    expect(escalation.out).toMatch(/^Escalates\s+\S+ if nobody accepts$/m);
    const never = await cli('policy', id, '--escalate-after', 'never', '--json');
    expect((JSON.parse(never.out) as HandoffStatus).escalationDueAt).toBeNull();

    const changed = await cli(
      'policy',
      id,
      '--expiry-warning',
      '3 days',
      '--send-window',
      'Europe/Berlin 9:00-17:00 mon-wed,fri',
    );
    expect(changed).toMatchObject({ code: 0, err: '' });
    expect(changed.out).toMatch(/^Policy\s+reminders at 2 days, 5 days, 10 days, 20 days; /m);
    expect(changed.out).toMatch(/^Send window\s+Europe\/Berlin 09:00-17:00 mon-wed,fri$/m);
    expect(changed.out).toMatch(/^Expiry warning\s+3 days before the invite lapses$/m);
    expect((await cli('status', id)).out).toMatch(/^Send window\s+Europe\/Berlin 09:00-17:00 mon-wed,fri$/m);
    const status = JSON.parse((await cli('status', id, '--json')).out) as HandoffStatus;
    expect(status.policy).toMatchObject({
      expiryWarningMs: 3 * 86_400_000,
      sendWindow: {
        timeZone: 'Europe/Berlin',
        from: '09:00',
        to: '17:00',
        days: ['mon', 'tue', 'wed', 'fri'],
      },
    });
    expect(status.audit.at(-1)).toMatchObject({
      event: 'policy changed',
      actor: expect.stringMatching(/^cli:/),
    });
    expect(JSON.parse(status.audit.at(-1)!.detail!)).toEqual({
      expiryWarning: '3 days',
      sendWindow: {
        timeZone: 'Europe/Berlin',
        from: '09:00',
        to: '17:00',
        days: ['mon', 'tue', 'wed', 'fri'],
      },
    });
    // The next reminder falls inside the window, in Berlin.
    const berlin = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Berlin',
      weekday: 'short',
      hour: '2-digit',
      hourCycle: 'h23',
    }).format(new Date(status.nextReminderAt!));
    expect(berlin).toMatch(/^(Mon|Tue|Wed|Fri),? (09|1[0-6])$/);
  });
});

test('the status shows the send window as --send-window takes it, the expiry warning and the previous run', () => {
  const window: SendWindow = {
    timeZone: 'Europe/Berlin',
    from: '09:00',
    to: '17:00',
    days: ['mon', 'tue', 'wed', 'sat'],
  };
  const status: HandoffStatus = {
    state: 'pending',
    siteId: 'site',
    projectId: 'PRJ-1',
    role: ADMIN_ROLE,
    roleId: null,
    invitees: [],
    remindersSent: 0,
    nextReminderAt: null,
    failure: null,
    lastRefusal: null,
    alerts: [],
    restartOf: { runId: 'run-1', state: 'expired', reason: 'customer asked again', actor: 'cli:ana' },
    policy: {
      reminderOffsetsMs: [86_400_000],
      acceptancePollMs: 3_600_000,
      maxRenewals: 1,
      expiryWarningMs: 3 * 86_400_000,
      sendWindow: window,
    },
    audit: [],
  };
  const text = renderStatus('handoff-site', status, Infinity).join('\n');
  expect(text).toMatch(/^Previous run\s+restarted after expired \(run run-1\): customer asked again$/m);
  expect(text).toMatch(/^Expiry warning\s+3 days before the invite lapses$/m);
  expect(text).toMatch(/^Send window\s+Europe\/Berlin 09:00-17:00 mon-wed,sat$/m);
  // What is printed is what the flag takes.
  expect(parseSendWindow('Europe/Berlin 09:00-17:00 mon-wed,sat')).toEqual(window);
  expect(parseSendWindow('UTC 9:00-10:00 fri-mon').days).toEqual(['mon', 'fri', 'sat', 'sun']);
  expect(parseSendWindow('UTC 09:00-10:00').days).toHaveLength(7);
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
    list: ['--state', '--email', '--site', '--project', '--from', '--to', '--limit', '--json'],
    export: ['--format', '--output', '--state', '--email', '--from', 'HANDOFF_CLI_TOKEN'],
    erase: ['<email>', '--confirm', '--actor'],
    revoke: ['<id>', '--reason', '--actor'],
    resend: ['<id>', '--email', '--actor'],
    retry: ['<id>', '--actor'],
    invitee: ['add', 'remove', 'replace'],
    pause: ['<id>', '--reason', '--actor'],
    resume: ['<id>', '--actor'],
    policy: [
      '<id>',
      '--reminders',
      '--acceptance-poll',
      '--max-renewals',
      '--expiry-warning',
      '--send-window',
      'mon-fri',
      '--actor',
    ],
    restart: ['<id>', '--reason', '--emails', '--role', '--actor'],
    check: ['<id>', '--actor'],
    worker: ['--help'],
    start: ['--help'],
  };
  for (const [command, options] of Object.entries(expected)) {
    const help = await cli(command, '--help');
    expect(help.code).toBe(0);
    for (const option of options) expect(help.out).toContain(option);
  }
  for (const [command, options] of Object.entries({
    add: ['<id>', '<email>', '--actor'],
    remove: ['<id>', '<email>', '--actor'],
    replace: ['<id>', '<old>', '<new>', '--reason', '--actor'],
  })) {
    const help = await cli('invitee', command, '--help');
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
    ['pause', id],
    ['invitee', 'add', id, 'partner@customer.example'],
  ]) {
    const result = await cli(...args);
    expect({ args, code: result.code }).toEqual({ args, code: 5 });
    expect(result.err).toMatch(/Start one \(`site-handoff worker`/);
  }
  expect(h.sim.emailCount(OWNER)).toBe(0);
});

/** Runs a handoff to `accepted` (the erasure refused while it runs), then deletes its execution as retention would. */
async function acceptedThenForgotten(h: Harness, ledger: Ledger): Promise<string> {
  const id = `handoff-${h.siteId}`;
  await h.withWorker(
    async () => {
      expect((await cli(...completeArgs(h, '--poll', '1s'))).code).toBe(0);
      const pending = await untilState(id, 'pending');
      // A handoff still inviting the address needs it: the erasure waits for the handoff to end.
      const refused = await cli('erase', OWNER, '--confirm', OWNER);
      expect(refused.code).toBe(4);
      expect(refused.err).toContain(`refused: handoffs for this address are still running: ${id}`);
      expect(refused.err).toContain('Nothing was erased. Revoke them first');
      h.sim.acceptInvite(pending.invitees[0].inviteId!);
      await env.client.workflow.getHandle(id).result();
    },
    { ledger },
  );
  const { runId } = await env.client.workflow.getHandle(id).describe();
  await env.client.workflowService.deleteWorkflowExecution({
    namespace: 'default',
    workflowExecution: { workflowId: id, runId },
  });
  return id;
}

/** Deletion is asynchronous on the dev server (up to tens of seconds): waits until Temporal no longer knows it. */
async function forgottenByTemporal(id: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (
    await env.client.workflow
      .getHandle(id)
      .describe()
      .then(
        () => true,
        () => false,
      )
  ) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for Temporal to delete ${id}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Export to stdout as CSV and to a file as JSON Lines: both hold the handoff as the ledger has it. */
async function expectExported(id: string): Promise<void> {
  const csv = await cli('export', '--state', 'accepted');
  expect(csv).toMatchObject({ code: 0, err: '' });
  const rows = parse<Record<string, string>>(csv.out, { columns: true });
  expect(rows).toContainEqual(
    expect.objectContaining({
      handoff_id: id,
      state: 'accepted',
      invitee_emails: OWNER,
      project_id: 'PRJ-1042',
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'cli-export-'));
  try {
    const file = join(dir, 'handoffs.jsonl');
    const jsonl = await cli('export', '--format', 'jsonl', '--email', OWNER.toUpperCase(), '--output', file);
    expect(jsonl.code).toBe(0);
    expect(jsonl.out).toBe('');
    expect(jsonl.err).toMatch(/^Wrote the JSON Lines export to .*handoffs\.jsonl \(\d+ bytes\)\.$/m);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      expect.objectContaining({ handoffId: id, state: 'accepted', inviteeEmails: [OWNER] }),
    ]);
    // Only the finished file is left behind, no temporary one.
    expect(readdirSync(dir)).toEqual(['handoffs.jsonl']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Mismatched confirmation refused; then erased, and the address is gone from what the CLI shows. */
async function expectErased(id: string): Promise<void> {
  const mismatch = await cli('erase', OWNER, '--confirm', 'someone.else@customer.example');
  expect(mismatch.code).toBe(2);
  expect(mismatch.err).toContain(
    'refused: --confirm does not match the address to erase; nothing was erased',
  );
  expect((await cli('status', id)).out).toContain(OWNER);

  const erased = await cli('erase', OWNER, '--confirm', OWNER.toUpperCase(), '--actor', 'cli:dpo');
  expect(erased).toMatchObject({ code: 0, err: '' });
  expect(erased.out).toMatch(/^Erased the address from 1 handoff, 1 invitee row and \d+ audit entr(y|ies)/m);
  expect(erased.out).toContain('"customer data erased" by cli:dpo');
  expect(erased.out).not.toContain(OWNER);

  const after = await cli('status', id, '--json');
  expect(after.code).toBe(0);
  expect(after.out.toLowerCase()).not.toContain(OWNER);
  const view = JSON.parse(after.out) as HandoffStatus;
  expect(view.state).toBe('accepted');
  expect(view.audit.at(-1)).toMatchObject({ event: 'customer data erased', actor: 'cli:dpo' });
  expect((await cli('export', '--format', 'jsonl')).out.toLowerCase()).not.toContain(OWNER);
  expect(JSON.parse((await cli('list', '--email', OWNER, '--json')).out)).toEqual([]);
}

test('with HANDOFF_DATABASE_URL: status, list, export and erase of a finished handoff from the ledger, its execution deleted', async () => {
  const h = await harness();
  const pg = await startPostgres();
  const ledger = await openLedger({ databaseUrl: pg.url, poolSize: 2 });
  try {
    process.env.HANDOFF_DATABASE_URL = pg.url;
    const id = await acceptedThenForgotten(h, ledger);
    const status = await cli('status', id, '--json');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({ state: 'accepted', source: 'ledger' });
    const list = await cli('list', '--state', 'accepted', '--json');
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toEqual([expect.objectContaining({ workflowId: id, state: 'accepted' })]);
    await expectExported(id);
    await expectErased(id);
    expect(JSON.stringify(await ledger.auditRecord(id)).toLowerCase()).not.toContain(OWNER);
  } finally {
    delete process.env.HANDOFF_DATABASE_URL;
    await ledger.close();
    await pg.stop();
  }
}, 180_000);

test('without the database at hand, status, list, export and erase go through the running API, with the staff token', async () => {
  const h = await harness();
  const token = 'staff-token-5b1f0c9e7d2a';
  // The service's own embedded ledger, holding only this test's handoff.
  const ledger = await openLedger({ dataDir: 'memory://' });
  // The service here takes the token alone; the CLI strips the `alice:` of a named HANDOFF_API_TOKEN entry.
  const api = buildApi({
    client: env.client,
    ledger,
    namespace: 'default',
    taskQueue: h.taskQueue,
    webhookSecrets: [],
    apiTokens: [token],
  });
  await api.listen({ port: 0, host: '127.0.0.1' });
  const port = (api.server.address() as AddressInfo).port;
  const printed: string[] = [];
  const run = async (...args: string[]) => {
    const result = await cli(...args);
    printed.push(result.out, result.err);
    return result;
  };
  try {
    const id = `handoff-${h.siteId}`;
    // Before the handoff exists: `npm start`'s API on this machine, found at its default port.
    process.env.HANDOFF_API_PORT = String(port);
    process.env.HANDOFF_API_TOKEN = `alice:${token},bob:another-token`;
    await acceptedThenForgotten(h, ledger);

    // Temporal forgot it: without the API the CLI can only say so.
    await forgottenByTemporal(id);
    process.env.HANDOFF_API_PORT = '1';
    const forgotten = await run('status', id);
    expect(forgotten.code).toBe(3);
    expect(forgotten.err).toContain(`No handoff with id ${id}`);

    process.env.HANDOFF_API_PORT = String(port);
    const table = await run('status', h.siteId);
    expect(table).toMatchObject({ code: 0, err: '' });
    expect(table.out).toMatch(/^State\s+accepted$/m);
    expect(table.out).toMatch(new RegExp(`^${OWNER.replace('.', '\\.')}\\s+accepted\\s+`, 'm'));
    const json = await run('status', id, '--json');
    expect(json.code).toBe(0);
    // The same answer as from the ledger itself.
    expect(JSON.parse(json.out)).toEqual(
      JSON.parse(JSON.stringify(await readHandoff(env.client, ledger, id))),
    );
    expect(JSON.parse(json.out)).toMatchObject({ state: 'accepted', source: 'ledger' });
    // A finished handoff needs no Temporal connection at all.
    process.env.TEMPORAL_ADDRESS = '127.0.0.1:1';
    expect((await run('status', id)).code).toBe(0);
    process.env.TEMPORAL_ADDRESS = env.address;

    const listed = await run('list', '--state', 'accepted');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`^${id}\\s+accepted\\s+${h.siteId}\\s+PRJ-1042\\s+${OWNER}`, 'm'));
    expect(JSON.parse((await run('list', '--site', h.siteId, '--json')).out)).toEqual([
      {
        workflowId: id,
        state: 'accepted',
        siteId: h.siteId,
        projectId: 'PRJ-1042',
        customers: [OWNER],
        running: false,
      },
    ]);

    // Named explicitly, with the CLI's own token.
    process.env.HANDOFF_API_PORT = '1';
    process.env.HANDOFF_API_URL = `http://127.0.0.1:${port}/`;
    delete process.env.HANDOFF_API_TOKEN;
    process.env.HANDOFF_CLI_TOKEN = token;
    await expectExported(id);

    // The token is required, and a wrong one is named by its variable, never shown.
    delete process.env.HANDOFF_CLI_TOKEN;
    const none = await run('status', id);
    expect(none.code).toBe(5);
    expect(none.err).toContain('needs a staff token, and none is set');
    expect(none.err).toMatch(/Set HANDOFF_CLI_TOKEN .*HANDOFF_API_TOKEN/);
    process.env.HANDOFF_CLI_TOKEN = 'wrong-token-0000';
    for (const args of [['status', id], ['list'], ['export'], ['erase', OWNER, '--confirm', OWNER]]) {
      const wrong = await run(...args);
      expect({ args, code: wrong.code }).toEqual({ args, code: 5 });
      expect(wrong.err).toContain('refused the staff token from HANDOFF_CLI_TOKEN (401)');
      expect(wrong.err).not.toContain('wrong-token-0000');
    }
    process.env.HANDOFF_CLI_TOKEN = `alice:${token}`;
    expect((await run('status', id)).err).toContain('leave out the `name:` prefix');
    process.env.HANDOFF_CLI_TOKEN = token;

    process.env.HANDOFF_API_URL = 'http://127.0.0.1:1';
    const unreachable = await run('export');
    expect(unreachable.code).toBe(5);
    expect(unreachable.err).toContain(
      'Cannot reach the site-handoff API at http://127.0.0.1:1 (from HANDOFF_API_URL)',
    );
    process.env.HANDOFF_API_URL = `http://127.0.0.1:${port}`;

    await expectErased(id);
    const record = await fetch(`http://127.0.0.1:${port}/v1/handoffs/${id}/record`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(record.status).toBe(200);
    expect((await record.text()).toLowerCase()).not.toContain(OWNER);
    expect(printed.join('\n')).not.toContain(token);
  } finally {
    await api.close();
    await ledger.close();
  }
}, 180_000);

test('export and erase say how to reach the ledger when neither the database nor the service is there', async () => {
  for (const args of [['export'], ['erase', OWNER, '--confirm', OWNER]]) {
    const result = await cli(...args);
    expect({ args, code: result.code }).toEqual({ args, code: 5 });
    expect(result.err).toContain('no site-handoff API answers at http://127.0.0.1:1');
    expect(result.err).toMatch(
      /Start the service \(`npm start`\), set HANDOFF_API_URL .* HANDOFF_DATABASE_URL/,
    );
  }
  const filtered = await cli('list', '--email', OWNER);
  expect(filtered.code).toBe(2);
  expect(filtered.err).toContain('search the handoff ledger, which is not reachable');
});
