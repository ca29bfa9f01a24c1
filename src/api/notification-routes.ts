// Routes over notification deliveries: what each endpoint was sent for a handoff, redelivery, and endpoint health.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HandoffNotFound, toWorkflowId } from '../handoff-client';
import type { Ledger } from '../ledger';
import { RedeliveryRefused, type Notifier } from '../notify';
import {
  DELIVERY_ID,
  NOT_CONFIGURED,
  handoffDeliveries,
  notificationEndpointsHealth,
} from '../notify/delivery-views';
import { HttpError } from './http-error';

type Guard = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;

export interface NotificationRoutesOptions {
  ledger: Pick<Ledger, 'db'>;
  /** Unset: notifications are not configured here; the log still shows what other processes delivered. */
  notifier?: Notifier;
  staffOnly: Guard;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The notifier these routes were given, so the console (registered on the same app) shows the same log. */
    handoffNotifier: Notifier | null;
  }
}

export function registerNotificationRoutes(app: FastifyInstance, options: NotificationRoutesOptions): void {
  const { ledger, notifier, staffOnly } = options;
  app.decorate('handoffNotifier', notifier ?? null);

  // Per endpoint and event: attempts, the last status or error, delivered or not (none yet: not attempted).
  app.get('/v1/handoffs/:id/deliveries', { preHandler: staffOnly }, async (request) => {
    const handoffId = toWorkflowId((request.params as { id: string }).id);
    const deliveries = await handoffDeliveries(ledger.db, notifier, handoffId);
    if (deliveries === undefined) throw new HandoffNotFound(handoffId);
    return deliveries;
  });

  // Each endpoint's health: attempts and failures in the last 24 hours, the last success, the latest failure.
  app.get('/v1/notifications/endpoints', { preHandler: staffOnly }, async () =>
    notificationEndpointsHealth(ledger.db, notifier),
  );

  // A new attempt series with the same webhook-id: a receiver that already has the event sees a duplicate.
  app.post(
    '/v1/handoffs/:id/deliveries/:deliveryId/redeliver',
    { preHandler: staffOnly },
    async (request, reply) => {
      const params = request.params as { id: string; deliveryId: string };
      const handoffId = toWorkflowId(params.id);
      if (!DELIVERY_ID.test(params.deliveryId))
        throw new HttpError(400, 'deliveryId must be a webhook-id such as msg_<32 hex digits>');
      if (!notifier) throw new HttpError(409, NOT_CONFIGURED);
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
