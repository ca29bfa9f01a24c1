// One notification to one endpoint: its own workflow, so a slow or failing endpoint holds up only itself, never a
// handoff or another endpoint. Retried like the best senders: within seconds first, backing off to hours, for days.
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { NotifyActivities } from '../activities/notify';
import type { NotificationEvent } from '../src/notify/events';

export const DELIVER_NOTIFICATION_WORKFLOW = 'deliverNotification';

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
  const { deliverWebhook } = proxyActivities<NotifyActivities>({
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
