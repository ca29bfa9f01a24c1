// One change for every running handoff (e.g. a new cadence for all pending handoffs): a workflow that walks the
// visibility list a page at a time and sends each handoff the same update its own machine decides on. Chosen over
// Temporal batch operations, which only signal, cancel, terminate or reset: a signal cannot be refused visibly,
// and staff need each handoff's answer in the summary. Durable: a crashed worker resumes where it was.
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { BulkChangeActivities } from '../activities/bulk-change';
import type { ChangeRequest } from './handoff-types';

export const BULK_CHANGE_WORKFLOW = 'bulkChangeHandoffs';
export const bulkChangeWorkflowId = (id: string): string => `bulk-change-${id}`;

/** How many handoffs are changed at once: each waits for its own workflow's answer. */
const CONCURRENCY = 20;
const PAGE_SIZE = 200;
/** The summary lists this many refusals in full; the count covers them all. */
const REFUSALS_KEPT = 100;

export interface BulkChangeInput {
  request: ChangeRequest;
  /** Carried across continue-as-new. */
  progress?: BulkChangeProgress;
  pageToken?: string;
}

export interface BulkChangeProgress {
  done: boolean;
  /** Handoffs looked at so far. */
  seen: number;
  changed: number;
  refused: number;
  /** Ended between the listing and the change. */
  gone: number;
  refusals: { handoffId: string; reason: string }[];
}

export const bulkProgressQuery = defineQuery<BulkChangeProgress>('progress');

const { listRunningHandoffs } = proxyActivities<BulkChangeActivities>({ startToCloseTimeout: '1 minute' });
const { applyChangeToHandoff } = proxyActivities<BulkChangeActivities>({
  startToCloseTimeout: '3 minutes',
  retry: { maximumAttempts: 5 },
});

export async function bulkChangeHandoffs(input: BulkChangeInput): Promise<BulkChangeProgress> {
  const progress: BulkChangeProgress = input.progress ?? {
    done: false,
    seen: 0,
    changed: 0,
    refused: 0,
    gone: 0,
    refusals: [],
  };
  setHandler(bulkProgressQuery, () => progress);
  const batch = workflowInfo().workflowId;
  let pageToken = input.pageToken;
  do {
    const page = await listRunningHandoffs({ pageSize: PAGE_SIZE, ...(pageToken ? { pageToken } : {}) });
    for (let i = 0; i < page.workflowIds.length; i += CONCURRENCY) {
      const chunk = page.workflowIds.slice(i, i + CONCURRENCY);
      const outcomes = await Promise.all(
        chunk.map((workflowId) =>
          applyChangeToHandoff({ workflowId, request: input.request, updateId: `${batch}:${workflowId}` }),
        ),
      );
      outcomes.forEach((o, n) => {
        progress.seen++;
        if (o.outcome === 'changed') progress.changed++;
        else if (o.outcome === 'gone') progress.gone++;
        else {
          progress.refused++;
          if (progress.refusals.length < REFUSALS_KEPT)
            progress.refusals.push({ handoffId: chunk[n], reason: o.reason });
        }
      });
    }
    pageToken = page.nextPageToken;
    if (pageToken && workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof bulkChangeHandoffs>({ request: input.request, progress, pageToken });
    }
  } while (pageToken);
  progress.done = true;
  return progress;
}
