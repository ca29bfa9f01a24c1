import { activityInfo } from '@temporalio/activity';
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
import type { WixClient } from './wix/client/wix-client';

export interface HandoffWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  /** The handoff workflows' task queue; Wix activities run on `<taskQueue>-wix`. */
  taskQueue: string;
  /** With `pace` and `atPriority` (the real WixClient), the Wix worker also paces this process's calls itself. */
  wix: ActivityDeps['wix'] & Partial<Pick<WixClient, 'pace' | 'atPriority'>>;
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
  /** Given, each ledger write also starts its events' deliveries, run by their own workers (`<taskQueue>-notify…`). */
  notifier?: Notifier;
}

/**
 * Below Wix's limit by 6 %: the server lets about one second of dispatches through on top of the steady rate
 * (measured: bench/rate-limit.ts), and a worker's first invite also looks the role up.
 */
const WIX_LIMIT_HEADROOM = 0.94;

/** Each activity's Wix calls wait for this process's pacer at the priority the server dispatched it with. */
function atTheirPriority<A extends Record<string, (...args: never[]) => Promise<unknown>>>(
  activities: A,
  wix: Partial<Pick<WixClient, 'atPriority'>>,
): A {
  const { atPriority } = wix;
  if (!atPriority) return activities;
  const wrapped = Object.entries(activities).map(([name, run]) => [
    name,
    (...args: Parameters<typeof run>) =>
      atPriority.call(wix, activityInfo().priority?.priorityKey, () => run(...args)),
  ]);
  return Object.fromEntries(wrapped) as A;
}

/**
 * The workers a site-handoff process runs: handoff workflows, the rate-limited Wix activities, and with a notifier
 * the deliveries' own (their workflows, then one per endpoint).
 */
export class HandoffWorkers {
  private constructor(
    readonly workflows: Worker,
    readonly wixActivities: Worker,
    readonly notify: readonly Worker[] = [],
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
        // Only attempts scheduled here before deliveries had their own queues, a few at once.
        ...(options.notifier ? options.notifier.legacyActivities() : {}),
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
    const wixPerSecond = options.wixCallsPerMinute
      ? (options.wixCallsPerMinute * WIX_LIMIT_HEADROOM) / 60
      : undefined;
    // Two gates: the server's queue limit holds across any number of workers but lets a second's burst through and
    // cannot see a role lookup, so each process also spaces its own calls at that rate, burst-free from its first.
    if (wixPerSecond) options.wix.pace?.(wixPerSecond);
    const wixActivities = await Worker.create({
      ...common,
      taskQueue: wixTaskQueue(options.taskQueue),
      activities: atTheirPriority(createActivities({ wix: options.wix }), options.wix),
      workflowBundle,
      // Only short staff workflows (removeContributor) run here; a smaller cache asked for applies too.
      maxCachedWorkflows: Math.min(20, options.tuning?.maxCachedWorkflows ?? 20),
      ...(wixPerSecond ? { maxTaskQueueActivitiesPerSecond: wixPerSecond } : {}),
    });
    const notify = options.notifier
      ? await notifyWorkers(options.notifier, common, workflowBundle, options.tuning)
      : [];
    return new HandoffWorkers(workflows, wixActivities, notify);
  }

  private get all(): Worker[] {
    return [this.workflows, this.wixActivities, ...this.notify];
  }

  /** Runs them all until one stops (a fatal error, or shutdown), then stops the others. */
  async run(): Promise<void> {
    const runs = this.all.map((worker) => worker.run());
    try {
      await Promise.race(runs);
    } finally {
      this.shutdown();
      await Promise.allSettled(runs);
    }
  }

  /** Every worker for the duration of `fn`, then a graceful shutdown. */
  runUntil<T>(fn: () => Promise<T>): Promise<T> {
    return this.all.reduceRight<() => Promise<T>>((inner, worker) => () => worker.runUntil(inner), fn)();
  }

  shutdown(): void {
    for (const worker of this.all) {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    }
  }
}

/**
 * Deliveries' workers: their workflows and log writes on `<taskQueue>-notify`, and each endpoint's attempts on its
 * own queue with a few slots, so a hanging endpoint holds only its own slots, never the handoffs' or another's.
 */
async function notifyWorkers(
  notifier: Notifier,
  common: Pick<WorkerOptions, 'connection' | 'namespace' | 'dataConverter' | 'shutdownGraceTime'>,
  workflowBundle: WorkerOptions['workflowBundle'],
  tuning: HandoffWorkerOptions['tuning'],
): Promise<Worker[]> {
  // One set for all: each queue is only ever sent its own activity (recordDelivered here, deliverWebhook there).
  const activities = notifier.activities();
  const queues = notifier.workers;
  const deliveries = await Worker.create({
    ...common,
    taskQueue: queues.taskQueue,
    activities,
    workflowBundle,
    ...(tuning?.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: tuning.maxCachedWorkflows } : {}),
  });
  const endpoints = await Promise.all(
    queues.endpoints.map(({ taskQueue, maxConcurrentActivityTaskExecutions }) =>
      Worker.create({
        ...common,
        taskQueue,
        activities,
        maxConcurrentActivityTaskExecutions,
      }),
    ),
  );
  return [deliveries, ...endpoints];
}
