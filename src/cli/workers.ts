// Queries and updates wait for a worker (30 s, or forever for updates): check for one first and fail fast.
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { HandoffNotFound } from '../handoff-client';

/** No worker polls the handoff's task queue, so the handoff cannot answer right now. */
export class NoWorker extends Error {
  constructor(
    readonly taskQueue: string,
    readonly consequence: string,
  ) {
    super(`no worker is polling task queue "${taskQueue}": ${consequence}`);
    this.name = 'NoWorker';
  }
}

/** Whether a worker has polled the task queue for workflow tasks recently (Temporal keeps pollers for minutes). */
export async function hasWorker(client: Client, namespace: string, taskQueue: string): Promise<boolean> {
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue },
  });
  return (pollers ?? []).length > 0;
}

/** The task queue the handoff runs on; HandoffNotFound when there is no such workflow. */
export async function taskQueueOf(client: Client, workflowId: string): Promise<string> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).taskQueue;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new HandoffNotFound(workflowId);
    throw err;
  }
}

/** Throws NoWorker unless a worker serves the handoff, so a query or update does not hang. */
export async function requireWorker(
  client: Client,
  namespace: string,
  workflowId: string,
  consequence: string,
): Promise<void> {
  const taskQueue = await taskQueueOf(client, workflowId);
  if (!(await hasWorker(client, namespace, taskQueue))) throw new NoWorker(taskQueue, consequence);
}
