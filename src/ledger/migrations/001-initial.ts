// The first ledger schema: one row per handoff, per invitee and per audit entry.
import { sql, type Kysely } from 'kysely';

// Migrations are frozen history: they take an untyped database so later schema types cannot change them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('handoffs')
    .addColumn('handoff_id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('version', 'int8', (c) => c.notNull())
    .addColumn('site_id', 'text')
    .addColumn('project_id', 'text')
    .addColumn('role', 'text')
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('invitee_emails', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('invite_ids', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    // Millisecond precision, as JavaScript dates have: a cursor built from a read value matches it exactly.
    .addColumn('started_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('ended_at', sql`timestamptz(3)`)
    .addColumn('last_activity_at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('accepted_by', 'text')
    .addColumn('revoked_by', 'text')
    .addColumn('failure', 'text')
    .addColumn('status', 'jsonb', (c) => c.notNull())
    .addColumn('recorded_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  // Keyset pages: each sort key with the id as tie-breaker, alone and behind the filters lists use most.
  await db.schema
    .createIndex('handoffs_started')
    .on('handoffs')
    .columns(['started_at', 'handoff_id'])
    .execute();
  await db.schema
    .createIndex('handoffs_last_activity')
    .on('handoffs')
    .columns(['last_activity_at', 'handoff_id'])
    .execute();
  await db.schema
    .createIndex('handoffs_state_started')
    .on('handoffs')
    .columns(['state', 'started_at', 'handoff_id'])
    .execute();
  await db.schema
    .createIndex('handoffs_state_last_activity')
    .on('handoffs')
    .columns(['state', 'last_activity_at', 'handoff_id'])
    .execute();
  await db.schema
    .createIndex('handoffs_project_started')
    .on('handoffs')
    .columns(['project_id', 'started_at', 'handoff_id'])
    .execute();
  await db.schema
    .createIndex('handoffs_site_started')
    .on('handoffs')
    .columns(['site_id', 'started_at', 'handoff_id'])
    .execute();

  await db.schema
    .createTable('handoff_invitees')
    .addColumn('handoff_id', 'text', (c) => c.notNull().references('handoffs.handoff_id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('invite_id', 'text')
    .addColumn('expires_at', sql`timestamptz(3)`)
    .addColumn('reminders_sent', 'integer', (c) => c.notNull())
    .addColumn('renewals', 'integer', (c) => c.notNull())
    .addColumn('accepted_at', sql`timestamptz(3)`)
    .addColumn('problem', 'text')
    .addPrimaryKeyConstraint('handoff_invitees_pk', ['handoff_id', 'email'])
    .execute();
  // Search by address and erasure match case-insensitively.
  await db.schema
    .createIndex('handoff_invitees_email')
    .on('handoff_invitees')
    .expression(sql`lower(email)`)
    .execute();

  await db.schema
    .createTable('handoff_audit')
    .addColumn('handoff_id', 'text', (c) => c.notNull().references('handoffs.handoff_id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('at', sql`timestamptz(3)`, (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    // (handoff_id, seq) is the idempotency key of an audit entry.
    .addPrimaryKeyConstraint('handoff_audit_pk', ['handoff_id', 'seq'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('handoff_audit').execute();
  await db.schema.dropTable('handoff_invitees').execute();
  await db.schema.dropTable('handoffs').execute();
}
