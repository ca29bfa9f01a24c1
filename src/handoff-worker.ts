import type { Client } from '@temporalio/client';
import {
  NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type WorkerOptions,
} from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { createLedgerActivities } from '../activities/ledger';
import { createReconcileActivities } from '../activities/reconcile';
import { createBulkChangeActivities } from '../activities/bulk-change';
import type { Ledger } from './ledger';
import type { Notifier } from './notify';
import { wixTaskQueue } from '../workflows/customer-handoff';

export interface HandoffWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  /** The handoff workflows' task queue; Wix activities run on `<taskQueue>-wix`. */
  taskQueue: string;
  wix: ActivityDeps['wix'];
  /** Where the workflow keeps each handoff's lasting record; its writes run on the handoff task queue. */
  ledger: Pick<Ledger, 'record' | 'get'>;
  /** Given, this worker also runs the ledger reconcile job and bulk changes, which call Temporal through it. */
  reconcileClient?: Client;
  /** Wix's limit, enforced by the server across all workers on the Wix task queue; undefined = no limit. */
  wixCallsPerMinute?: number;
  /** Tests pass a prebuilt bundle; production bundles `workflows/` at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  tuning?: Partial<Pick<WorkerOptions, 'maxCachedWorkflows' | 'shutdownGraceTime'>>;
  /** Payload encryption: must match the clients'. */
  dataConverter?: WorkerOptions['dataConverter'];
  /** Given, each ledger write also starts its events' deliveries, and this worker runs the delivery activities. */
  notifier?: Notifier;
}

/**
 * Below Wix's limit by 6 %: the server lets about one second of dispatches through on top of the steady rate
 * (measured: bench/rate-limit.ts), and a worker's first invite also looks the role up.
 */
const WIX_LIMIT_HEADROOM = 0.94;

/** The two workers a site-handoff process runs: handoff workflows, and the rate-limited Wix activities. */
export class HandoffWorkers {
  private constructor(
    readonly workflows: Worker,
    readonly wixActivities: Worker,
  ) {}

  static async create(options: HandoffWorkerOptions): Promise<HandoffWorkers> {
    const common = {
      connection: options.connection,
      namespace: options.namespace ?? 'default',
      ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}),
      ...(options.tuning?.shutdownGraceTime !== undefined
        ? { shutdownGraceTime: options.tuning.shutdownGraceTime }
        : {}),
    };
    // Bundled once for both workers: the Wix worker runs the removeContributor workflow beside its activity.
    const workflowBundle =
      options.workflowBundle ??
      (await bundleWorkflowCode({
        workflowsPath: require.resolve('../workflows'),
        logger: Runtime.instance().logger,
      }));
    const workflows = await Worker.create({
      ...common,
      taskQueue: options.taskQueue,
      activities: {
        ...createLedgerActivities({
          ledger: options.notifier ? options.notifier.wrap(options.ledger) : options.ledger,
        }),
        ...(options.notifier ? options.notifier.activities() : {}),
        ...(options.reconcileClient
          ? {
              ...createReconcileActivities({ client: options.reconcileClient, ledger: options.ledger }),
              ...createBulkChangeActivities({
                client: options.reconcileClient,
                namespace: options.namespace ?? 'default',
              }),
            }
          : {}),
      },
      workflowBundle,
      ...(options.tuning?.maxCachedWorkflows !== undefined
        ? { maxCachedWorkflows: options.tuning.maxCachedWorkflows }
        : {}),
    });
    const wixActivities = await Worker.create({
      ...common,
      taskQueue: wixTaskQueue(options.taskQueue),
      activities: createActivities({ wix: options.wix }),
      workflowBundle,
      // Only short staff workflows (removeContributor) run here; a smaller cache asked for applies too.
      maxCachedWorkflows: Math.min(20, options.tuning?.maxCachedWorkflows ?? 20),
      ...(options.wixCallsPerMinute
        ? { maxTaskQueueActivitiesPerSecond: (options.wixCallsPerMinute * WIX_LIMIT_HEADROOM) / 60 }
        : {}),
    });
    return new HandoffWorkers(workflows, wixActivities);
  }

  /** Runs both until one stops (a fatal error, or shutdown), then stops the other. */
  async run(): Promise<void> {
    const runs = [this.workflows.run(), this.wixActivities.run()];
    try {
      await Promise.race(runs);
    } finally {
      this.shutdown();
      await Promise.allSettled(runs);
    }
  }

  /** Both workers for the duration of `fn`, then a graceful shutdown. */
  runUntil<T>(fn: () => Promise<T>): Promise<T> {
    return this.workflows.runUntil(() => this.wixActivities.runUntil(fn));
  }

  shutdown(): void {
    for (const worker of [this.workflows, this.wixActivities]) {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    }
  }
}
