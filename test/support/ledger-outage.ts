// The ledger's PostgreSQL goes away while handoffs run: the handoffs go on, and every record arrives once it is back.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { openLedger } from '../../src/ledger';
import { createHarness, projectEvent } from './handoff-harness';
import { startPostgres } from './postgres';

export interface OutageResult {
  handoffs: number;
  /** Seconds from the start until every handoff was pending, with the database down all along. */
  pendingWhileDownSeconds: number;
  /** Seconds from the database's return until every record had arrived. */
  caughtUpSeconds: number;
  mismatches: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function ledgerOutage(
  env: TestWorkflowEnvironment,
  { handoffs, outageMs }: { handoffs: number; outageMs: number },
): Promise<OutageResult> {
  const pg = await startPostgres();
  const ledger = await openLedger({ databaseUrl: pg.url, poolSize: 4 });
  const h = await createHarness(env);
  try {
    return await h.withWorker(
      async () => {
        await pg.pause();
        const t0 = Date.now();
        const sites = Array.from({ length: handoffs }, () => h.sim.addSite({ ownerAccountId: h.accountId }));
        const handles = await Promise.all(sites.map((siteId) => h.complete(projectEvent(siteId))));
        for (const handle of handles)
          await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
        const pendingWhileDownSeconds = (Date.now() - t0) / 1000;
        await sleep(Math.max(0, outageMs - (Date.now() - t0)));
        await pg.resume();
        const back = Date.now();
        const deadline = back + 180_000;
        let mismatches: string[];
        for (;;) {
          mismatches = [];
          for (const [n, handle] of handles.entries()) {
            const record = await ledger.get(handle.workflowId).catch(() => undefined);
            const live = await h.status(handle);
            const same =
              record?.state === live.state &&
              JSON.stringify(
                record.audit.map(({ at, event, actor, detail }) => ({
                  at,
                  event,
                  actor,
                  ...(detail ? { detail } : {}),
                })),
              ) === JSON.stringify(live.audit);
            if (!same)
              mismatches.push(
                `${sites[n]}: ${record ? `${record.audit.length} entries, ${record.state}` : 'missing'}`,
              );
          }
          if (mismatches.length === 0 || Date.now() > deadline) break;
          await sleep(1000);
        }
        return { handoffs, pendingWhileDownSeconds, caughtUpSeconds: (Date.now() - back) / 1000, mismatches };
      },
      { ledger: ledger },
    );
  } finally {
    await h.close();
    await ledger.close();
    await pg.stop();
  }
}
