// Staff's Remove Contributor, outside any handoff. Started on the Wix task queue (`wixTaskQueue`), so its one
// activity runs there under the same server-side rate limit as every Wix call, and the Wix key stays in the workers.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { HandoffActivities } from '../activities';

export const REMOVE_CONTRIBUTOR_WORKFLOW = 'removeContributor';

export interface RemoveContributorInput {
  siteId: string;
  accountId: string;
}

export type RemoveContributorResult =
  { outcome: 'removed'; detail?: string } | { outcome: 'refused'; reason: string; status: number | null };

/** One id per site and account: a second request while one runs joins it instead of calling Wix again. */
export const removeContributorWorkflowId = ({ siteId, accountId }: RemoveContributorInput): string =>
  `remove-contributor-${siteId}-${accountId}`;

export async function removeContributor(input: RemoveContributorInput): Promise<RemoveContributorResult> {
  // Removing twice is harmless (the second finds the account gone), so Temporal may retry all but Wix refusals.
  const wix = proxyActivities<HandoffActivities>({
    startToCloseTimeout: '30 seconds',
    retry: {
      initialInterval: '2 seconds',
      backoffCoefficient: 2,
      maximumInterval: '30 seconds',
      maximumAttempts: 5,
      nonRetryableErrorTypes: ['WixRefused'],
    },
  });
  try {
    const { detail } = await wix.removeContributor(input);
    return detail ? { outcome: 'removed', detail } : { outcome: 'removed' };
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === 'WixRefused') {
      const status = (cause.details?.[0] as { status?: number | null } | undefined)?.status ?? null;
      return { outcome: 'refused', reason: cause.message, status };
    }
    throw err;
  }
}
