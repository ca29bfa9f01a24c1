// Notifications ride on the ledger write path: every audit entry leaves the handoff's history exactly there, once
// per entry and durably (recordInLedger is retried until the database answers). After a write is stored, one
// delivery workflow per (endpoint, event) is started under a deterministic id, so a repeated write (a retried
// activity, a replay) starts nothing twice and a crash between the two loses nothing.
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Kysely } from 'kysely';
import { createNotifyActivities } from '../../activities/notify';
import { auditEntriesBefore, deliveriesOf, notificationSource, type DeliveryLog } from '../ledger/deliveries';
import type { Ledger } from '../ledger/ledger';
import type { LedgerDatabase, StoredStatus } from '../ledger/schema';
import type { LedgerWrite, RecordResult } from '../ledger/types';
import {
  deliverNotification,
  endpointTaskQueue,
  notifyTaskQueue,
  type DeliveryInput,
  type DeliveryRetry,
} from '../../workflows/deliver-notification';
import { endpointWants, type NotifyConfig, type NotifyEndpoint } from './config';
import {
  CONTEXT_FILTER,
  mayNotify,
  notificationsFor,
  webhookId,
  type HandoffFacts,
  type MappedNotification,
  type NotificationEvent,
} from './events';

export interface NotifierOptions {
  client: Client;
  /** The handoff task queue: deliveries run on `<taskQueue>-notify`, each endpoint's attempts on `…-notify-<name>`. */
  taskQueue: string;
  config: NotifyConfig;
  /** The ledger's database: the earlier trail an event needs, and the delivery log. */
  db: Kysely<LedgerDatabase>;
  /** The attempt schedule (default 5 s backing off ×3 to 6 h, for 4 days). */
  retry?: DeliveryRetry;
  /** Per attempt (default 15 s). */
  timeoutMs?: number;
  /** Attempts in flight per endpoint, per worker process (default 10): a hanging endpoint holds at most these. */
  attemptsInFlight?: number;
  /** Told of each delivery workflow started or joined (tests end them and time them). */
  onStarted?: (workflowId: string, input: DeliveryInput) => void;
}

/** A delivery the handoff's trail calls for, with what the log says of it (nothing yet: not attempted). */
export interface DeliveryView {
  deliveryId: string;
  endpoint: string;
  seq: number;
  type: string;
  timestamp: string;
  delivered: boolean;
  deliveredAt: string | null;
  attempts: number;
  lastAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  /** Attempt series: the first delivery, then one per redelivery. */
  series: number;
  log: DeliveryLog['attempts'];
}

export class RedeliveryRefused extends Error {
  constructor(
    readonly statusCode: 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'RedeliveryRefused';
  }
}

/** The workflow id of one delivery series: the first is fixed by (endpoint, handoff, seq); redeliveries add a tag. */
export const deliveryWorkflowId = (
  endpoint: string,
  handoffId: string,
  seq: number,
  series?: string,
): string => `notify-${endpoint}-${handoffId}-${seq}${series ? `-${series}` : ''}`;

const factsOf = (handoffId: string, status: StoredStatus): HandoffFacts => ({
  handoffId,
  siteId: status.siteId,
  projectId: status.projectId,
  role: status.role,
  state: status.state,
  failure: status.failure,
  invitees: status.invitees.map((i) => ({ email: i.email, status: i.status })),
});

/** Attempts in flight per endpoint by default: a loopback endpoint takes 200+/s with 10, a hanging one holds 10. */
export const DEFAULT_ATTEMPTS_IN_FLIGHT = 10;
/** Attempts of deliveries begun before the endpoint queues, run at once on the handoff task queue at most. */
const LEGACY_ATTEMPTS_IN_FLIGHT = 4;
export const ATTEMPT_DEFERRED = 'NotifyAttemptDeferred';

/** The workers deliveries need: the delivery workflows and their log writes, and one per endpoint's attempts. */
export interface DeliveryWorkers {
  taskQueue: string;
  endpoints: { endpoint: string; taskQueue: string; maxConcurrentActivityTaskExecutions: number }[];
}

export class Notifier {
  constructor(private readonly options: NotifierOptions) {}

  get endpoints(): readonly NotifyEndpoint[] {
    return this.options.config.endpoints;
  }

  /** Where deliveries run; HandoffWorkers creates a worker for each queue. */
  get workers(): DeliveryWorkers {
    const slots = this.options.attemptsInFlight ?? DEFAULT_ATTEMPTS_IN_FLIGHT;
    return {
      taskQueue: notifyTaskQueue(this.options.taskQueue),
      endpoints: this.endpoints.map((e) => ({
        endpoint: e.name,
        taskQueue: endpointTaskQueue(this.options.taskQueue, e.name),
        maxConcurrentActivityTaskExecutions: slots,
      })),
    };
  }

  /** The delivery activities: `deliverWebhook` on each endpoint's queue, `recordDelivered` on the notify queue. */
  activities(): ReturnType<typeof createNotifyActivities> {
    return createNotifyActivities({
      endpoints: this.endpoints,
      db: this.options.db,
      ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
    });
  }

  /**
   * For the handoff task queue: attempts of deliveries scheduled there before the endpoint queues (their retries
   * stay on it), a few at once; the rest fail at once and the server retries them later, freeing the slot.
   */
  legacyActivities(): ReturnType<typeof createNotifyActivities> {
    const activities = this.activities();
    let inFlight = 0;
    return {
      ...activities,
      async deliverWebhook(input) {
        if (inFlight >= LEGACY_ATTEMPTS_IN_FLIGHT)
          throw ApplicationFailure.retryable('older deliveries are busy on this worker', ATTEMPT_DEFERRED);
        inFlight++;
        try {
          return await activities.deliverWebhook(input);
        } finally {
          inFlight--;
        }
      },
    };
  }

  /** The ledger, notifying after each stored write; a failure to start fails the write so the activity retries. */
  wrap(ledger: Pick<Ledger, 'record'>): Pick<Ledger, 'record'> {
    return {
      record: async (write: LedgerWrite): Promise<RecordResult> => {
        const result = await ledger.record(write);
        await this.notifyWrite(write);
        return result;
      },
    };
  }

  /** Starts a delivery for every notification in the write (stored before or not); returns how many it asked for. */
  async notifyWrite(write: LedgerWrite): Promise<number> {
    const entries = write.audit.filter((a) => mayNotify(a.event));
    if (!entries.length) return 0;
    const fromSeq = Math.min(...entries.map((a) => a.seq));
    const earlier = await auditEntriesBefore(this.options.db, write.handoffId, fromSeq, CONTEXT_FILTER);
    const mapped = notificationsFor(
      factsOf(write.handoffId, write.status),
      [...earlier, ...write.audit],
      fromSeq,
      this.options.config.consoleUrl,
    );
    const starts = this.deliveriesFor(write.handoffId, mapped).map((input) => this.start(input));
    await Promise.all(starts);
    return starts.length;
  }

  /** Every delivery the handoff's trail calls for under the current configuration, with its log. */
  async deliveries(handoffId: string): Promise<DeliveryView[] | undefined> {
    const source = await notificationSource(this.options.db, handoffId);
    if (!source) return undefined;
    const logs = new Map((await deliveriesOf(this.options.db, handoffId)).map((l) => [l.deliveryId, l]));
    const expected = this.deliveriesFor(handoffId, this.rebuild(handoffId, source));
    const views = expected.map((input) =>
      view(input.deliveryId, input.endpoint, input.seq, input.event, logs.get(input.deliveryId)),
    );
    // Deliveries to endpoints since removed from the configuration still show what happened to them.
    const known = new Set(expected.map((d) => d.deliveryId));
    for (const log of logs.values()) if (!known.has(log.deliveryId)) views.push(loggedView(log));
    return views.sort(byOrder);
  }

  /** A new attempt series for one delivery, with the same webhook-id and the event rebuilt from the ledger. */
  async redeliver(
    handoffId: string,
    deliveryId: string,
  ): Promise<{ workflowId: string; deliveryId: string }> {
    const source = await notificationSource(this.options.db, handoffId);
    if (!source) throw new RedeliveryRefused(404, `No handoff ${handoffId} in the ledger`);
    const input = this.deliveriesFor(handoffId, this.rebuild(handoffId, source)).find(
      (d) => d.deliveryId === deliveryId,
    );
    if (!input) {
      const logged = (await deliveriesOf(this.options.db, handoffId)).find(
        (l) => l.deliveryId === deliveryId,
      );
      if (logged)
        throw new RedeliveryRefused(
          409,
          `Endpoint "${logged.endpoint}" no longer takes this event: check HANDOFF_NOTIFY_* settings`,
        );
      throw new RedeliveryRefused(404, `No delivery ${deliveryId} for handoff ${handoffId}`);
    }
    // Time-tagged: each request is a fresh series; the receiver still sees one webhook-id and deduplicates.
    const workflowId = deliveryWorkflowId(
      input.endpoint,
      handoffId,
      input.seq,
      `redeliver-${Date.now().toString(36)}`,
    );
    await this.start(input, workflowId);
    return { workflowId, deliveryId };
  }

  private rebuild(
    handoffId: string,
    source: { status: StoredStatus; audit: MappedSource },
  ): MappedNotification[] {
    return notificationsFor(
      factsOf(handoffId, source.status),
      source.audit,
      0,
      this.options.config.consoleUrl,
    );
  }

  private deliveriesFor(handoffId: string, mapped: MappedNotification[]): DeliveryInput[] {
    return mapped.flatMap(({ seq, event }) =>
      this.endpoints
        .filter((endpoint) => endpointWants(endpoint, event.type))
        .map((endpoint) => ({
          endpoint: endpoint.name,
          deliveryId: webhookId(endpoint.name, handoffId, seq),
          handoffId,
          seq,
          event,
          ...(this.options.retry ? { retry: this.options.retry } : {}),
        })),
    );
  }

  private async start(input: DeliveryInput, workflowId?: string): Promise<void> {
    const id = workflowId ?? deliveryWorkflowId(input.endpoint, input.handoffId, input.seq);
    try {
      await this.options.client.workflow.start(deliverNotification, {
        workflowId: id,
        // Redeliveries too: every delivery runs on the notify queue, never on the handoffs'.
        taskQueue: notifyTaskQueue(this.options.taskQueue),
        args: [input],
        // Running: join it. Closed: it already delivered (or gave up); a repeated write must not deliver again.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    this.options.onStarted?.(id, input);
  }
}

/** What the delivery log alone shows (no notifier configured here): attempted deliveries only. */
export async function loggedDeliveries(
  db: Kysely<LedgerDatabase>,
  handoffId: string,
): Promise<DeliveryView[]> {
  return (await deliveriesOf(db, handoffId)).map(loggedView).sort(byOrder);
}

const loggedView = (log: DeliveryLog): DeliveryView =>
  view(
    log.deliveryId,
    log.endpoint,
    log.seq,
    { type: log.eventType, timestamp: log.attempts[0]?.at ?? '' },
    log,
  );

const byOrder = (a: DeliveryView, b: DeliveryView): number =>
  a.seq - b.seq || a.endpoint.localeCompare(b.endpoint);

type MappedSource = { seq: number; at: string; event: string; actor: string; detail?: string }[];

function view(
  deliveryId: string,
  endpoint: string,
  seq: number,
  event: Pick<NotificationEvent, 'type' | 'timestamp'> | { type: string; timestamp: string },
  log: DeliveryLog | undefined,
): DeliveryView {
  const attempts = log?.attempts ?? [];
  const last = attempts.at(-1);
  return {
    deliveryId,
    endpoint,
    seq,
    type: event.type,
    timestamp: event.timestamp,
    delivered: log?.delivered ?? false,
    deliveredAt: log?.deliveredAt ?? null,
    attempts: attempts.length,
    lastAttemptAt: last?.at ?? null,
    lastStatus: last?.statusCode ?? null,
    lastError: last?.error ?? null,
    series: new Set(attempts.map((a) => a.workflowId)).size,
    log: attempts,
  };
}
