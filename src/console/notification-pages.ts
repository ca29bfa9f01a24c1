// Console routes for notifications: redelivering one event to one endpoint, behind a confirmation page. The log
// itself is on the handoff's page (handoff-pages.ts) and endpoint health on the overview (ledger-pages.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HandoffNotFound, toWorkflowId } from '../handoff-client';
import {
  DELIVERY_ID,
  NOT_CONFIGURED,
  handoffDeliveries,
  type DeliveryWithState,
} from '../notify/delivery-views';
import { RedeliveryRefused } from '../notify';
import type { ConsoleContext } from './context';
import { actorName } from './session';
import { RedeliverPage } from './pages/notifications';

export function registerNotificationPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const { ledger } = ctx.options;
  const { notifier } = ctx;
  const route = '/console/handoffs/:id/deliveries/:deliveryId/redeliver';

  const load = async (
    request: FastifyRequest,
  ): Promise<{ handoffId: string; delivery: DeliveryWithState }> => {
    const params = request.params as { id: string; deliveryId: string };
    const handoffId = toWorkflowId(params.id);
    if (!DELIVERY_ID.test(params.deliveryId))
      throw Object.assign(new Error('A webhook-id looks like msg_ and 32 hex digits.'), { statusCode: 404 });
    const deliveries = await handoffDeliveries(ledger.db, notifier, handoffId);
    if (!deliveries) throw Object.assign(new HandoffNotFound(handoffId), { statusCode: 404 });
    const delivery = deliveries.deliveries.find((d) => d.deliveryId === params.deliveryId);
    if (!delivery)
      throw Object.assign(new Error(`This handoff has no delivery ${params.deliveryId}.`), {
        statusCode: 404,
      });
    return { handoffId, delivery };
  };

  const page = (
    request: FastifyRequest,
    reply: FastifyReply,
    loaded: { handoffId: string; delivery: DeliveryWithState },
    refused?: string,
    status = 200,
  ) =>
    ctx.send(
      reply,
      RedeliverPage({
        frame: ctx.frame(request, reply, 'handoffs'),
        ...loaded,
        configured: notifier !== undefined,
        ...(refused ? { refused } : {}),
      }),
      status,
    );

  scope.get(route, { preHandler: ctx.staffOnly }, async (request, reply) =>
    page(request, reply, await load(request)),
  );

  scope.post(route, { preHandler: [ctx.staffOnly, ctx.csrf] }, async (request, reply) => {
    const loaded = await load(request);
    if (!notifier) return page(request, reply, loaded, `Refused: ${NOT_CONFIGURED}.`, 409);
    try {
      const started = await notifier.redeliver(loaded.handoffId, loaded.delivery.deliveryId);
      // Not in the handoff's audit trail (the workflow writes that): the service log says who asked.
      request.log.info(
        { actor: actorName(request.staff), handoffId: loaded.handoffId, ...started },
        'redelivery requested from the console',
      );
    } catch (err) {
      if (err instanceof RedeliveryRefused)
        return page(request, reply, loaded, `Refused: ${err.message}.`, err.statusCode);
      throw err;
    }
    return reply.redirect(`/console/handoffs/${encodeURIComponent(loaded.handoffId)}?done=redeliver`, 303);
  });
}
