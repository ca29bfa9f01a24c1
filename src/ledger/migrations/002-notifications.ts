// Notification deliveries: one row per attempt to deliver a handoff event to an endpoint, metadata only.
import { sql, type Kysely } from 'kysely';

// Migrations are frozen history: they take an untyped database so later schema types cannot change them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notification_attempts')
    // The webhook-id receivers deduplicate by: one per (endpoint, handoff, audit seq), kept across redeliveries.
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    // The delivery workflow: the first series, or a redelivery's.
    .addColumn('workflow_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('handoff_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('delivered', 'boolean', (c) => c.notNull())
    .addColumn('duration_ms', 'integer')
    // A retried activity that already logged its attempt logs nothing twice.
    .addPrimaryKeyConstraint('notification_attempts_pk', ['workflow_id', 'attempt'])
    .execute();
  await db.schema
    .createIndex('notification_attempts_handoff')
    .on('notification_attempts')
    .columns(['handoff_id', 'seq'])
    .execute();
  // Endpoint health over time: the latest attempts per endpoint.
  await db.schema
    .createIndex('notification_attempts_endpoint_at')
    .on('notification_attempts')
    .columns(['endpoint', 'at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('notification_attempts').execute();
}
