// One notification to one endpoint: its own workflow on the notify task queue, its attempts on the endpoint's own
// queue, so a slow or failing endpoint holds up only itself, never a handoff or another endpoint. Retried like the
// best senders: within seconds first, backing off to hours, for days.
import {
  ActivityFailure,
  ApplicationFailure,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { NotifyActivities } from '../activities/notify';
import type { NotificationEvent } from '../src/notify/events';

export const DELIVER_NOTIFICATION_WORKFLOW = 'deliverNotification';

const NOTIFY_SUFFIX = '-notify';

/** Delivery workflows and their log writes: a queue of their own, so the handoff worker's slots are never theirs. */
export const notifyTaskQueue = (taskQueue: string): string => `${taskQueue}${NOTIFY_SUFFIX}`;

/** One endpoint's attempts: its own queue and worker, few slots, so a hanging endpoint fills only its own. */
export const endpointTaskQueue = (taskQueue: string, endpoint: string): string =>
  `${notifyTaskQueue(taskQueue)}-${endpoint}`;

/** The notify queue a delivery belongs to: its own, unless an older process started it on the handoff queue. */
const notifyQueueOf = (queue: string): string =>
  queue.endsWith(NOTIFY_SUFFIX) ? queue : notifyTaskQueue(queue);

/** The patch that moved attempts off the handoff task queue; deliveries begun before it keep their queue. */
export const ENDPOINT_QUEUES_PATCH = 'notify-endpoint-queues';

/** The attempt schedule; tests shorten it, production keeps the default. */
export interface DeliveryRetry {
  initialInterval: Duration;
  backoffCoefficient: number;
  maximumInterval: Duration;
  /** How long attempts go on before the delivery is given up (and shown as not delivered). */
  giveUpAfter: Duration;
}

/** 5 s, 15 s, 45 s, … up to 6 h apart, for 4 days: about 20 attempts. */
export const DEFAULT_DELIVERY_RETRY: DeliveryRetry = {
  initialInterval: '5 seconds',
  backoffCoefficient: 3,
  maximumInterval: '6 hours',
  giveUpAfter: '4 days',
};

/** Names the endpoint, never its URL or secret: those stay in the worker's configuration, out of history. */
export interface DeliveryInput {
  endpoint: string;
  /** The webhook-id: the same for every attempt and every redelivery of this event to this endpoint. */
  deliveryId: string;
  handoffId: string;
  seq: number;
  event: NotificationEvent;
  retry?: DeliveryRetry;
}

export interface DeliveryResult {
  delivered: boolean;
  statusCode: number | null;
  error?: string;
}

/** An endpoint removed from the configuration: attempting again cannot help. */
export const UNKNOWN_ENDPOINT = 'UnknownNotifyEndpoint';

export async function deliverNotification(input: DeliveryInput): Promise<DeliveryResult> {
  const retry = input.retry ?? DEFAULT_DELIVERY_RETRY;
  // Asked once: patched() is not remembered between calls, and both activities must take the same route.
  const ownQueues = patched(ENDPOINT_QUEUES_PATCH);
  const notifyQueue = notifyQueueOf(workflowInfo().taskQueue);
  const { deliverWebhook } = proxyActivities<NotifyActivities>({
    ...(ownQueues ? { taskQueue: `${notifyQueue}-${input.endpoint}` } : {}),
    // The HTTP call has its own 15 s limit; this covers it and the log write.
    startToCloseTimeout: '45 seconds',
    scheduleToCloseTimeout: retry.giveUpAfter,
    retry: {
      initialInterval: retry.initialInterval,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maximumInterval,
      nonRetryableErrorTypes: [UNKNOWN_ENDPOINT],
    },
  });
  const { recordDelivered } = proxyActivities<NotifyActivities>({
    ...(ownQueues ? { taskQueue: notifyQueue } : {}),
    startToCloseTimeout: '30 seconds',
    // The endpoint has the event: only the log is missing, so it is written until the database answers.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  try {
    const outcome = await deliverWebhook(input);
    if (!outcome.logged) await recordDelivered(input, outcome);
    return { delivered: true, statusCode: outcome.statusCode };
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    // Given up (or the endpoint is gone): the delivery log already shows every attempt; the workflow ends calmly.
    const cause = err.cause;
    const statusCode =
      cause instanceof ApplicationFailure
        ? ((cause.details?.[0] as { statusCode?: number | null } | undefined)?.statusCode ?? null)
        : null;
    return { delivered: false, statusCode, error: cause?.message ?? err.message };
  }
}
