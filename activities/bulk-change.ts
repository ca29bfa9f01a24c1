// Activities of the bulk change: list the running handoffs a page at a time, and apply one change to one handoff.
import type { Client } from '@temporalio/client';
import {
  HandoffNotFound,
  HandoffRequestRefused,
  InvalidHandoffRequest,
  changeHandoff,
} from '../src/handoff-client';
import { WORKFLOW_TYPE } from '../workflows/customer-handoff';
import type { ChangeRequest } from '../workflows/handoff-types';

export interface HandoffPage {
  workflowIds: string[];
  /** Base64 of the server's page token; absent on the last page. */
  nextPageToken?: string;
}

export type ChangeOutcome =
  | { outcome: 'changed' }
  | { outcome: 'refused'; reason: string }
  /** Closed between the listing and the change: nothing to do. */
  | { outcome: 'gone' };

export function createBulkChangeActivities({ client, namespace }: { client: Client; namespace: string }) {
  return {
    async listRunningHandoffs(input: { pageSize: number; pageToken?: string }): Promise<HandoffPage> {
      const page = await client.workflowService.listWorkflowExecutions({
        namespace,
        pageSize: input.pageSize,
        query: `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`,
        ...(input.pageToken ? { nextPageToken: Buffer.from(input.pageToken, 'base64') } : {}),
      });
      const token = page.nextPageToken?.length
        ? Buffer.from(page.nextPageToken).toString('base64')
        : undefined;
      return {
        workflowIds: (page.executions ?? []).map((e) => e.execution!.workflowId!),
        ...(token ? { nextPageToken: token } : {}),
      };
    },

    /** One update per handoff, keyed by the batch: a retried activity is the same change, taken once. */
    async applyChangeToHandoff(input: {
      workflowId: string;
      request: ChangeRequest;
      updateId: string;
    }): Promise<ChangeOutcome> {
      try {
        await changeHandoff(client, input.workflowId, input.request, { updateId: input.updateId });
        return { outcome: 'changed' };
      } catch (err) {
        if (err instanceof HandoffRequestRefused) {
          return /already ended/.test(err.reason)
            ? { outcome: 'gone' }
            : { outcome: 'refused', reason: err.reason };
        }
        if (err instanceof InvalidHandoffRequest)
          return { outcome: 'refused', reason: err.problems.join('; ') };
        if (err instanceof HandoffNotFound) return { outcome: 'gone' };
        throw err;
      }
    },
  };
}

export type BulkChangeActivities = ReturnType<typeof createBulkChangeActivities>;
