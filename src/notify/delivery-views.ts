// What every surface shows of notifications (API, console, CLI): a handoff's deliveries with what became of each,
// and each endpoint's health, from the delivery log (and the configuration, when this process has one).
import type { Kysely } from 'kysely';
import {
  ENDPOINT_FAILING_AFTER_MS,
  deliveryState,
  endpointHealthReport,
  type DeliveryState,
  type EndpointHealthReport,
} from '../ledger/deliveries';
import type { LedgerDatabase } from '../ledger/schema';
import { loggedDeliveries, type DeliveryView, type Notifier } from './notifier';

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

/** What an attempt got: the status code, and the error when it says more than the code. */
export function attemptResult(statusCode: number | null, error: string | null, empty = '—'): string {
  if (statusCode === null) return error ?? empty;
  const code = `HTTP ${statusCode}`;
  return error && error !== code ? `${code}: ${error}` : code;
}

export interface EndpointDeliveries {
  name: string;
  /** webhook or slack, or 'no longer configured' for an endpoint only the log knows. */
  kind: string;
  /** Whether this process can redeliver to it. */
  configured: boolean;
  rows: DeliveryWithState[];
}

/** A handoff's deliveries grouped by endpoint: configured ones first, in their order; endpoints with none left out. */
export function deliveriesByEndpoint(view: HandoffDeliveries): EndpointDeliveries[] {
  const names = [
    ...new Set([...view.endpoints.map((e) => e.name), ...view.deliveries.map((d) => d.endpoint)]),
  ];
  return names.flatMap((name) => {
    const rows = view.deliveries.filter((d) => d.endpoint === name);
    const kind = view.endpoints.find((e) => e.name === name)?.kind;
    return rows.length
      ? [{ name, kind: kind ?? 'no longer configured', configured: kind !== undefined, rows }]
      : [];
  });
}
