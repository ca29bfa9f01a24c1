// Types shared by the workflow, the invite machine, the activities and the callers.
// Kept free of imports so the machine stays testable with plain Jest and bundles into the sandbox.

/** A duration in the Temporal SDK's string form ('2 days', '6h', '3s') or milliseconds. */
export type DurationInput = string | number;

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** The customer's hours: reminders due outside them wait for the next opening, in the customer's time zone. */
export interface SendWindow {
  /** An IANA zone name such as Europe/Berlin. */
  timeZone: string;
  /** Local opening and closing times, HH:MM, from before to. */
  from: string;
  to: string;
  days: Weekday[];
}

export interface HandoffPolicyInput {
  /** Offsets from the invite (or its renewal) at which a reminder is sent. */
  reminders?: DurationInput[];
  /**
   * How often Wix contributors are checked for an acceptance once the checks after an email are used up (the
   * quiet-period rate); with no checksAfterEmail, the only rate (the fixed poll older handoffs run).
   */
  acceptancePoll?: DurationInput;
  /** Contributors checks at these offsets after every email the handoff sends; [] for the fixed poll only. */
  checksAfterEmail?: DurationInput[];
  /** How many times an expired invite is renewed by a resend before the handoff ends as expired. */
  maxRenewals?: number;
  /** A last reminder this long before the invite lapses (DocuSign's "expire warn"), e.g. '3 days'. */
  expiryWarning?: DurationInput;
  sendWindow?: SendWindow;
  /** Escalate when nobody has accepted this long after the first invite (default 7 days); null turns it off. */
  escalateAfter?: DurationInput | null;
  /** Who is told in the handoff.escalated event: an account manager's email or a Slack channel such as #accounts. */
  escalateTo?: string;
  /** Which endings also escalate (default all three); [] escalates only for lack of acceptance. */
  escalateOn?: EscalationTrigger[];
}

export type CheckReason = 'after an email' | 'quiet period' | 'requested by staff' | 'Wix hint received';

/** The actor of a check asked for by Wix's Contributor Created webhook. */
export const WIX_HINT_ACTOR = 'wix-webhook';

/** Why a handoff was escalated; each cause escalates at most once per handoff. */
export type EscalationCause = 'no_acceptance' | 'expired' | 'failed' | 'needs_attention';
export type EscalationTrigger = Exclude<EscalationCause, 'no_acceptance'>;
export const ESCALATION_TRIGGERS: readonly EscalationTrigger[] = ['expired', 'failed', 'needs_attention'];

export interface Escalation {
  cause: EscalationCause;
  at: number;
  /** The policy's escalateTo when it happened. */
  to?: string;
}

/** Payload of the `projectCompleted` signal: what the agency's project tool knows at completion. */
export interface ProjectCompleted {
  projectId: string;
  siteId: string;
  customerEmails: string[];
  /** A Wix role title such as 'Admin (Co-Owner)' or 'Website Manager', or a role id. */
  role: string;
  language?: string;
  policy?: HandoffPolicyInput;
}

export interface ResolvedPolicy {
  reminderOffsetsMs: number[];
  acceptancePollMs: number;
  /** Absent in handoffs begun before adaptive checks (they keep the fixed poll). */
  checkAfterEmailMs?: number[];
  maxRenewals: number;
  expiryWarningMs?: number;
  sendWindow?: SendWindow;
  escalateAfterMs?: number;
  escalateTo?: string;
  escalateOn?: EscalationTrigger[];
}

export interface RevokeRequest {
  reason: string;
  actor: string;
}

export interface AcceptedNotice {
  email: string;
  actor: string;
  accountId?: string;
}

export interface ResendRequest {
  actor: string;
  /** One invitee; all pending invitees when left out. */
  email?: string;
}

export interface RetryRequest {
  actor: string;
}

/** A change staff make to a running handoff; the machine decides whether the handoff's state allows it. */
export type HandoffChange =
  | { kind: 'addInvitee'; email: string }
  | { kind: 'removeInvitee'; email: string }
  /** Invites the new address first and revokes the old invite only once the new one is out. */
  | { kind: 'replaceInvitee'; email: string; newEmail: string; reason?: string }
  | { kind: 'pause'; reason?: string }
  | { kind: 'resume' }
  | { kind: 'checkAcceptance' }
  | { kind: 'changePolicy'; policy: HandoffPolicyInput };

export type ChangeRequest = HandoffChange & { actor: string };

/** A new run for a site whose previous handoff ended (revoked, expired, failed): what links the two. */
export interface RestartInput {
  previousRunId: string;
  /** How the previous run ended. */
  previousState: string;
  reason: string;
  actor: string;
  /** Audit entries the previous runs recorded: the new run numbers on from here, so the ledger keeps them all. */
  auditCount: number;
}

/** States a user sees; the machine's top-level state names. The API and the CLI validate against this list. */
export const HANDOFF_STATES = [
  'awaitingProject',
  'inviting',
  'pending',
  'revoking',
  'accepted',
  'revoked',
  'expired',
  'failed',
] as const;
export type HandoffState = (typeof HANDOFF_STATES)[number];

export const FINAL_STATES: readonly HandoffState[] = ['accepted', 'revoked', 'expired'];

/** How long a Wix invite lasts when Wix does not say (Wix help centre: 30 days). */
export const INVITE_VALIDITY_MS = 30 * 24 * 3600 * 1000;

/** One invite Bulk Invite created: what the handoff keeps, since Wix cannot list invites later. */
export interface SentInvite {
  email: string;
  inviteId: string;
  expiresAt: number;
  /** Wix's acceptLink, for staff to copy while the invite is pending; never written to the ledger. */
  inviteLink?: string;
}

/** ApplicationFailure types a refused or invalid staff request fails with; the client maps each to one error. */
export const REQUEST_REFUSED = 'HandoffRequestRefused';
export const REQUEST_INVALID = 'InvalidHandoffRequest';

export type InviteeStatus =
  /** Known to the handoff, Bulk Invite not yet called for it. */
  | 'toInvite'
  | 'pending'
  | 'accepted'
  | 'expired'
  | 'revoked'
  /** Wix refused this address or its invite; staff can retry once fixed. */
  | 'failed'
  /** Bulk Invite may or may not have reached Wix: an email may exist whose invite id we never got. */
  | 'unconfirmed'
  /** Taken off the handoff by staff (removed or replaced); its invite, if any, revoked at Wix. */
  | 'removed';

export interface Invitee {
  email: string;
  status: InviteeStatus;
  inviteId?: string;
  invitedAt?: number;
  /** Start of the current reminder schedule: the invite, or its latest renewal. */
  cycleStartedAt?: number;
  expiresAt?: number;
  remindersSent: number;
  renewals: number;
  reminderDue: boolean;
  renewalDue: boolean;
  acceptedAt?: number;
  acceptedByAccountId?: string;
  acceptedBy?: string;
  problem?: string;
  inviteLink?: string;
  /** Staff removed (or replaced) this invitee: its pending invite is revoked at Wix next. */
  removalDue?: boolean;
  /** The address this invitee replaces, and the one that replaced it. */
  replaces?: string;
  replacedBy?: string;
  /** Reminders passed over while reminders were paused, so a resume sends at most one catch-up. */
  skippedReminders?: number;
}

export interface AuditEntry {
  at: string;
  event: string;
  actor: string;
  detail?: string;
}

export interface InviteeStatusView {
  email: string;
  status: InviteeStatus;
  inviteId: string | null;
  expiresAt: string | null;
  remindersSent: number;
  renewals: number;
  acceptedAt: string | null;
  problem: string | null;
  /** While the invite is pending and Wix gave one: the link staff can copy to the customer. */
  inviteLink?: string;
  replaces?: string;
  replacedBy?: string;
}

/** What the `status` query returns: plain JSON. */
export interface HandoffStatus {
  state: HandoffState;
  siteId: string | null;
  projectId: string | null;
  role: string | null;
  roleId: string | null;
  invitees: InviteeStatusView[];
  remindersSent: number;
  nextReminderAt: string | null;
  /** When Wix contributors are next checked for an acceptance, and why then. */
  nextCheckAt?: string | null;
  nextCheckReason?: CheckReason | null;
  failure: string | null;
  lastRefusal: { at: string; request: string; reason: string } | null;
  /** Things staff must look at, e.g. a contributor still on the site after a revoke. */
  alerts: string[];
  /** Reminders paused by staff: since when, by whom, why. The invite's own expiry still counts. */
  paused?: { since: string; actor: string; reason: string | null } | null;
  /** This run restarted a handoff that had ended: the previous run, how it ended, why it was restarted. */
  restartOf?: { runId: string; state: string; reason: string; actor: string } | null;
  /** Each time the handoff was escalated to a person: once per cause. */
  escalations?: { cause: EscalationCause; at: string; to: string | null }[];
  /** When it will escalate for lack of acceptance, if it will. */
  escalationDueAt?: string | null;
  /** The reminder policy in force (after any change by staff). */
  policy?: ResolvedPolicy;
  audit: AuditEntry[];
}
