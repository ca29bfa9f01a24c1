// REST shapes of the Wix Site Invites, Contributors and Roles APIs (camelCase REST names, every response field optional).

export type SiteInviteStatus = 'Pending' | 'Used' | 'Deleted' | 'Declined' | 'Expired';

export interface SiteInvite {
  id?: string;
  siteId?: string;
  email?: string;
  policyIds?: string[];
  /** @deprecated Wix says: use inviterAccountId. */
  inviterId?: string;
  // Unknown future statuses must not break parsing, hence the open string.
  status?: SiteInviteStatus | (string & {});
  acceptLink?: string;
  inviterAccountId?: string;
  acceptedByAccountId?: string | null;
  dateCreated?: string;
  staffId?: string | null;
  expirationDate?: string;
  locationIds?: string[];
  callerCapabilities?: string[];
}

export interface BulkInviteRequest {
  policyIds: string[];
  emails: string[];
  defaultEmailLanguage?: string;
  invitePurpose?: string;
}

export interface ContributorV2 {
  accountId?: string;
  accountOwnerId?: string;
}

export type RoleRestriction = 'NoRestriction' | 'Site' | 'Account';

export interface RoleInfo {
  id?: string;
  title?: string;
  description?: string;
  restrictFromLevel?: RoleRestriction;
}

export type RoleLevel = 'ALL' | 'SITE_LEVEL' | 'ACCOUNT_LEVEL';

export interface WixFieldViolation {
  field?: string;
  description?: string;
  violatedRule?: string;
  ruleName?: string;
  data?: unknown;
}

export interface WixErrorBody {
  message?: string;
  details?: {
    applicationError?: { code?: string; description?: string; data?: unknown };
    validationError?: { fieldViolations?: WixFieldViolation[] };
  };
}

/** Wix's canonical error names by HTTP status (documented pieces combined; see the API notes, section 7). */
export const WIX_CANONICAL_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  428: 'FAILED_PRECONDITION',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};
