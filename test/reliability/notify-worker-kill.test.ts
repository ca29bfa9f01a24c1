// Notifications across worker crashes, on the dev server with workers as child processes sharing a PostgreSQL
// ledger: SIGKILLed right after an event is recorded (before its delivery is started), and while a delivery hangs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { openLedger, type Ledger } from '../../src/ledger';
import { Notifier } from '../../src/notify';
import { revokeSignal } from '../../workflows/customer-handoff';
import { Receiver, type Answer } from '../notify-receiver';
import { startPostgres, type TestPostgres } from '../support/postgres';
import { TEST_ENCRYPTION_KEYS_ENV, startDevServerEnv, workflowBundle } from '../support/temporal';
import { createHarness, projectEvent, type Harness } from '../support/handoff-harness';
import { until } from '../support/worker-process';

const SECRET = `whsec_${Buffer.alloc(24, 21).toString('base64')}`;

/** A handoff worker with notifications, as `npm start` wires it; `CRASH_AFTER_RECORD` kills it once, mid-write. */
const CHILD = `
const { existsSync, writeFileSync } = require('node:fs');
const { NativeConnection } = require('@temporalio/worker');
const { Client, Connection } = require('@temporalio/client');
const { HandoffWorkers } = require('./src/handoff-worker');
const { openLedger } = require('./src/ledger');
const { Notifier, readNotifyConfig } = require('./src/notify');
const { WixClient } = require('./src/wix/client/wix-client');
const { dataConverterFor } = require('./src/config');
const { parseEncryptionKeys } = require('./src/codec/payload-encryption');
(async () => {
  const env = process.env;
  const dataConverter = dataConverterFor(parseEncryptionKeys(env.HANDOFF_ENCRYPTION_KEYS));
  const ledger = await openLedger({ databaseUrl: env.HANDOFF_DATABASE_URL });
  const client = new Client({ connection: await Connection.connect({ address: env.TEMPORAL_ADDRESS }), dataConverter });
  const problems = [];
  const config = readNotifyConfig(env, problems, { consoleUrl: 'http://127.0.0.1:8080' });
  if (problems.length) throw new Error(problems.join('; '));
  const retry = { initialInterval: '500 ms', backoffCoefficient: 2, maximumInterval: '2 seconds', giveUpAfter: '1 day' };
  const notifier = new Notifier({ client, taskQueue: env.HANDOFF_TASK_QUEUE, config, db: ledger.db, retry, timeoutMs: 2000 });
  const crashFile = env.CRASH_AFTER_RECORD;
  const records = {
    get: (id) => ledger.get(id),
    async record(write) {
      const result = await ledger.record(write);
      if (crashFile && !existsSync(crashFile) && write.audit.some((a) => a.event === 'projectCompleted')) {
        writeFileSync(crashFile, 'crashed');
        process.kill(process.pid, 'SIGKILL');
      }
      return result;
    },
  };
  const workers = await HandoffWorkers.create({
    connection: await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS }),
    taskQueue: env.HANDOFF_TASK_QUEUE,
    wix: new WixClient({ baseUrl: env.WIX_API_BASE_URL, apiKey: env.WIX_API_KEY, accountId: env.WIX_ACCOUNT_ID }),
    ledger: records,
    dataConverter,
    notifier,
    tuning: { maxCachedWorkflows: 0 },
  });
  console.log('worker ready');
  await workers.run();
})().catch((err) => { console.error(err); process.exit(1); });
`;

let env: TestWorkflowEnvironment;
let pg: TestPostgres;
let ledger: Ledger;
let h: Harness;
let receiver: Receiver;
let answer: Answer = 'ok';
const children: ChildProcess[] = [];

beforeAll(async () => {
  [env, pg] = await Promise.all([startDevServerEnv(), startPostgres()]);
  ledger = await openLedger({ databaseUrl: pg.url });
  await workflowBundle();
}, 180_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await receiver?.close();
  await h?.close();
  await ledger?.close();
  await pg?.stop();
  await env?.teardown();
});

function startChild(extra: Record<string, string> = {}): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', CHILD], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: env.address,
      HANDOFF_TASK_QUEUE: h.taskQueue,
      HANDOFF_DATABASE_URL: pg.url,
      HANDOFF_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS_ENV,
      WIX_API_BASE_URL: h.sim.url,
      WIX_API_KEY: h.apiKey,
      WIX_ACCOUNT_ID: h.accountId,
      HANDOFF_NOTIFY_WEBHOOK_URL: receiver.url,
      HANDOFF_NOTIFY_WEBHOOK_SECRET: SECRET,
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  children.push(child);
  return { child, output: () => output };
}

const exited = (child: ChildProcess): Promise<NodeJS.Signals | null> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.signalCode)
    : new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));

const typesAcked = (): string[] =>
  receiver
    .delivered()
    .map((d) => d.event.type)
    .sort();

test('SIGKILL after an event is recorded, and while its delivery hangs: each delivered once a worker is back', async () => {
  h = await createHarness(env);
  receiver = await Receiver.start({ secrets: [SECRET], behaviour: () => answer });
  const crashFile = path.join(mkdtempSync(path.join(tmpdir(), 'notify-crash-')), 'crashed');

  // 1. The worker dies right after the first write is stored, before it starts any delivery.
  const first = startChild({ CRASH_AFTER_RECORD: crashFile });
  await until(() => first.output().includes('worker ready'), 'the first worker', 120_000);
  const handle = await h.complete(projectEvent(h.siteId));
  expect(await exited(first.child)).toBe('SIGKILL');
  const recorded = await ledger.get(handle.workflowId);
  expect(recorded?.audit.map((a) => a.event)).toContain('projectCompleted');
  expect(receiver.requests).toHaveLength(0);

  // The next worker retries the write (stored already: nothing twice) and starts what the crash left out.
  const second = startChild({ CRASH_AFTER_RECORD: crashFile });
  const t1 = Date.now();
  await receiver.waitFor((r) => r.acknowledged.size === 2, 'started and invited after the restart', 120_000);
  const recoveredMs = Date.now() - t1;
  expect(typesAcked()).toEqual(['handoff.invited', 'handoff.started']);

  // 2. The receiver hangs; the worker dies while the revoked event's delivery is in flight.
  answer = 'hang';
  await handle.signal(revokeSignal, { reason: 'contract cancelled', actor: 'staff:ana' });
  await receiver.waitFor(
    (r) => r.requests.some((q) => q.body.includes('handoff.revoked')),
    'the revoked event',
    60_000,
  );
  second.child.kill('SIGKILL');
  await exited(second.child);
  answer = 'ok';
  const t2 = Date.now();
  const third = startChild();
  await receiver.waitFor((r) => r.acknowledged.size === 3, 'revoked, after the restart', 120_000);
  const redeliveredMs = Date.now() - t2;
  expect((await handle.result()).state).toBe('revoked');

  expect(typesAcked()).toEqual(['handoff.invited', 'handoff.revoked', 'handoff.started']);
  expect([...receiver.acknowledged.values()]).toEqual([1, 1, 1]);
  expect(receiver.requests.every((q) => q.verified)).toBe(true);
  const revokedId = receiver.delivered().find((d) => d.event.type === 'handoff.revoked')!.id;
  expect(receiver.requests.filter((q) => q.id === revokedId).map((q) => q.answer)).toEqual(['hang', 'ok']);

  // The log in the shared ledger: the killed attempt never reported; the one after the restart did.
  const notifier = new Notifier({
    client: env.client,
    taskQueue: h.taskQueue,
    config: {
      endpoints: [{ kind: 'webhook', name: 'default', url: receiver.url, secrets: [SECRET] }],
      consoleUrl: '',
    },
    db: ledger.db,
  });
  const deliveries = (await notifier.deliveries(handle.workflowId))!;
  expect(deliveries.map((d) => [d.type, d.delivered])).toEqual([
    ['handoff.started', true],
    ['handoff.invited', true],
    ['handoff.revoked', true],
  ]);
  console.log(
    `notify worker kill: crash after record → delivered ${recoveredMs} ms after the restart; ` +
      `crash mid-delivery → delivered ${redeliveredMs} ms after the restart (the lost attempt times out at 45 s)`,
  );
  third.child.kill('SIGKILL');
}, 300_000);
