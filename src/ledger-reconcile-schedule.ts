// The Temporal Schedule that runs the ledger reconcile job, created (or brought up to date) at start.
import type { Duration } from '@temporalio/common';
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { RECONCILE_SCHEDULE_ID, reconcileLedger } from '../workflows/reconcile-ledger';

/** Hourly by default, looking back two days: every closed handoff is seen many times before retention ends. */
export async function ensureReconcileSchedule(
  client: Client,
  {
    taskQueue,
    every = '1 hour',
    closedWithinHours = 48,
  }: { taskQueue: string; every?: Duration; closedWithinHours?: number },
): Promise<void> {
  const spec = { intervals: [{ every }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: reconcileLedger,
    taskQueue,
    args: [{ closedWithinHours }] as [{ closedWithinHours: number }],
  };
  try {
    await client.schedule.create({
      scheduleId: RECONCILE_SCHEDULE_ID,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule
      .getHandle(RECONCILE_SCHEDULE_ID)
      .update((previous) => ({ ...previous, spec, action }));
  }
}
