// The handoff records the CLI reads: the ledger itself (HANDOFF_DATABASE_URL) or the service's API in front of it.
import type { Client } from '@temporalio/client';
import { readTaskQueue } from '../config';
import { Notifier, readNotifyConfig } from '../notify';
import {
  handoffDeliveries,
  notificationEndpointsHealth,
  type HandoffDeliveries,
  type NotificationEndpointsHealth,
} from '../notify/delivery-views';
import {
  deleteClosedExecution,
  hasHandoffSearchAttribute,
  readHandoff,
  restartHandoff,
  type HandoffView,
  type RestartRequest,
} from '../handoff-client';
import {
  toCsvLines,
  toJsonLines,
  type ErasureResult,
  type Ledger,
  type LedgerFilter,
  type LedgerListQuery,
  type LedgerSummary,
} from '../ledger';
import type { ExportFormat, ServiceApi } from './api-client';
import { TemporalUnreachable, UsageError } from './errors';

export type Temporal = () => Promise<{ client: Client; namespace: string }>;

/** What erase did: the ledger's counts, the Temporal executions deleted, and why some were not (if so). */
export type ErasureOutcome = ErasureResult & { temporalExecutions: number; temporalSkipped?: string };

export interface HandoffRecords {
  /** Whether the ledger knows the handoff and when it ended, without asking Temporal. */
  stored(handoffId: string): Promise<{ endedAt: string | null } | undefined>;
  /** The status as the API shows it: the ledger's for an ended handoff, Temporal's while it runs. */
  read(handoffId: string): Promise<HandoffView | undefined>;
  list(query: LedgerListQuery): Promise<LedgerSummary[]>;
  exportText(format: ExportFormat, filter: LedgerFilter): Promise<AsyncIterable<string>>;
  erase(email: string, confirmEmail: string, actor: string): Promise<ErasureOutcome>;
  /** A new run of an ended handoff; the ledger's trail of the earlier runs tells it where to number on from. */
  restart(handoffId: string, request: RestartRequest): Promise<{ handoffId: string; runId: string }>;
  /** Per endpoint and event: attempts, the last result, what became of it; undefined for no such handoff. */
  deliveries(handoffId: string): Promise<HandoffDeliveries | undefined>;
  /** Each notification endpoint's health from the delivery log. */
  endpoints(): Promise<NotificationEndpointsHealth>;
  /** A new attempt series of one delivery, with the same webhook-id. */
  redeliver(handoffId: string, deliveryId: string): Promise<{ workflowId: string; deliveryId: string }>;
}

/** Where notification events link to, when HANDOFF_NOTIFY_CONSOLE_URL is not set: as `npm start` defaults it. */
const DEFAULT_CONSOLE_URL = 'http://127.0.0.1:8080';

export class LedgerRecords implements HandoffRecords {
  private notifier: Promise<Notifier | undefined> | undefined;

  constructor(
    private readonly ledger: Ledger,
    private readonly temporal: Temporal,
  ) {}

  /**
   * The service's endpoints from the same HANDOFF_NOTIFY_* settings, so the CLI expects and redelivers what the
   * workers send; none configured here: the log alone. Temporal is needed only to start a redelivery.
   */
  private configuredNotifier(needTemporal: boolean): Promise<Notifier | undefined> {
    return (this.notifier ??= (async () => {
      const problems: string[] = [];
      const config = readNotifyConfig(process.env, problems, { consoleUrl: DEFAULT_CONSOLE_URL });
      if (problems.length)
        throw new UsageError(problems.join('; '), 'Use the same HANDOFF_NOTIFY_* settings as the service.');
      if (!config) return undefined;
      let client: Client;
      try {
        client = (await this.temporal()).client;
      } catch (err) {
        if (needTemporal || !(err instanceof TemporalUnreachable)) throw err;
        return undefined;
      }
      return new Notifier({ client, taskQueue: readTaskQueue(process.env), config, db: this.ledger.db });
    })());
  }

  async deliveries(handoffId: string) {
    return handoffDeliveries(this.ledger.db, await this.configuredNotifier(false), handoffId);
  }

  async endpoints() {
    return notificationEndpointsHealth(this.ledger.db, await this.configuredNotifier(false));
  }

  async redeliver(handoffId: string, deliveryId: string) {
    const notifier = await this.configuredNotifier(true);
    if (!notifier) throw new NotificationsNotConfigured();
    return notifier.redeliver(handoffId, deliveryId);
  }

  async stored(handoffId: string) {
    const record = await this.ledger.get(handoffId);
    return record && { endedAt: record.endedAt };
  }

  async read(handoffId: string) {
    const record = await this.ledger.get(handoffId);
    // What readHandoff answers for an ended handoff, without connecting to Temporal for it.
    if (record?.endedAt) return { ...record, source: 'ledger' as const };
    return readHandoff((await this.temporal()).client, this.ledger, handoffId);
  }

  async list(query: LedgerListQuery) {
    return (await this.ledger.list(query)).items;
  }

  exportText(format: ExportFormat, filter: LedgerFilter) {
    const rows = this.ledger.export(filter);
    return Promise.resolve(format === 'csv' ? toCsvLines(rows) : toJsonLines(rows));
  }

  /** As the API's erasure does: the ledger first, then Temporal's own copies of the ended handoffs. */
  async erase(email: string, _confirmEmail: string, actor: string): Promise<ErasureOutcome> {
    const held: string[] = [];
    for await (const row of this.ledger.export({ email })) held.push(row.handoffId);
    const erased = await this.ledger.erase(email, { actor });
    if (!held.length) return { ...erased, temporalExecutions: 0 };
    let temporal: { client: Client; namespace: string };
    try {
      temporal = await this.temporal();
    } catch (err) {
      if (!(err instanceof TemporalUnreachable)) throw err;
      return { ...erased, temporalExecutions: 0, temporalSkipped: err.message };
    }
    let deleted = 0;
    for (const handoffId of held)
      if (await deleteClosedExecution(temporal.client, temporal.namespace, handoffId)) deleted++;
    return { ...erased, temporalExecutions: deleted };
  }

  /** As the API's restart does, on the task queue the service runs (HANDOFF_TASK_QUEUE). */
  async restart(handoffId: string, request: RestartRequest) {
    const { client, namespace } = await this.temporal();
    const started = await restartHandoff(client, this.ledger, handoffId, request, {
      taskQueue: readTaskQueue(process.env),
      withSearchAttribute: await hasHandoffSearchAttribute(client, namespace),
    });
    return { handoffId: started.workflowId, runId: started.runId };
  }
}

export class ApiRecords implements HandoffRecords {
  constructor(readonly api: ServiceApi) {}

  async stored(handoffId: string) {
    const record = await this.api.record(handoffId);
    return record && { endedAt: record.handoff.endedAt };
  }

  read(handoffId: string) {
    return this.api.handoff(handoffId);
  }

  list(query: LedgerListQuery) {
    return this.api.list(query);
  }

  exportText(format: ExportFormat, filter: LedgerFilter) {
    return this.api.exportText(format, filter);
  }

  erase(email: string, confirmEmail: string, actor: string) {
    return this.api.erase(email, confirmEmail, actor);
  }

  restart(handoffId: string, request: RestartRequest) {
    return this.api.restart(handoffId, request);
  }

  deliveries(handoffId: string) {
    return this.api.deliveries(handoffId);
  }

  endpoints() {
    return this.api.endpoints();
  }

  redeliver(handoffId: string, deliveryId: string) {
    return this.api.redeliver(handoffId, deliveryId);
  }
}

/** Nothing to redeliver to: no notification endpoint is configured where the CLI looked. */
export class NotificationsNotConfigured extends UsageError {
  constructor() {
    super(
      'notifications are not configured: set HANDOFF_NOTIFY_WEBHOOK_URL or HANDOFF_NOTIFY_CONFIG',
      'Use the same HANDOFF_NOTIFY_* settings as the service, or point HANDOFF_API_URL at it.',
    );
  }
}
