// The ledger's public shapes: what a write carries, and what the read path returns.
import type {
  AuditEntry,
  HandoffState,
  HandoffStatus,
  InviteeStatusView,
} from '../../workflows/handoff-types';
import type { StoredStatus } from './schema';

export type { StoredStatus };

export interface LedgerAuditWrite {
  /** Absolute per handoff: (handoffId, seq) is the idempotency key. */
  seq: number;
  at: string;
  event: string;
  actor: string;
  detail?: string;
}

export interface LedgerWrite {
  handoffId: string;
  runId: string;
  /** Monotonic per handoff across its runs; a write older than the stored one never overwrites it. */
  version: number;
  /** The status view; its `audit` field, if any, is ignored (entries come in `audit`). */
  status: StoredStatus & { audit?: HandoffStatus['audit'] };
  startedAt: string;
  endedAt: string | null;
  /** Entries not yet acknowledged; repeats are ignored. */
  audit: LedgerAuditWrite[];
}

export interface RecordResult {
  /** Whether the handoff's view was replaced (false for a repeated or older write). */
  applied: boolean;
  /** Audit entries that were new. */
  auditInserted: number;
}

/** `get`: the API's status shape, the audit trail from the ledger, and the run facts. */
export type LedgerHandoff = HandoffStatus & {
  handoffId: string;
  runId: string;
  startedAt: string;
  endedAt: string | null;
};

/** One row of a list or an export. */
export interface LedgerSummary {
  handoffId: string;
  runId: string;
  version: number;
  state: HandoffState;
  siteId: string | null;
  projectId: string | null;
  role: string | null;
  inviteeEmails: string[];
  inviteIds: string[];
  startedAt: string;
  endedAt: string | null;
  lastActivityAt: string;
  outcome: string | null;
  acceptedBy: string | null;
  revokedBy: string | null;
  failure: string | null;
  /** From the stored status: when the next reminder goes out, while one is due. */
  nextReminderAt: string | null;
  /** The earliest expiry among pending invites. */
  expiresAt: string | null;
  /** Failed, or holding an alert staff must look at. */
  needsStaff: boolean;
}

export interface LedgerFilter {
  state?: HandoffState;
  /** Only handoffs that are failed or hold an alert. */
  needsStaff?: boolean;
  /** Matches any invitee of the handoff: exact address, case-insensitive. */
  email?: string;
  siteId?: string;
  projectId?: string;
  /** Inclusive lower bound on the start (ISO). */
  startedFrom?: string;
  /** Exclusive upper bound on the start (ISO). */
  startedTo?: string;
}

export type LedgerSort = 'started' | 'lastActivity';
export type LedgerOrder = 'asc' | 'desc';

export interface LedgerListQuery extends LedgerFilter {
  sort: LedgerSort;
  /** Default 'desc': newest first. */
  order?: LedgerOrder;
  /** 1 to 500. */
  limit: number;
  /** `nextCursor` of the previous page, with the same sort and order. */
  cursor?: string;
}

export interface LedgerPage {
  items: LedgerSummary[];
  /** Absent on the last page. */
  nextCursor?: string;
}

export interface LedgerExportQuery extends LedgerFilter {
  sort?: LedgerSort;
  order?: LedgerOrder;
  /** Rows fetched per query (default 500). */
  pageSize?: number;
}

/** An invitee as the status shows it. */
export type LedgerInvitee = InviteeStatusView;

export interface LedgerAuditEntry extends AuditEntry {
  seq: number;
}

/** A self-contained record of one handoff an agency can archive. */
export interface LedgerAuditRecord {
  format: 'site-handoff.ledger.audit-record';
  formatVersion: 1;
  generatedAt: string;
  handoff: LedgerSummary;
  status: StoredStatus;
  invitees: LedgerInvitee[];
  audit: LedgerAuditEntry[];
}

export interface ErasureResult {
  handoffs: number;
  invitees: number;
  auditEntries: number;
}

/** The overview over handoffs started in a range: the acceptance funnel, time to accept, starts per week. */
export interface LedgerOverview {
  funnel: {
    started: number;
    invited: number;
    reminded: number;
    accepted: number;
    expired: number;
    revoked: number;
    failed: number;
    /** Still running (pending, inviting, revoking). */
    open: number;
  };
  timeToAccept: { buckets: { label: string; count: number }[]; medianHours: number | null };
  /** Monday of each ISO week (UTC) with its number of starts; weeks without any are left out. */
  startedPerWeek: { week: string; count: number }[];
}
