// Starting and steering handoffs from outside the workflow: used by the HTTP API, the CLI and the tests.
import { Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import {
  customerHandoff,
  handoffWorkflowId,
  projectCompletedSignal,
  statusQuery,
} from '../workflows/customer-handoff';
import { HANDOFF_STATE_ATTRIBUTE } from '../workflows/search-attributes';
import { validateProjectCompleted } from '../workflows/project-schema';
import type { HandoffStatus, ProjectCompleted } from '../workflows/handoff-types';

/** The request is wrong: nothing was started or signalled. */
export class InvalidHandoffRequest extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid project-completed event: ${problems.join('; ')}`);
    this.name = 'InvalidHandoffRequest';
  }
}

/** The handoff for this site already ended; a repeated event does not start a second one. */
export class HandoffAlreadyFinished extends Error {
  constructor(readonly workflowId: string) {
    super(
      `The handoff ${workflowId} has already finished; a repeated project-completed event does not start it again. ` +
        'Look at its final status, or start a new handoff only after the old one failed or was terminated.',
    );
    this.name = 'HandoffAlreadyFinished';
  }
}

export interface StartOptions {
  taskQueue: string;
  /** Set the HandoffState search attribute at start: only where the namespace has it registered. */
  withSearchAttribute?: boolean;
}

/** Validates the event, then signal-with-start: one workflow per site, a repeat re-signals the running one. */
export async function completeProject(
  client: Client,
  payload: unknown,
  options: StartOptions,
): Promise<{ workflowId: string; project: ProjectCompleted }> {
  const validation = validateProjectCompleted(payload);
  if (!validation.ok) throw new InvalidHandoffRequest(validation.problems);
  const { project } = validation;
  const workflowId = handoffWorkflowId(project.siteId);
  try {
    await client.workflow.signalWithStart(customerHandoff, {
      workflowId,
      taskQueue: options.taskQueue,
      args: [],
      signal: projectCompletedSignal,
      signalArgs: [project],
      // Completed handoffs (accepted, revoked, expired) must not restart on a late duplicate event.
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      ...(options.withSearchAttribute
        ? { typedSearchAttributes: [{ key: HANDOFF_STATE_ATTRIBUTE, value: 'awaitingProject' }] }
        : {}),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw new HandoffAlreadyFinished(workflowId);
    throw err;
  }
  return { workflowId, project };
}

/** The handoff's status, or undefined when no handoff has that id. */
export async function getHandoffStatus(
  client: Client,
  workflowId: string,
): Promise<HandoffStatus | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).query(statusQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Whether the namespace knows the HandoffState search attribute (servers without it still work). */
export async function hasHandoffSearchAttribute(client: Client, namespace: string): Promise<boolean> {
  try {
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
    return Object.prototype.hasOwnProperty.call(customAttributes ?? {}, HANDOFF_STATE_ATTRIBUTE.name);
  } catch {
    return false;
  }
}
