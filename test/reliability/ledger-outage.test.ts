// 100 handoffs with the ledger's PostgreSQL down for a minute (figures in docs/reliability.md).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ledgerOutage } from '../support/ledger-outage';
import { startDevServerEnv, workflowBundle } from '../support/temporal';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await startDevServerEnv();
  await workflowBundle();
}, 120_000);
afterAll(() => env?.teardown());

test('100 handoffs, the ledger database down for a minute: handoffs unaffected, every record arrives', async () => {
  const result = await ledgerOutage(env, { handoffs: 100, outageMs: 60_000 });
  console.log(`ledger outage: ${JSON.stringify({ ...result, mismatches: result.mismatches.length })}`);
  expect(result.mismatches).toEqual([]);
  expect(result.pendingWhileDownSeconds).toBeLessThan(60);
}, 600_000);
