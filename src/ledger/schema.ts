// The ledger's tables as Kysely sees them; migrations/ creates them, nothing else defines their shape.
import type { ColumnType } from 'kysely';
import type { HandoffStatus } from '../../workflows/handoff-types';

/** timestamptz(3) columns: pg parses them to Date; ISO strings are accepted on write. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null, Date | string | null>;

/** The status view kept for the read path: everything the status query returns except the audit trail. */
export type StoredStatus = Omit<HandoffStatus, 'audit'>;

export interface HandoffsTable {
  handoff_id: string;
  run_id: string;
  // int8: pg returns it as a string so no precision is lost; written as a number.
  version: ColumnType<string, number, number>;
  site_id: string | null;
  project_id: string | null;
  role: string | null;
  state: string;
  invitee_emails: string[];
  invite_ids: string[];
  started_at: Timestamp;
  ended_at: NullableTimestamp;
  last_activity_at: Timestamp;
  outcome: string | null;
  accepted_by: string | null;
  revoked_by: string | null;
  failure: string | null;
  // jsonb: written as JSON text (pg would turn a JS array into a Postgres array literal).
  status: ColumnType<StoredStatus, string, string>;
  recorded_at: ColumnType<Date, never, Date | string>;
}

export interface HandoffInviteesTable {
  handoff_id: string;
  email: string;
  status: string;
  invite_id: string | null;
  expires_at: NullableTimestamp;
  reminders_sent: number;
  renewals: number;
  accepted_at: NullableTimestamp;
  problem: string | null;
}

export interface HandoffAuditTable {
  handoff_id: string;
  seq: number;
  at: Timestamp;
  event: string;
  actor: string;
  detail: string | null;
}

/** One attempt to deliver a notification: metadata only (no payload, no address), so erasure need not touch it. */
export interface NotificationAttemptsTable {
  delivery_id: string;
  workflow_id: string;
  attempt: number;
  handoff_id: string;
  seq: number;
  endpoint: string;
  event_type: string;
  at: Timestamp;
  status_code: number | null;
  error: string | null;
  delivered: boolean;
  duration_ms: number | null;
}

export interface LedgerDatabase {
  handoffs: HandoffsTable;
  handoff_invitees: HandoffInviteesTable;
  handoff_audit: HandoffAuditTable;
  notification_attempts: NotificationAttemptsTable;
}

/** Every table holding personal data, for erasure checks and tests that scan them all (not notification_attempts). */
export const LEDGER_TABLES = [
  'handoffs',
  'handoff_invitees',
  'handoff_audit',
] as const satisfies readonly (keyof LedgerDatabase)[];

/** Tables holding no personal data (metadata only): erasure leaves them alone; a no-trace scan still reads them. */
export const LEDGER_METADATA_TABLES = [
  'notification_attempts',
] as const satisfies readonly (keyof LedgerDatabase)[];
