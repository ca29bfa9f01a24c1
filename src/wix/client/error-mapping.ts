// Turns a Wix HTTP answer or a transport failure into a WixApiError whose message tells the operator what to do.
import { WixApiError, type WixErrorKind, type WixFieldViolationSummary, type WixOperation } from './errors';
import type { WixErrorBody } from './wire-types';
import { WIX_CANONICAL_NAMES } from './wire-types';

export interface WixCallContext {
  operation: WixOperation;
  siteId?: string;
  inviteId?: string;
  contributorAccountId?: string;
  accountIdConfigured?: boolean;
  origin: string;
  timeoutMs: number;
  // Strings that must never reach a message (the API key).
  secrets: readonly string[];
}

const DEFAULT_RETRY_AFTER_MS = 60_000; // Wix docs: "wait a minute and then retry".
const MAX_QUOTED_CHARS = 300;

// Node error codes meaning no connection was ever established, so Wix cannot have acted.
const CONNECT_FAILURE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'EAI_FAIL',
  'EAI_NONAME',
]);

// Node/axios codes for a connection that broke after it was established.
const CONNECTION_DROP_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_NETWORK',
  'EPROTO',
]);

// Failures raised while building the request, before any byte left the process.
const PRE_SEND_CODES = new Set([
  'ERR_INVALID_URL',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_INVALID_PROTOCOL',
  'ERR_BAD_REQUEST',
]);

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    // Very short secrets would shred ordinary words; real keys are long.
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}

function quote(text: string | undefined, secrets: readonly string[]): string {
  if (!text) return '';
  const clean = redact(text, secrets).replace(/\s+/g, ' ').trim();
  const short = clean.length > MAX_QUOTED_CHARS ? `${clean.slice(0, MAX_QUOTED_CHARS)}…` : clean;
  return ` Wix said: "${short}"`;
}

function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function asErrorBody(body: unknown): WixErrorBody {
  // Fields are still read defensively below: Wix bodies are not guaranteed to match the type.
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {};
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function summariseViolations(
  body: WixErrorBody,
  secrets: readonly string[],
): WixFieldViolationSummary[] | undefined {
  const raw = body.details?.validationError?.fieldViolations;
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  return raw.map((v) => {
    const field = stringOrUndefined(v?.field);
    const description = stringOrUndefined(v?.description);
    return {
      ...(field !== undefined ? { field: redact(field, secrets) } : {}),
      ...(description !== undefined ? { description: redact(description, secrets) } : {}),
    };
  });
}

// Bulk Invite and Resend have no idempotency key: a blind repeat can email the customer twice.
function repeatAdvice(operation: WixOperation): string {
  return operation === 'bulkInvite' || operation === 'resendInvite'
    ? 'do not repeat blindly, a repeat may email the customer twice.'
    : 'retrying is safe.';
}

function describeTarget(ctx: WixCallContext): string {
  if (ctx.inviteId !== undefined) return `invite ${ctx.inviteId} on site ${ctx.siteId ?? '?'}`;
  if (ctx.contributorAccountId !== undefined)
    return `contributor ${ctx.contributorAccountId} on site ${ctx.siteId ?? '?'}`;
  if (ctx.siteId !== undefined) return `site ${ctx.siteId}`;
  return 'the requested resource';
}

/** What a row's message builder gets: the call, the status as shown (`429 RESOURCE_EXHAUSTED`), the wait. */
interface MessageInput {
  ctx: WixCallContext;
  op: WixOperation;
  statusText: string;
  retryAfterMs: number | undefined;
}

interface StatusRow {
  /** One HTTP status, or an inclusive [from, to] range. */
  status: number | readonly [from: number, to: number];
  kind: WixErrorKind;
  retryable: boolean;
  mayHaveBeenProcessed: boolean;
  /** Retry-After is read only here: `default` falls back to Wix's minute, `header` keeps only what Wix sent. */
  retryAfter?: 'default' | 'header';
  message: (m: MessageInput) => string;
}

const mayOrMayNot = (op: WixOperation) =>
  `the request may or may not have been processed; ${repeatAdvice(op)}`;

function forbiddenHint(ctx: WixCallContext): string {
  if (ctx.operation === 'getRolesInfo') {
    const missing = ctx.accountIdConfigured
      ? ''
      : ' No account id is configured, so no wix-account-id header was sent.';
    return `Get Roles Info needs the wix-account-id header set to the Wix account that owns the API key: set WIX_ACCOUNT_ID.${missing}`;
  }
  const site = describeTarget({ ...ctx, inviteId: undefined, contributorAccountId: undefined });
  return `the API key needs the "Manage Contributors" permission and must belong to the Wix account that owns ${site} (wix-site-id header).`;
}

function preconditionHint(op: WixOperation): string {
  if (op === 'revokeInvite')
    return 'the invite is no longer pending (probably accepted); to take access away use removeContributor.';
  if (op === 'resendInvite')
    return 'the invite was already accepted or revoked, so it cannot be resent; send a new invite if needed.';
  return 'the resource is not in a state that allows this call.';
}

// 1xx and 3xx (redirects are not followed), and anything else the table does not list.
const OTHER_STATUS: StatusRow = {
  status: [-Infinity, Infinity],
  kind: 'unexpected',
  retryable: false,
  mayHaveBeenProcessed: true,
  message: ({ op, statusText }) =>
    `Unexpected answer from Wix for ${op} (${statusText}): see the Wix message.`,
};

// The first row whose range holds the status wins, so single statuses come before the ranges that contain them.
const STATUS_TABLE: readonly StatusRow[] = [
  {
    status: 400,
    kind: 'bad-request',
    retryable: false,
    mayHaveBeenProcessed: false,
    message: ({ op, statusText }) =>
      `Wix rejected ${op} as invalid (${statusText}): fix the request before retrying.`,
  },
  {
    status: 401,
    kind: 'unauthenticated',
    retryable: false,
    mayHaveBeenProcessed: false,
    message: ({ statusText }) => `Wix rejected the API key (${statusText}): check WIX_API_KEY.`,
  },
  {
    status: 403,
    kind: 'permission-denied',
    retryable: false,
    mayHaveBeenProcessed: false,
    message: ({ ctx, op, statusText }) => `Wix denied ${op} (${statusText}): ${forbiddenHint(ctx)}`,
  },
  {
    status: 404,
    kind: 'not-found',
    retryable: false,
    mayHaveBeenProcessed: false,
    message: ({ ctx, op, statusText }) =>
      `Wix found no ${describeTarget(ctx)} for ${op} (${statusText}): ` +
      (ctx.inviteId !== undefined
        ? 'check the stored invite id and that it was created on this site.'
        : 'check the ids sent.'),
  },
  {
    status: 409,
    kind: 'conflict',
    retryable: false,
    mayHaveBeenProcessed: false,
    message: ({ op, statusText }) =>
      `Wix reported a conflict on ${op} (${statusText}): the resource already exists or changed concurrently.`,
  },
  {
    status: 428,
    kind: 'failed-precondition',
    retryable: false,
    mayHaveBeenProcessed: false,
    message: ({ ctx, op, statusText }) =>
      `Wix refused ${op} for ${describeTarget(ctx)} in its current state (${statusText}): ${preconditionHint(op)}`,
  },
  {
    status: 429,
    kind: 'rate-limited',
    retryable: true,
    mayHaveBeenProcessed: false,
    retryAfter: 'default',
    message: ({ op, statusText, retryAfterMs }) =>
      `Wix rate-limited ${op} (${statusText}): too many requests for this API key; retry after ${Math.round((retryAfterMs ?? DEFAULT_RETRY_AFTER_MS) / 1000)} s.`,
  },
  {
    status: [400, 499],
    kind: 'unexpected',
    retryable: false,
    mayHaveBeenProcessed: false,
    message: ({ op, statusText }) =>
      `Unexpected answer from Wix for ${op} (${statusText}): see the Wix message.`,
  },
  {
    // 500 and 502 are hiccups that a retry can get past.
    status: 500,
    kind: 'server-error',
    retryable: true,
    mayHaveBeenProcessed: true,
    message: ({ op, statusText }) => `Wix failed on ${op} (${statusText}): ${mayOrMayNot(op)}`,
  },
  {
    status: 501,
    kind: 'server-error',
    retryable: false,
    mayHaveBeenProcessed: true,
    message: ({ op, statusText }) => `Wix failed on ${op} (${statusText}): Wix does not implement this call.`,
  },
  {
    status: 502,
    kind: 'server-error',
    retryable: true,
    mayHaveBeenProcessed: true,
    message: ({ op, statusText }) => `Wix failed on ${op} (${statusText}): ${mayOrMayNot(op)}`,
  },
  {
    status: 503,
    kind: 'unavailable',
    retryable: true,
    mayHaveBeenProcessed: false,
    retryAfter: 'header',
    message: ({ op, statusText }) =>
      `Wix was unavailable for ${op} (${statusText}): the request was not processed; retry later.`,
  },
  {
    status: 504,
    kind: 'gateway-timeout',
    retryable: true,
    mayHaveBeenProcessed: true,
    message: ({ op, statusText }) => `Wix timed out on ${op} (${statusText}): ${mayOrMayNot(op)}`,
  },
  {
    // Other 5xx will not change on a retry.
    status: [505, Infinity],
    kind: 'server-error',
    retryable: false,
    mayHaveBeenProcessed: true,
    message: ({ op, statusText }) => `Wix failed on ${op} (${statusText}): ${mayOrMayNot(op)}`,
  },
  {
    // WixClient never passes a 2xx here; the row keeps the mapping total.
    status: [200, 299],
    kind: 'unexpected',
    retryable: false,
    mayHaveBeenProcessed: true,
    message: ({ op, statusText }) =>
      `Unexpected answer from Wix for ${op} (${statusText}): the call probably succeeded but the answer could not be read.`,
  },
];

function rowFor(status: number): StatusRow {
  const holds = ({ status: s }: StatusRow) =>
    typeof s === 'number' ? s === status : status >= s[0] && status <= s[1];
  return STATUS_TABLE.find(holds) ?? OTHER_STATUS;
}

export function errorFromResponse(
  ctx: WixCallContext,
  status: number,
  body: unknown,
  retryAfterHeader: string | undefined,
): WixApiError {
  const errorBody = asErrorBody(body);
  const row = rowFor(status);
  const appCode = stringOrUndefined(errorBody.details?.applicationError?.code);
  const code = appCode ?? WIX_CANONICAL_NAMES[status];
  const sent = row.retryAfter ? parseRetryAfter(retryAfterHeader, Date.now()) : undefined;
  const retryAfterMs = row.retryAfter === 'default' ? (sent ?? DEFAULT_RETRY_AFTER_MS) : sent;
  const fieldViolations = summariseViolations(errorBody, ctx.secrets);
  const fields = fieldViolations
    ?.map((v) => (v.description ? `${v.field ?? '?'} (${v.description})` : (v.field ?? '?')))
    .join(', ');
  const statusText = code ? `${status} ${redact(code, ctx.secrets)}` : `HTTP ${status}`;
  const message =
    row.message({ ctx, op: ctx.operation, statusText, retryAfterMs }) +
    (fields ? ` Invalid fields: ${fields}.` : '') +
    quote(stringOrUndefined(errorBody.message), ctx.secrets);
  return new WixApiError({
    kind: row.kind,
    message: redact(message, ctx.secrets),
    operation: ctx.operation,
    status,
    ...(code !== undefined ? { code: redact(code, ctx.secrets) } : {}),
    retryable: row.retryable,
    mayHaveBeenProcessed: row.mayHaveBeenProcessed,
    ...(fieldViolations ? { fieldViolations } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

export function errorFromUnreadableBody(ctx: WixCallContext, status: number, problem: string): WixApiError {
  return new WixApiError({
    kind: 'unexpected',
    message: redact(
      `Unexpected answer from Wix for ${ctx.operation} (HTTP ${status}): ${problem}; the call probably succeeded but its result could not be read.`,
      ctx.secrets,
    ),
    operation: ctx.operation,
    status,
    retryable: false,
    mayHaveBeenProcessed: true,
  });
}

interface TransportFailure {
  code?: string;
  syscall?: string;
}

function readTransportFailure(error: unknown): TransportFailure {
  const pick = (value: unknown): TransportFailure => {
    if (typeof value !== 'object' || value === null) return {};
    const record = value as Record<string, unknown>;
    return { code: stringOrUndefined(record.code), syscall: stringOrUndefined(record.syscall) };
  };
  const outer = pick(error);
  const cause = pick(
    typeof error === 'object' && error !== null ? (error as { cause?: unknown }).cause : undefined,
  );
  // axios copies the Node code onto its own error, but the cause is more precise when both exist.
  return { code: cause.code ?? outer.code, syscall: cause.syscall ?? outer.syscall };
}

export function errorFromTransport(ctx: WixCallContext, error: unknown, timedOut: boolean): WixApiError {
  const op = ctx.operation;
  if (timedOut) {
    return new WixApiError({
      kind: 'timeout',
      message: `No answer from Wix for ${op} within ${ctx.timeoutMs} ms (${ctx.origin}): the request may have been processed; ${repeatAdvice(op)}`,
      operation: op,
      code: 'ETIMEDOUT',
      retryable: true,
      mayHaveBeenProcessed: true,
    });
  }
  const failure = readTransportFailure(error);
  const code = failure.code;
  const connectPhase = failure.syscall === 'connect' || failure.syscall === 'getaddrinfo';
  if (code !== undefined && (CONNECT_FAILURE_CODES.has(code) || (code === 'ETIMEDOUT' && connectPhase))) {
    return new WixApiError({
      kind: 'connection-failed',
      message: `Could not connect to Wix at ${ctx.origin} for ${op} (${code}): the request never reached Wix; check the network, DNS and the Wix base URL, then retry.`,
      operation: op,
      code,
      retryable: true,
      mayHaveBeenProcessed: false,
    });
  }
  if (code !== undefined && PRE_SEND_CODES.has(code)) {
    return new WixApiError({
      kind: 'unexpected',
      message: redact(
        `Could not build the ${op} request to Wix (${code}): check the configured base URL, API key and ids for invalid characters; nothing was sent.`,
        ctx.secrets,
      ),
      operation: op,
      code,
      retryable: false,
      mayHaveBeenProcessed: false,
    });
  }
  if (code !== undefined && CONNECTION_DROP_CODES.has(code)) {
    return new WixApiError({
      kind: 'connection-lost',
      message: `The connection to Wix (${ctx.origin}) dropped during ${op} (${code}): the request may have been processed; ${repeatAdvice(op)}`,
      operation: op,
      code,
      retryable: true,
      mayHaveBeenProcessed: true,
    });
  }
  return new WixApiError({
    kind: 'unexpected',
    message: redact(
      `Unexpected failure talking to Wix (${ctx.origin}) during ${op} (${code ?? 'no error code'}): the request may have been processed.`,
      ctx.secrets,
    ),
    operation: op,
    ...(code !== undefined ? { code: redact(code, ctx.secrets) } : {}),
    retryable: false,
    mayHaveBeenProcessed: true,
  });
}
