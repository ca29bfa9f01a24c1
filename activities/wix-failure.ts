import { ApplicationFailure } from '@temporalio/activity';
import { WixApiError } from '../src/wix/client/errors';

/** Failure types the workflow tells apart; the names are part of recorded histories, so keep them stable. */
export const WIX_REFUSED = 'WixRefused';
export const WIX_UNAVAILABLE = 'WixUnavailable';
export const WIX_OUTCOME_UNKNOWN = 'WixOutcomeUnknown';

export interface WixFailureDetails {
  kind: string;
  status: number | null;
  operation: string;
  /** Wix's Retry-After in ms (429 and 503), so a workflow running the call once can wait it out itself. */
  retryAfterMs: number | null;
}

/**
 * Turns a Wix error into the ApplicationFailure the workflow acts on.
 * `sendsEmail`: Bulk Invite and Resend have no idempotency key, so a call that may have reached Wix
 * is reported as outcome-unknown and is never retried blindly.
 */
export function toWixFailure(err: unknown, { sendsEmail }: { sendsEmail: boolean }): ApplicationFailure {
  if (!(err instanceof WixApiError)) {
    // Only a programming error lands here; its message cannot carry the key (the client never throws raw axios errors).
    return ApplicationFailure.nonRetryable(err instanceof Error ? err.message : String(err), WIX_REFUSED);
  }
  const details: WixFailureDetails = {
    kind: err.kind,
    status: err.status ?? null,
    operation: err.operation,
    retryAfterMs: err.retryAfterMs ?? null,
  };
  if (!err.retryable) return ApplicationFailure.nonRetryable(err.message, WIX_REFUSED, details);
  if (sendsEmail && err.mayHaveBeenProcessed) {
    return ApplicationFailure.nonRetryable(err.message, WIX_OUTCOME_UNKNOWN, details);
  }
  return ApplicationFailure.create({
    message: err.message,
    type: WIX_UNAVAILABLE,
    nonRetryable: false,
    details: [details],
    nextRetryDelay: err.retryAfterMs,
  });
}
