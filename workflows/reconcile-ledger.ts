// Run by the Temporal Schedule `handoff-ledger-reconcile`: fills gaps in the ledger from Temporal.
import { proxyActivities } from '@temporalio/workflow';
import type { ReconcileActivities, ReconcileSummary } from '../activities/reconcile';

const { fillLedgerGaps } = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

export const RECONCILE_SCHEDULE_ID = 'handoff-ledger-reconcile';

export async function reconcileLedger(
  input: { closedWithinHours: number } = { closedWithinHours: 48 },
): Promise<ReconcileSummary> {
  return fillLedgerGaps(input);
}
