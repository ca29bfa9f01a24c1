import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

export interface HandoffWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  wix: ActivityDeps['wix'];
  /** Tests pass a prebuilt bundle; production bundles `workflows/` at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Extra worker tuning (cache size, shutdown grace time...). */
  tuning?: Partial<
    Pick<WorkerOptions, 'maxCachedWorkflows' | 'shutdownGraceTime' | 'maxConcurrentActivityTaskExecutions'>
  >;
}

export function createHandoffWorker(options: HandoffWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue,
    activities: createActivities({ wix: options.wix }),
    ...(options.workflowBundle
      ? { workflowBundle: options.workflowBundle }
      : { workflowsPath: require.resolve('../workflows') }),
    ...options.tuning,
  });
}
