// The one error type the Wix client throws: classified, safe to log, never carrying request headers.

export type WixErrorKind =
  | 'rate-limited' // 429
  | 'unavailable' // 503
  | 'server-error' // 500, 501, other 5xx
  | 'gateway-timeout' // 504
  | 'connection-failed' // no connection made: the request never reached Wix
  | 'timeout' // our timeout fired while waiting for the answer
  | 'connection-lost' // connection dropped after the request may have been sent
  | 'bad-request' // 400
  | 'unauthenticated' // 401
  | 'permission-denied' // 403
  | 'not-found' // 404
  | 'conflict' // 409
  | 'failed-precondition' // 428
  | 'unknown-role' // role title not found in Get Roles Info
  | 'unexpected'; // anything else (other 4xx, unparseable body...)

export type WixOperation =
  | 'bulkInvite'
  | 'resendInvite'
  | 'revokeInvite'
  | 'querySiteContributors'
  | 'getRolesInfo'
  | 'removeContributor';

export interface WixFieldViolationSummary {
  field?: string;
  description?: string;
}

interface WixApiErrorInit {
  kind: WixErrorKind;
  message: string;
  operation: WixOperation;
  retryable: boolean;
  mayHaveBeenProcessed: boolean;
  status?: number;
  code?: string;
  fieldViolations?: WixFieldViolationSummary[];
  retryAfterMs?: number;
}

interface WixApiErrorJSON extends Omit<WixApiErrorInit, 'message'> {
  name: 'WixApiError';
  message: string;
}

export class WixApiError extends Error {
  override readonly name = 'WixApiError';
  readonly kind: WixErrorKind;
  readonly status?: number;
  readonly code?: string;
  readonly operation: WixOperation;
  readonly fieldViolations?: WixFieldViolationSummary[];
  readonly retryable: boolean;
  readonly mayHaveBeenProcessed: boolean;
  readonly retryAfterMs?: number;

  constructor(init: WixApiErrorInit) {
    // No `cause`: the underlying axios error holds the Authorization header.
    super(init.message);
    this.kind = init.kind;
    this.operation = init.operation;
    this.retryable = init.retryable;
    this.mayHaveBeenProcessed = init.mayHaveBeenProcessed;
    if (init.status !== undefined) this.status = init.status;
    if (init.code !== undefined) this.code = init.code;
    if (init.fieldViolations !== undefined) this.fieldViolations = init.fieldViolations;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }

  toJSON(): WixApiErrorJSON {
    return {
      name: this.name,
      kind: this.kind,
      message: this.message,
      operation: this.operation,
      status: this.status,
      code: this.code,
      fieldViolations: this.fieldViolations,
      retryable: this.retryable,
      mayHaveBeenProcessed: this.mayHaveBeenProcessed,
      retryAfterMs: this.retryAfterMs,
    };
  }
}
