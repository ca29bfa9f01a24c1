// Routes over notification deliveries: what each endpoint was sent for a handoff, and redelivery.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HandoffNotFound, toWorkflowId } from '../handoff-client';
import type { Ledger } from '../ledger';
import { loggedDeliveries, RedeliveryRefused, type Notifier } from '../notify';
import { HttpError } from './http-error';

type Guard = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;

export interface NotificationRoutesOptions {
  ledger: Pick<Ledger, 'db'>;
  /** Unset: notifications are not configured here; the log still shows what other processes delivered. */
  notifier?: Notifier;
  staffOnly: Guard;
}

const DELIVERY_ID = /^msg_[0-9a-f]{32}$/;

export function registerNotificationRoutes(app: FastifyInstance, options: NotificationRoutesOptions): void {
  const { ledger, notifier, staffOnly } = options;

  // Per endpoint and event: attempts, the last status or error, delivered or not (none yet: not attempted).
  app.get('/v1/handoffs/:id/deliveries', { preHandler: staffOnly }, async (request) => {
    const handoffId = toWorkflowId((request.params as { id: string }).id);
    const deliveries = notifier
      ? await notifier.deliveries(handoffId)
      : await loggedDeliveries(ledger.db, handoffId);
    if (deliveries === undefined) throw new HandoffNotFound(handoffId);
    return {
      handoffId,
      endpoints: notifier ? notifier.endpoints.map((e) => ({ name: e.name, kind: e.kind })) : [],
      deliveries,
    };
  });

  // A new attempt series with the same webhook-id: a receiver that already has the event sees a duplicate.
  app.post(
    '/v1/handoffs/:id/deliveries/:deliveryId/redeliver',
    { preHandler: staffOnly },
    async (request, reply) => {
      const params = request.params as { id: string; deliveryId: string };
      const handoffId = toWorkflowId(params.id);
      if (!DELIVERY_ID.test(params.deliveryId))
        throw new HttpError(400, 'deliveryId must be a webhook-id such as msg_<32 hex digits>');
      if (!notifier)
        throw new HttpError(
          409,
          'Notifications are not configured: set HANDOFF_NOTIFY_WEBHOOK_URL or HANDOFF_NOTIFY_CONFIG',
        );
      try {
        const started = await notifier.redeliver(handoffId, params.deliveryId);
        return reply.status(202).send({
          ...started,
          deliveries: `/v1/handoffs/${handoffId}/deliveries`,
        });
      } catch (err) {
        if (err instanceof RedeliveryRefused) throw new HttpError(err.statusCode, err.message);
        throw err;
      }
    },
  );
}
