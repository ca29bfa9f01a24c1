// Routes over notification deliveries: what each endpoint was sent for a handoff, redelivery, and endpoint health.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { HandoffNotFound, toWorkflowId } from '../handoff-client';
import type { Ledger } from '../ledger';
import {
  ENDPOINT_FAILING_AFTER_MS,
  deliveryState,
  endpointHealthReport,
  type DeliveryState,
  type EndpointHealthReport,
} from '../ledger/deliveries';
import type { LedgerDatabase } from '../ledger/schema';
import { loggedDeliveries, RedeliveryRefused, type DeliveryView, type Notifier } from '../notify';
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

export const DELIVERY_ID = /^msg_[0-9a-f]{32}$/;

export const NOT_CONFIGURED =
  'Notifications are not configured: set HANDOFF_NOTIFY_WEBHOOK_URL or HANDOFF_NOTIFY_CONFIG';

/** A delivery as every surface shows it: the view, and what became of it (see deliveryState). */
export type DeliveryWithState = DeliveryView & { state: DeliveryState };

export interface HandoffDeliveries {
  handoffId: string;
  /** The endpoints configured here (none: not configured). */
  endpoints: { name: string; kind: string }[];
  deliveries: DeliveryWithState[];
}

/** A handoff's deliveries under this process's configuration (or the log alone); undefined for no such handoff. */
export async function handoffDeliveries(
  db: Kysely<LedgerDatabase>,
  notifier: Notifier | undefined,
  handoffId: string,
): Promise<HandoffDeliveries | undefined> {
  const deliveries = notifier ? await notifier.deliveries(handoffId) : await loggedDeliveries(db, handoffId);
  if (deliveries === undefined) return undefined;
  const now = Date.now();
  return {
    handoffId,
    endpoints: notifier ? notifier.endpoints.map((e) => ({ name: e.name, kind: e.kind })) : [],
    deliveries: deliveries.map((d) => ({ ...d, state: deliveryState(d, now) })),
  };
}

export type EndpointHealthView = EndpointHealthReport & {
  /** webhook or slack when configured here; null for an endpoint only the log knows (since removed, or elsewhere). */
  kind: string | null;
  configured: boolean;
};

export interface NotificationEndpointsHealth {
  /** Whether this process has notification endpoints configured. */
  configured: boolean;
  /** The window of `attempts` and `failed`, and how long without a success makes a failing endpoint fail. */
  windowHours: number;
  rule: string;
  endpoints: EndpointHealthView[];
}

export const FAILING_RULE =
  'failing: the latest attempt failed and no attempt succeeded in the last 24 hours (or ever); ' +
  'degraded: the latest attempt failed but one succeeded within 24 hours; healthy: the latest attempt succeeded';

/** Every endpoint's health from the delivery log, the configured ones first in their configured order. */
export async function notificationEndpointsHealth(
  db: Kysely<LedgerDatabase>,
  notifier: Notifier | undefined,
): Promise<NotificationEndpointsHealth> {
  const configured = notifier?.endpoints ?? [];
  const reports = await endpointHealthReport(db, { configured: configured.map((e) => e.name) });
  const order = new Map(configured.map((e, n) => [e.name, n]));
  const endpoints = reports
    .map((r) => {
      const kind = configured.find((e) => e.name === r.endpoint)?.kind ?? null;
      return { ...r, kind, configured: kind !== null };
    })
    .sort(
      (a, b) =>
        (order.get(a.endpoint) ?? Infinity) - (order.get(b.endpoint) ?? Infinity) ||
        a.endpoint.localeCompare(b.endpoint),
    );
  return {
    configured: configured.length > 0,
    windowHours: ENDPOINT_FAILING_AFTER_MS / 3600_000,
    rule: FAILING_RULE,
    endpoints,
  };
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
