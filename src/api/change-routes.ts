// Routes that change a running handoff: invitees added, removed or replaced, reminders paused or resumed, the policy
// changed, acceptance checked now. Each is one Temporal update, decided by the workflow's machine.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '@temporalio/client';
import {
  HandoffNotFound,
  InvalidHandoffRequest,
  bulkChangeProgress,
  changeHandoff,
  startBulkChange,
  readHandoff,
  toWorkflowId,
} from '../handoff-client';
import type { Ledger } from '../ledger';
import type { HandoffChange } from '../../workflows/handoff-types';
import { HttpError } from './http-error';

type Guard = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;

export interface ChangeRoutesOptions {
  client: Client;
  taskQueue: string;
  ledger: Ledger;
  staffOnly: Guard;
  actorOf: (request: FastifyRequest) => string;
  bodyOf: (request: FastifyRequest) => Record<string, unknown>;
}

/** A client's Idempotency-Key becomes the update id: a retried request is the same change, taken once. */
function updateIdOf(request: FastifyRequest): string | undefined {
  const key = request.headers['idempotency-key'];
  const value = Array.isArray(key) ? key[0] : key;
  if (value === undefined) return undefined;
  if (!/^[\w.:-]{1,200}$/.test(value))
    throw new HttpError(400, 'Idempotency-Key must be 1 to 200 letters, digits or ._:-');
  return value;
}

export function registerChangeRoutes(app: FastifyInstance, options: ChangeRoutesOptions): void {
  const { client, staffOnly } = options;
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;

  /** 404 for an address the handoff never had, before asking the workflow. */
  const requireInvitee = async (request: FastifyRequest, email: string): Promise<void> => {
    const view = await readHandoff(client, options.ledger, idOf(request));
    if (!view) throw new HandoffNotFound(toWorkflowId(idOf(request)));
    if (!view.invitees.some((i) => i.email === email.trim().toLowerCase()))
      throw new HttpError(404, `${email} is not an invitee of ${view.handoffId}`);
  };

  const change = (request: FastifyRequest, what: HandoffChange) =>
    changeHandoff(
      client,
      idOf(request),
      { ...what, actor: options.actorOf(request) },
      {
        ...(updateIdOf(request) ? { updateId: updateIdOf(request) } : {}),
      },
    );

  // Shapes are checked by validateHandoffChange, which names each wrong field.
  const str = (v: unknown) => v as string;

  app.post('/v1/handoffs/:id/invitees', { preHandler: staffOnly }, async (request) => {
    const body = options.bodyOf(request);
    if (body.role !== undefined)
      throw new HttpError(
        400,
        'role: a handoff invites everyone with one role; revoke and restart for another',
      );
    return change(request, { kind: 'addInvitee', email: str(body.email) });
  });

  app.delete('/v1/handoffs/:id/invitees/:email', { preHandler: staffOnly }, async (request) => {
    const email = (request.params as { email: string }).email;
    await requireInvitee(request, email);
    return change(request, { kind: 'removeInvitee', email });
  });

  app.post('/v1/handoffs/:id/invitees/:email/replace', { preHandler: staffOnly }, async (request) => {
    const email = (request.params as { email: string }).email;
    const body = options.bodyOf(request);
    await requireInvitee(request, email);
    try {
      return await change(request, {
        kind: 'replaceInvitee',
        email,
        newEmail: str(body.email),
        ...(body.reason !== undefined ? { reason: str(body.reason) } : {}),
      });
    } catch (err) {
      // Here the new address is the body's `email`: name the field as the caller sent it.
      if (err instanceof InvalidHandoffRequest) {
        throw new InvalidHandoffRequest(
          err.problems.map((p) => p.replace(/^newEmail/, 'email')),
          err.what,
        );
      }
      throw err;
    }
  });

  app.post('/v1/handoffs/:id/pause', { preHandler: staffOnly }, async (request) => {
    const body = options.bodyOf(request);
    return change(request, {
      kind: 'pause',
      ...(body.reason !== undefined ? { reason: str(body.reason) } : {}),
    });
  });

  app.post('/v1/handoffs/:id/resume', { preHandler: staffOnly }, async (request) =>
    change(request, { kind: 'resume' }),
  );

  app.patch('/v1/handoffs/:id/policy', { preHandler: staffOnly }, async (request) => {
    const { actor: _actor, ...policy } = options.bodyOf(request);
    return change(request, { kind: 'changePolicy', policy });
  });

  // One change for every running handoff; answered at once with where to follow it.
  app.post('/v1/bulk-changes', { preHandler: staffOnly }, async (request, reply) => {
    const body = options.bodyOf(request);
    const change = body.change;
    if (typeof change !== 'object' || change === null || Array.isArray(change))
      throw new HttpError(
        400,
        'Send {"change": {"kind": "changePolicy" | "pause" | "resume" | "checkAcceptance", …}}',
      );
    const id = await startBulkChange(
      client,
      { ...(change as HandoffChange), actor: options.actorOf(request) },
      { taskQueue: options.taskQueue, ...(updateIdOf(request) ? { id: updateIdOf(request) } : {}) },
    );
    return reply.status(202).send({ bulkChangeId: id, progress: `/v1/bulk-changes/${id}` });
  });

  app.get('/v1/bulk-changes/:id', { preHandler: staffOnly }, async (request) => {
    const id = (request.params as { id: string }).id;
    const progress = await bulkChangeProgress(client, id);
    if (!progress) throw new HttpError(404, `No bulk change ${id}`);
    return progress;
  });

  app.post('/v1/handoffs/:id/check-acceptance', { preHandler: staffOnly }, async (request) =>
    change(request, { kind: 'checkAcceptance' }),
  );
}
