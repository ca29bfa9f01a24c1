// Fills the ledger from Temporal before Temporal's retention ends: handoffs begun before the ledger existed, or
// whose writes went missing. Idempotent like every ledger write, so running it twice writes nothing new.
import { Context } from '@temporalio/activity';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Ledger } from '../src/ledger';
import { WORKFLOW_TYPE, statusQuery } from '../workflows/customer-handoff';
import type { HandoffStatus } from '../workflows/handoff-types';

/** The workflow keeps the latest 500 entries; a longer trail cannot be numbered from its status alone. */
const KEPT_AUDIT_ENTRIES = 500;

export interface ReconcileSummary {
  examined: number;
  written: number;
  upToDate: number;
  skipped: number;
  /** Written without audit entries: the status held only the latest 500. */
  trimmed: number;
}

export function createReconcileActivities({
  client,
  ledger,
}: {
  client: Client;
  ledger: Pick<Ledger, 'get' | 'record'>;
}) {
  async function statusOf(info: WorkflowExecutionInfo): Promise<HandoffStatus | undefined> {
    const handle = client.workflow.getHandle(info.workflowId, info.runId);
    try {
      return info.status.name === 'COMPLETED'
        ? ((await handle.result()) as HandoffStatus)
        : await handle.query(statusQuery);
    } catch {
      // Failed at start (no valid project) or unreadable: there is no handoff to record.
      return undefined;
    }
  }

  return {
    async fillLedgerGaps({ closedWithinHours }: { closedWithinHours: number }): Promise<ReconcileSummary> {
      const since = new Date(Date.now() - closedWithinHours * 3_600_000).toISOString();
      const summary: ReconcileSummary = { examined: 0, written: 0, upToDate: 0, skipped: 0, trimmed: 0 };
      const queries = [
        `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`,
        `WorkflowType = '${WORKFLOW_TYPE}' AND CloseTime > '${since}'`,
      ];
      for (const query of queries) {
        for await (const info of client.workflow.list({ query })) {
          summary.examined++;
          Context.current().heartbeat(summary);
          // A continued run's state lives on in the next run.
          if (info.status.name === 'CONTINUED_AS_NEW') {
            summary.skipped++;
            continue;
          }
          const status = await statusOf(info);
          if (!status?.siteId) {
            summary.skipped++;
            continue;
          }
          const recorded = await ledger.get(info.workflowId);
          const closed = info.status.name !== 'RUNNING';
          if (recorded && recorded.audit.length >= status.audit.length && (!closed || recorded.endedAt)) {
            summary.upToDate++;
            continue;
          }
          const trimmed = status.audit.length >= KEPT_AUDIT_ENTRIES;
          const { audit, ...view } = status;
          await ledger.record({
            handoffId: info.workflowId,
            runId: info.runId,
            version: audit.length,
            status: view,
            startedAt: (recorded?.startedAt ? new Date(recorded.startedAt) : info.startTime).toISOString(),
            endedAt: closed ? (info.closeTime ?? new Date()).toISOString() : null,
            audit: trimmed ? [] : audit.map((entry, seq) => ({ seq, ...entry })),
          });
          summary.written++;
          if (trimmed) summary.trimmed++;
        }
      }
      return summary;
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
