// The notification delivery log: every attempt to deliver a handoff event to an endpoint, metadata only (no
// payload, no address), and the parts of the audit trail that notifications are built from.
import { sql, type Kysely } from 'kysely';
import type { LedgerDatabase, StoredStatus } from './schema';
import type { LedgerAuditEntry } from './types';

/** One attempt as the delivery activity logs it. */
export interface DeliveryAttemptWrite {
  /** The webhook-id: one per (endpoint, handoff, audit seq), the same for every attempt and redelivery. */
  deliveryId: string;
  /** The delivery workflow (one attempt series: the first, or a redelivery). */
  workflowId: string;
  attempt: number;
  handoffId: string;
  seq: number;
  endpoint: string;
  eventType: string;
  at: string;
  statusCode: number | null;
  /** Truncated; never a response body. */
  error: string | null;
  delivered: boolean;
  durationMs: number | null;
}

export interface DeliveryAttempt {
  workflowId: string;
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  delivered: boolean;
  durationMs: number | null;
}

/** Every attempt at one event for one endpoint, across redeliveries. */
export interface DeliveryLog {
  deliveryId: string;
  handoffId: string;
  seq: number;
  endpoint: string;
  eventType: string;
  delivered: boolean;
  deliveredAt: string | null;
  attempts: DeliveryAttempt[];
}

const ERROR_LIMIT = 300;

/** Logs an attempt; a repeated log of the same attempt (a retried activity) writes nothing. */
export async function recordDeliveryAttempt(
  db: Kysely<LedgerDatabase>,
  attempt: DeliveryAttemptWrite,
): Promise<void> {
  await db
    .insertInto('notification_attempts')
    .values({
      delivery_id: attempt.deliveryId,
      workflow_id: attempt.workflowId,
      attempt: attempt.attempt,
      handoff_id: attempt.handoffId,
      seq: attempt.seq,
      endpoint: attempt.endpoint,
      event_type: attempt.eventType,
      at: attempt.at,
      status_code: attempt.statusCode,
      error: attempt.error === null ? null : attempt.error.slice(0, ERROR_LIMIT),
      delivered: attempt.delivered,
      duration_ms: attempt.durationMs,
    })
    .onConflict((oc) => oc.columns(['workflow_id', 'attempt']).doNothing())
    .execute();
}

/** A handoff's deliveries, in audit order then endpoint, each with its attempts oldest first. */
export async function deliveriesOf(db: Kysely<LedgerDatabase>, handoffId: string): Promise<DeliveryLog[]> {
  const rows = await db
    .selectFrom('notification_attempts')
    .selectAll()
    .where('handoff_id', '=', handoffId)
    .orderBy('seq')
    .orderBy('endpoint')
    .orderBy('at')
    .orderBy('attempt')
    .execute();
  const logs = new Map<string, DeliveryLog>();
  for (const row of rows) {
    let log = logs.get(row.delivery_id);
    if (!log) {
      log = {
        deliveryId: row.delivery_id,
        handoffId: row.handoff_id,
        seq: row.seq,
        endpoint: row.endpoint,
        eventType: row.event_type,
        delivered: false,
        deliveredAt: null,
        attempts: [],
      };
      logs.set(row.delivery_id, log);
    }
    const at = row.at.toISOString();
    if (row.delivered && !log.delivered) Object.assign(log, { delivered: true, deliveredAt: at });
    log.attempts.push({
      workflowId: row.workflow_id,
      attempt: row.attempt,
      at,
      statusCode: row.status_code,
      error: row.error,
      delivered: row.delivered,
      durationMs: row.duration_ms,
    });
  }
  return [...logs.values()];
}

/** Per endpoint since `since`: attempts, failures, the last success and the last attempt, for endpoint health. */
export async function endpointHealth(
  db: Kysely<LedgerDatabase>,
  since: string,
): Promise<
  {
    endpoint: string;
    attempts: number;
    failed: number;
    lastAttemptAt: string;
    lastDeliveredAt: string | null;
  }[]
> {
  const rows = await db
    .selectFrom('notification_attempts')
    .select((eb) => [
      'endpoint',
      eb.fn.countAll<string>().as('attempts'),
      sql<string>`count(*) filter (where not delivered)`.as('failed'),
      eb.fn.max('at').as('last_attempt_at'),
      sql<Date | null>`max(at) filter (where delivered)`.as('last_delivered_at'),
    ])
    .where('at', '>=', new Date(since))
    .groupBy('endpoint')
    .orderBy('endpoint')
    .execute();
  return rows.map((r) => ({
    endpoint: r.endpoint,
    attempts: Number(r.attempts),
    failed: Number(r.failed),
    lastAttemptAt: new Date(r.last_attempt_at).toISOString(),
    lastDeliveredAt: r.last_delivered_at === null ? null : new Date(r.last_delivered_at).toISOString(),
  }));
}

/**
 * Audit entries before `beforeSeq` whose event is one of `events` or starts with one of `prefixes`: what a
 * notification needs to know of earlier writes (who asked for the revoke, whether the handoff already started).
 */
export async function auditEntriesBefore(
  db: Kysely<LedgerDatabase>,
  handoffId: string,
  beforeSeq: number,
  filter: { events: readonly string[]; prefixes: readonly string[]; suffixes: readonly string[] },
): Promise<LedgerAuditEntry[]> {
  if (beforeSeq <= 0) return [];
  const rows = await db
    .selectFrom('handoff_audit')
    .select(['seq', 'at', 'event', 'actor', 'detail'])
    .where('handoff_id', '=', handoffId)
    .where('seq', '<', beforeSeq)
    .where((eb) =>
      eb.or([
        ...(filter.events.length ? [eb('event', 'in', [...filter.events])] : []),
        ...filter.prefixes.map((p) => eb('event', 'like', `${escapeLike(p)}%`)),
        ...filter.suffixes.map((s) => eb('event', 'like', `%${escapeLike(s)}`)),
      ]),
    )
    .orderBy('seq')
    .execute();
  return rows.map(toEntry);
}

/** A handoff's whole trail with its stored status, for rebuilding its notifications; undefined if unknown. */
export async function notificationSource(
  db: Kysely<LedgerDatabase>,
  handoffId: string,
): Promise<{ status: StoredStatus; audit: LedgerAuditEntry[] } | undefined> {
  const row = await db
    .selectFrom('handoffs')
    .select('status')
    .where('handoff_id', '=', handoffId)
    .executeTakeFirst();
  if (!row) return undefined;
  const rows = await db
    .selectFrom('handoff_audit')
    .select(['seq', 'at', 'event', 'actor', 'detail'])
    .where('handoff_id', '=', handoffId)
    .orderBy('seq')
    .execute();
  return { status: row.status, audit: rows.map(toEntry) };
}

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, '\\$&');

function toEntry(r: {
  seq: number;
  at: Date;
  event: string;
  actor: string;
  detail: string | null;
}): LedgerAuditEntry {
  return {
    seq: r.seq,
    at: r.at.toISOString(),
    event: r.event,
    actor: r.actor,
    ...(r.detail !== null ? { detail: r.detail } : {}),
  };
}
