// Turns a Wix HTTP answer or a transport failure into a WixApiError whose message tells the operator what to do.
import {
  WixApiError,
  type WixErrorKind,
  type WixFieldViolationSummary,
  type WixOperation,
} from './wix-errors';
import type { WixErrorBody } from './wix-types';
import { WIX_CANONICAL_NAMES } from './wix-types';

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

export function redact(text: string, secrets: readonly string[]): string {
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

interface Classified {
  kind: WixErrorKind;
  retryable: boolean;
  mayHaveBeenProcessed: boolean;
  advice: string;
}

function classifyStatus(status: number, ctx: WixCallContext): Classified {
  const op = ctx.operation;
  switch (status) {
    case 400:
      return {
        kind: 'bad-request',
        retryable: false,
        mayHaveBeenProcessed: false,
        advice: `Wix rejected ${op} as invalid`,
      };
    case 401:
      return {
        kind: 'unauthenticated',
        retryable: false,
        mayHaveBeenProcessed: false,
        advice: 'Wix rejected the API key',
      };
    case 403:
      return {
        kind: 'permission-denied',
        retryable: false,
        mayHaveBeenProcessed: false,
        advice: `Wix denied ${op}`,
      };
    case 404:
      return {
        kind: 'not-found',
        retryable: false,
        mayHaveBeenProcessed: false,
        advice: `Wix found no ${describeTarget(ctx)} for ${op}`,
      };
    case 409:
      return {
        kind: 'conflict',
        retryable: false,
        mayHaveBeenProcessed: false,
        advice: `Wix reported a conflict on ${op}`,
      };
    case 428:
      return {
        kind: 'failed-precondition',
        retryable: false,
        mayHaveBeenProcessed: false,
        advice: `Wix refused ${op} for ${describeTarget(ctx)} in its current state`,
      };
    case 429:
      return {
        kind: 'rate-limited',
        retryable: true,
        mayHaveBeenProcessed: false,
        advice: `Wix rate-limited ${op}`,
      };
    case 503:
      return {
        kind: 'unavailable',
        retryable: true,
        mayHaveBeenProcessed: false,
        advice: `Wix was unavailable for ${op}`,
      };
    case 504:
      return {
        kind: 'gateway-timeout',
        retryable: true,
        mayHaveBeenProcessed: true,
        advice: `Wix timed out on ${op}`,
      };
    default:
      if (status >= 500) {
        // 502 is a gateway hiccup like 503/504, so retrying helps; 501 and the rest will not change.
        const retryable = status === 500 || status === 502;
        return { kind: 'server-error', retryable, mayHaveBeenProcessed: true, advice: `Wix failed on ${op}` };
      }
      return {
        kind: 'unexpected',
        retryable: false,
        mayHaveBeenProcessed: status < 400 || status >= 500,
        advice: `Unexpected answer from Wix for ${op}`,
      };
  }
}

function fixHint(kind: WixErrorKind, status: number, ctx: WixCallContext, retryAfterMs?: number): string {
  switch (kind) {
    case 'unauthenticated':
      return 'check WIX_API_KEY.';
    case 'permission-denied':
      if (ctx.operation === 'getRolesInfo') {
        const missing = ctx.accountIdConfigured
          ? ''
          : ' No account id is configured, so no wix-account-id header was sent.';
        return `Get Roles Info needs the wix-account-id header set to the Wix account that owns the API key: set WIX_ACCOUNT_ID.${missing}`;
      }
      return `the API key needs the "Manage Contributors" permission and must belong to the Wix account that owns ${describeTarget({ ...ctx, inviteId: undefined, contributorAccountId: undefined })} (wix-site-id header).`;
    case 'not-found':
      return ctx.inviteId !== undefined
        ? 'check the stored invite id and that it was created on this site.'
        : 'check the ids sent.';
    case 'failed-precondition':
      if (ctx.operation === 'revokeInvite')
        return 'the invite is no longer pending (probably accepted); to take access away use removeContributor.';
      if (ctx.operation === 'resendInvite')
        return 'the invite was already accepted or revoked, so it cannot be resent; send a new invite if needed.';
      return 'the resource is not in a state that allows this call.';
    case 'bad-request':
      return 'fix the request before retrying.';
    case 'conflict':
      return 'the resource already exists or changed concurrently.';
    case 'rate-limited':
      return `too many requests for this API key; retry after ${Math.round((retryAfterMs ?? DEFAULT_RETRY_AFTER_MS) / 1000)} s.`;
    case 'unavailable':
      return 'the request was not processed; retry later.';
    case 'gateway-timeout':
    case 'server-error':
      return status === 501
        ? 'Wix does not implement this call.'
        : `the request may or may not have been processed; ${repeatAdvice(ctx.operation)}`;
    default:
      return status >= 200 && status < 300
        ? 'the call probably succeeded but the answer could not be read.'
        : 'see the Wix message.';
  }
}

export function errorFromResponse(
  ctx: WixCallContext,
  status: number,
  body: unknown,
  retryAfterHeader: string | undefined,
): WixApiError {
  const errorBody = asErrorBody(body);
  const classified = classifyStatus(status, ctx);
  const appCode = stringOrUndefined(errorBody.details?.applicationError?.code);
  const code = appCode ?? WIX_CANONICAL_NAMES[status];
  const retryAfterMs =
    classified.kind === 'rate-limited'
      ? (parseRetryAfter(retryAfterHeader, Date.now()) ?? DEFAULT_RETRY_AFTER_MS)
      : undefined;
  const fieldViolations = summariseViolations(errorBody, ctx.secrets);
  const fields = fieldViolations
    ?.map((v) => (v.description ? `${v.field ?? '?'} (${v.description})` : (v.field ?? '?')))
    .join(', ');
  const statusText = code ? `${status} ${redact(code, ctx.secrets)}` : `HTTP ${status}`;
  const message =
    `${classified.advice} (${statusText}): ${fixHint(classified.kind, status, ctx, retryAfterMs)}` +
    (fields ? ` Invalid fields: ${fields}.` : '') +
    quote(stringOrUndefined(errorBody.message), ctx.secrets);
  return new WixApiError({
    kind: classified.kind,
    message: redact(message, ctx.secrets),
    operation: ctx.operation,
    status,
    ...(code !== undefined ? { code: redact(code, ctx.secrets) } : {}),
    retryable: classified.retryable,
    mayHaveBeenProcessed: classified.mayHaveBeenProcessed,
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
