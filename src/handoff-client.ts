// Starting and steering handoffs from outside the workflow: used by the HTTP API, the CLI and the tests.
import {
  Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { ApplicationFailure, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  WORKFLOW_TYPE,
  acceptedSignal,
  changeUpdate,
  customerHandoff,
  handoffWorkflowId,
  projectCompletedSignal,
  resendUpdate,
  retrySignal,
  revokeUpdate,
  statusQuery,
} from '../workflows/customer-handoff';
import { HANDOFF_STATE_ATTRIBUTE } from '../workflows/search-attributes';
import { ErasureRefused, type ErasureResult, type Ledger } from './ledger';
import { wixTaskQueue } from '../workflows/wix-steps';
import {
  bulkChangeHandoffs,
  bulkChangeWorkflowId,
  bulkProgressQuery,
  type BulkChangeProgress,
} from '../workflows/bulk-change';
import { randomUUID } from 'node:crypto';
import {
  REMOVE_CONTRIBUTOR_WORKFLOW,
  removeContributorWorkflowId,
  type RemoveContributorInput,
  type RemoveContributorResult,
} from '../workflows/remove-contributor';
import { validateHandoffChange, validateProjectCompleted } from '../workflows/project-schema';
import {
  FINAL_STATES,
  REQUEST_INVALID,
  REQUEST_REFUSED,
  type ChangeRequest,
  type RestartInput,
  type HandoffState,
  type HandoffStatus,
  type ProjectCompleted,
} from '../workflows/handoff-types';

/** The request is wrong: nothing was started, signalled or changed. */
export class InvalidHandoffRequest extends Error {
  constructor(
    readonly problems: string[],
    readonly what = 'project-completed event',
  ) {
    super(`Invalid ${what}: ${problems.join('; ')}`);
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

export interface RestartRequest {
  reason: string;
  actor: string;
  /** Default: the previous run's invitees that never accepted nor were removed. */
  customerEmails?: string[];
  /** Default: the previous run's role. */
  role?: string;
}

/**
 * Starts the site's handoff again after it ended (revoked, expired, or the workflow failed): a new run of the same
 * workflow id that links the previous one and numbers its audit on from it, so the ledger keeps both. A repeated
 * project-completed event stays refused: only this staff action starts a new run.
 */
export async function restartHandoff(
  client: Client,
  ledger: Pick<Ledger, 'get'>,
  idOrSiteId: string,
  request: RestartRequest,
  options: StartOptions,
): Promise<{ workflowId: string; runId: string; project: ProjectCompleted }> {
  const workflowId = toWorkflowId(idOrSiteId);
  const reason = typeof request.reason === 'string' ? request.reason.trim() : '';
  if (!reason || reason.length > 500)
    throw new InvalidHandoffRequest(['reason: say why (1 to 500 characters)'], 'restart');
  let previousRunId: string | undefined;
  let running = false;
  // A run that has ended in its machine still writes its last ledger entry for a moment before it closes: staff
  // who saw "revoked" and restart at once wait those few seconds instead of being told it still runs.
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const description = await client.workflow.getHandle(workflowId).describe();
      previousRunId = description.runId;
      running = description.status.name === 'RUNNING';
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    if (!running || Date.now() > deadline) break;
    const state = (await getHandoffStatus(client, workflowId).catch(() => undefined))?.state;
    if (!state || !FINAL_STATES.includes(state)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (running) {
    throw new HandoffRequestRefused(
      workflowId,
      'the handoff is still running: change it (replace, add, retry) or revoke it first',
    );
  }
  const record = await ledger.get(workflowId);
  const previous = record ?? (previousRunId ? await getHandoffStatus(client, workflowId) : undefined);
  if (!previous || !previous.siteId || !previous.projectId || !previous.role)
    throw new HandoffNotFound(workflowId);
  if (previous.state === 'accepted') {
    throw new HandoffRequestRefused(workflowId, 'the handoff ended as accepted: the site was handed over');
  }
  const emails =
    request.customerEmails ??
    previous.invitees.filter((i) => !['accepted', 'removed'].includes(i.status)).map((i) => i.email);
  const validation = validateProjectCompleted({
    projectId: previous.projectId,
    siteId: previous.siteId,
    customerEmails: emails,
    role: request.role ?? previous.role,
  });
  if (!validation.ok) throw new InvalidHandoffRequest(validation.problems, 'restart');
  const restart: RestartInput = {
    previousRunId: record?.runId ?? previousRunId ?? 'unknown',
    previousState: previous.state,
    reason,
    actor: request.actor,
    // The ledger's trail of every earlier run: the new run's entries follow it.
    auditCount: record ? record.audit.length : previous.audit.length,
  };
  const handle = await client.workflow.signalWithStart(customerHandoff, {
    workflowId,
    taskQueue: options.taskQueue,
    args: [undefined, restart],
    signal: projectCompletedSignal,
    signalArgs: [validation.project],
    // Allowed here, for staff, after the previous run closed; a late project-completed event still is not.
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    ...(options.withSearchAttribute
      ? { typedSearchAttributes: [{ key: HANDOFF_STATE_ATTRIBUTE, value: 'awaitingProject' }] }
      : {}),
  });
  return { workflowId, runId: handle.signaledRunId, project: validation.project };
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

/** No handoff has this id. */
export class HandoffNotFound extends Error {
  constructor(readonly workflowId: string) {
    super(
      `No handoff with id ${workflowId}. Handoff ids look like handoff-<siteId>; \`site-handoff list\` shows them.`,
    );
    this.name = 'HandoffNotFound';
  }
}

/** The invite machine refused the request; nothing was called. */
export class HandoffRequestRefused extends Error {
  constructor(
    readonly workflowId: string,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'HandoffRequestRefused';
  }
}

/** Accepts a handoff id or a bare site id. */
export const toWorkflowId = (idOrSiteId: string): string =>
  idOrSiteId.startsWith('handoff-') ? idOrSiteId : handoffWorkflowId(idOrSiteId);

async function isClosed(client: Client, workflowId: string): Promise<boolean> {
  try {
    const { status } = await client.workflow.getHandle(workflowId).describe();
    return status.name !== 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new HandoffNotFound(workflowId);
    throw err;
  }
}

/** Runs a staff update and turns a refusal (by validator or handler) into HandoffRequestRefused. */
async function staffUpdate(
  client: Client,
  workflowId: string,
  run: () => Promise<HandoffStatus>,
): Promise<HandoffStatus> {
  try {
    return await run();
  } catch (err) {
    // The workflow refuses in one shape, from its validators and its handlers alike.
    const failure = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
    if (failure instanceof ApplicationFailure && failure.type === REQUEST_REFUSED) {
      throw new HandoffRequestRefused(workflowId, failure.message);
    }
    if (failure instanceof ApplicationFailure && failure.type === REQUEST_INVALID) {
      throw new InvalidHandoffRequest([failure.message], 'staff request');
    }
    // "Not found" also answers an update to a handoff that has closed (before the call or during it).
    if (err instanceof WorkflowNotFoundError && (await isClosed(client, workflowId))) {
      throw await alreadyEnded(client, workflowId);
    }
    throw err;
  }
}

async function alreadyEnded(client: Client, workflowId: string): Promise<HandoffRequestRefused> {
  const final = await getHandoffStatus(client, workflowId);
  return new HandoffRequestRefused(
    workflowId,
    `the handoff has already ended as ${final?.state ?? 'closed'}`,
  );
}

export function revokeHandoff(
  client: Client,
  idOrSiteId: string,
  request: { reason: string; actor: string },
): Promise<HandoffStatus> {
  const workflowId = toWorkflowId(idOrSiteId);
  return staffUpdate(client, workflowId, () =>
    client.workflow.getHandle(workflowId).executeUpdate(revokeUpdate, { args: [request] }),
  );
}

export function resendHandoff(
  client: Client,
  idOrSiteId: string,
  request: { actor: string; email?: string },
): Promise<HandoffStatus> {
  const workflowId = toWorkflowId(idOrSiteId);
  return staffUpdate(client, workflowId, () =>
    client.workflow.getHandle(workflowId).executeUpdate(resendUpdate, { args: [request] }),
  );
}

/**
 * A change to a running handoff, validated here first (nothing is sent when a field is wrong) and decided by the
 * workflow's machine. `updateId` makes a retried call (the same key) one change, never two.
 */
export async function changeHandoff(
  client: Client,
  idOrSiteId: string,
  request: ChangeRequest,
  options: { updateId?: string } = {},
): Promise<HandoffStatus> {
  const checked = validateHandoffChange(request);
  if (!checked.ok) throw new InvalidHandoffRequest(checked.problems, 'change');
  const workflowId = toWorkflowId(idOrSiteId);
  return staffUpdate(client, workflowId, () =>
    client.workflow.getHandle(workflowId).executeUpdate(changeUpdate, {
      args: [request],
      ...(options.updateId ? { updateId: options.updateId } : {}),
    }),
  );
}

/** Changes that make sense for every running handoff at once; invitee changes name one handoff's people. */
export const BULK_CHANGE_KINDS = ['changePolicy', 'pause', 'resume', 'checkAcceptance'] as const;

/**
 * Starts one change for every running handoff (bulkChangeHandoffs walks them); validated here, so an invalid
 * change starts nothing. Returns the bulk change's id, whose progress `bulkChangeProgress` reads.
 */
export async function startBulkChange(
  client: Client,
  request: ChangeRequest,
  options: { taskQueue: string; id?: string },
): Promise<string> {
  if (!(BULK_CHANGE_KINDS as readonly string[]).includes(request.kind)) {
    throw new InvalidHandoffRequest(
      [`kind: a bulk change is one of ${BULK_CHANGE_KINDS.join(', ')}`],
      'bulk change',
    );
  }
  const checked = validateHandoffChange(request);
  if (!checked.ok) throw new InvalidHandoffRequest(checked.problems, 'bulk change');
  const workflowId = bulkChangeWorkflowId(options.id ?? randomUUID());
  await client.workflow.start(bulkChangeHandoffs, {
    workflowId,
    taskQueue: options.taskQueue,
    args: [{ request }],
    // The same id twice (a retried request) is the same bulk change.
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return workflowId;
}

/** How far a bulk change has got, and its summary once done; undefined for an unknown id. */
export async function bulkChangeProgress(
  client: Client,
  id: string,
): Promise<BulkChangeProgress | undefined> {
  const workflowId = id.startsWith('bulk-change-') ? id : bulkChangeWorkflowId(id);
  try {
    return await client.workflow.getHandle(workflowId).query(bulkProgressQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Staff retry after a failure was fixed; the refusal, if any, shows in the status. */
export async function retryHandoff(client: Client, idOrSiteId: string, actor: string): Promise<void> {
  const workflowId = toWorkflowId(idOrSiteId);
  try {
    await client.workflow.getHandle(workflowId).signal(retrySignal, { actor });
  } catch (err) {
    // A signal to a closed handoff is answered "not found" too; isClosed tells that from an unknown id.
    if (err instanceof WorkflowNotFoundError && (await isClosed(client, workflowId))) {
      throw await alreadyEnded(client, workflowId);
    }
    throw err;
  }
}

/**
 * Staff say who accepted when Wix could not tell (several invites pending, or several new accounts); the machine
 * decides whether that is allowed, and a refusal shows in the status.
 */
export async function confirmAccepted(
  client: Client,
  idOrSiteId: string,
  notice: { email: string; actor: string; accountId?: string },
): Promise<void> {
  const workflowId = toWorkflowId(idOrSiteId);
  try {
    await client.workflow.getHandle(workflowId).signal(acceptedSignal, notice);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError && (await isClosed(client, workflowId))) {
      throw await alreadyEnded(client, workflowId);
    }
    throw err;
  }
}

export interface HandoffSummary {
  workflowId: string;
  state: HandoffState | 'unknown';
  siteId: string | null;
  projectId: string | null;
  customers: string[];
  running: boolean;
}

/**
 * Handoffs from Temporal visibility, newest first. With the HandoffState attribute registered the state filter
 * runs on the server; without it, each running handoff is asked for its status.
 */
export async function listHandoffs(
  client: Client,
  options: { namespace: string; state?: HandoffState; limit?: number },
): Promise<HandoffSummary[]> {
  const limit = options.limit ?? 100;
  const indexed = await hasHandoffSearchAttribute(client, options.namespace);
  let query = `WorkflowType = '${WORKFLOW_TYPE}'`;
  if (options.state && indexed) query += ` AND HandoffState = '${options.state}'`;
  const summaries: HandoffSummary[] = [];
  for await (const info of client.workflow.list({ query })) {
    const running = info.status.name === 'RUNNING';
    const status = await getHandoffStatus(client, info.workflowId).catch(() => undefined);
    const state =
      status?.state ??
      (indexed
        ? ((info.typedSearchAttributes.get(HANDOFF_STATE_ATTRIBUTE) as HandoffState) ?? 'unknown')
        : 'unknown');
    if (options.state && state !== options.state) continue;
    summaries.push({
      workflowId: info.workflowId,
      state,
      siteId: status?.siteId ?? null,
      projectId: status?.projectId ?? null,
      customers: status?.invitees.map((i) => i.email) ?? [],
      running,
    });
    if (summaries.length >= limit) break;
  }
  return summaries;
}

/** A handoff as staff see it: the status, plus where it came from and when it started and ended, when known. */
export type HandoffView = HandoffStatus & {
  handoffId: string;
  /** `temporal`: the running workflow answered; `ledger`: its lasting record (it ended, or Temporal forgot it). */
  source: 'temporal' | 'ledger';
  startedAt?: string;
  endedAt?: string | null;
};

/**
 * Finished handoffs answer from the ledger, running ones from Temporal, so a handoff is never "not found" because
 * Temporal's retention ended; undefined only when neither has ever heard of it.
 */
export async function readHandoff(
  client: Client,
  ledger: Pick<Ledger, 'get'>,
  idOrSiteId: string,
): Promise<HandoffView | undefined> {
  const handoffId = toWorkflowId(idOrSiteId);
  // With the database away, a running handoff still answers from Temporal.
  const record = await ledger.get(handoffId).catch(() => undefined);
  if (record?.endedAt) return { ...record, source: 'ledger' };
  const live = await getHandoffStatus(client, handoffId);
  if (live) {
    return {
      handoffId,
      ...live,
      source: 'temporal',
      ...(record ? { startedAt: record.startedAt, endedAt: record.endedAt } : {}),
    };
  }
  return record ? { ...record, source: 'ledger' } : undefined;
}

/** Wix did not answer a staff call in time; nothing is known to have changed. */
export class WixDidNotAnswer extends Error {
  constructor(detail: string) {
    super(`Wix did not answer in time (${detail})`);
    this.name = 'WixDidNotAnswer';
  }
}

/**
 * Removes a contributor from a site (after a revoke), through the workers: the Wix key stays there, and the call
 * shares the Wix task queue's rate limit. A refusal by Wix comes back as the result, not as an error.
 */
export async function removeContributor(
  client: Client,
  taskQueue: string,
  input: RemoveContributorInput,
): Promise<RemoveContributorResult> {
  const handle = await client.workflow.start<(i: RemoveContributorInput) => Promise<RemoveContributorResult>>(
    REMOVE_CONTRIBUTOR_WORKFLOW,
    {
      args: [input],
      workflowId: removeContributorWorkflowId(input),
      taskQueue: wixTaskQueue(taskQueue),
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowExecutionTimeout: '2 minutes',
    },
  );
  try {
    return await handle.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError) throw new WixDidNotAnswer(err.cause?.message ?? err.message);
    throw err;
  }
}

export { ErasureRefused };

/**
 * A customer's right to erasure: the ledger removes or pseudonymizes the address (refusing while a handoff for it
 * runs), then Temporal's own copy of each ended handoff goes too, rather than waiting for its retention.
 */
export async function eraseCustomer(
  client: Client,
  namespace: string,
  ledger: Ledger,
  email: string,
  actor: string,
): Promise<ErasureResult & { temporalExecutions: number }> {
  const held: string[] = [];
  for await (const row of ledger.export({ email })) held.push(row.handoffId);
  const erased = await ledger.erase(email, { actor });
  let temporalExecutions = 0;
  for (const handoffId of held)
    if (await deleteClosedExecution(client, namespace, handoffId)) temporalExecutions++;
  return { ...erased, temporalExecutions };
}

/** Deletes the handoff's execution when it has closed; a running or forgotten one is left alone. */
export async function deleteClosedExecution(
  client: Client,
  namespace: string,
  handoffId: string,
): Promise<boolean> {
  try {
    const { status, runId } = await client.workflow.getHandle(handoffId).describe();
    if (status.name === 'RUNNING') return false;
    await client.workflowService.deleteWorkflowExecution({
      namespace,
      workflowExecution: { workflowId: handoffId, runId },
    });
    return true;
  } catch {
    return false;
  }
}
