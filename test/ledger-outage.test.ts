// The ledger's PostgreSQL is down while handoffs start: every handoff still invites, and every record arrives,
// exactly as Temporal's audit has it, once the database is back. The long version is in test/reliability/.
import type { ChildProcess } from 'node:child_process';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { sql } from 'kysely';
import { openLedger } from '../src/ledger';
import { resendSignal, revokeUpdate } from '../workflows/customer-handoff';
import { createHarness, projectEvent } from './support/handoff-harness';
import { maybeRecordHistory } from './support/histories';
import { ledgerOutage } from './support/ledger-outage';
import { startPostgres } from './support/postgres';
import { startDevServerEnv, workflowBundle } from './support/temporal';
import { startWorkerProcess, until } from './support/worker-process';

const OWNER = 'owner@customer.example';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startDevServerEnv();
  await workflowBundle();
}, 120_000);
afterAll(() => env?.teardown());

test('10 handoffs with the ledger database down for 10 s: all invited meanwhile, all recorded after', async () => {
  const result = await ledgerOutage(env, { handoffs: 10, outageMs: 10_000 });
  expect(result.mismatches).toEqual([]);
  // Invited while the database was down: the ledger never holds a handoff up.
  expect(result.pendingWhileDownSeconds).toBeLessThan(10);
}, 300_000);

test('the ledger database down: a staff resend signal and a revoke update are carried out at once, recorded after', async () => {
  const pg = await startPostgres();
  const ledger = await openLedger({ databaseUrl: pg.url, poolSize: 2 });
  const h = await createHarness(env);
  try {
    await h.withWorker(
      async () => {
        await pg.pause();
        const t0 = Date.now();
        const handle = await h.complete(projectEvent(h.siteId));
        await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
        const pendingMs = Date.now() - t0;
        // Within the outage's first minute, while every ledger write so far is still being retried.
        const t1 = Date.now();
        await handle.signal(resendSignal, { actor: 'staff:ana' });
        await until(() => h.sim.emailCount(OWNER) === 2, 'the resent email', 30_000);
        const resendMs = Date.now() - t1;
        const t2 = Date.now();
        const answer = await handle.executeUpdate(revokeUpdate, {
          args: [{ reason: 'wrong customer', actor: 'staff:bo' }],
        });
        const updateMs = Date.now() - t2;
        await h.waitForStatus(handle, (s) => s.state === 'revoked', 'the revoke');
        const revokedMs = Date.now() - t2;
        console.log(`ledger down: ${JSON.stringify({ pendingMs, resendMs, updateMs, revokedMs })}`);
        expect(['revoking', 'revoked']).toContain(answer.state);
        expect(pendingMs).toBeLessThan(5_000);
        expect(resendMs).toBeLessThan(3_000);
        expect(updateMs).toBeLessThan(3_000);
        expect(revokedMs).toBeLessThan(5_000);
        expect(Date.now() - t0).toBeLessThan(30_000);
        // The run is closing (waiting for the ledger): a repeated project event reaches it and is answered in
        // the audit, not dropped unseen; nothing is invited again.
        await h.complete(projectEvent(h.siteId));
        // The handoff closes only once the ledger has its end.
        await pg.resume();
        const final = await handle.result();
        expect(final.audit.at(-1)).toMatchObject({ event: 'projectCompleted repeated: nothing new' });
        expect(h.sim.emailCount(OWNER)).toBe(2);
        const record = await ledger.get(handle.workflowId);
        expect(record?.state).toBe('revoked');
        expect(record?.audit.map((a) => a.event)).toEqual(final.audit.map((a) => a.event));
        // A failed local write, then the regular activity that waited the outage out: replayed by replay.test.ts.
        await maybeRecordHistory(handle, 'revoked-during-ledger-outage');
        await maybeRecordHistory(handle, 'late-project-event-while-closing');
      },
      { ledger: ledger },
    );
  } finally {
    await h.close();
    await ledger.close();
    await pg.stop();
  }
}, 300_000);

test('a worker SIGKILLed after Bulk Invite, before its ledger write: the next worker writes the record once', async () => {
  const pg = await startPostgres();
  const ledger = await openLedger({ databaseUrl: pg.url, poolSize: 2 });
  const h = await createHarness(env);
  let child: ChildProcess | undefined;
  try {
    const worker = startWorkerProcess(env.address, h, { HANDOFF_DATABASE_URL: pg.url });
    child = worker.process;
    // The worker migrates the ledger at start; the outage begins once it polls.
    await until(() => worker.output().includes('site-handoff worker:'), 'the worker to start', 90_000);
    await pg.pause();
    const handle = await h.complete(projectEvent(h.siteId));
    // Wix has sent the invite and the workflow has its answer (the worker still answers the query); the record
    // cannot be written while the database is down. Killed before the answer, the test would be another one.
    await until(() => h.sim.emailCount(OWNER) === 1, 'the invite email', 90_000);
    await h.waitForStatus(handle, (st) => st.state === 'pending', 'the invite answered');
    child.kill('SIGKILL');
    await pg.resume();
    await h.withWorker(
      async () => {
        const live = await h.waitForStatus(handle, (s) => s.state === 'pending', 'the pending handoff');
        const deadline = Date.now() + 120_000;
        let record = await ledger.get(handle.workflowId);
        while ((record?.audit.length ?? 0) < live.audit.length && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 500));
          record = await ledger.get(handle.workflowId);
        }
        expect(record?.audit.map((a) => a.event)).toEqual(live.audit.map((a) => a.event));
        const { rows } = await sql<{
          n: string;
        }>`select count(*) as n from handoff_audit where handoff_id = ${handle.workflowId}`.execute(
          ledger.db,
        );
        expect(Number(rows[0].n)).toBe(live.audit.length);
      },
      { ledger: ledger },
    );
    expect(h.sim.emailCount(OWNER)).toBe(1);
  } finally {
    child?.kill('SIGKILL');
    await h.close();
    await ledger.close();
    await pg.stop();
  }
}, 300_000);
