// Wix's push hint: the account-level Contributor Created webhook (spec §4.5). Each delivery is a JWT, the whole raw
// body, signed RS256 with Wix's key pair. A verified hint asks the site's handoff to check its contributors now,
// through the same update staff use ("check acceptance now"); the check decides, never the hint.
import { createHash, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Client } from '@temporalio/client';
import type { Counter } from 'prom-client';
import {
  HandoffNotFound,
  HandoffRequestRefused,
  InvalidHandoffRequest,
  changeHandoff,
} from '../handoff-client';
import { HttpError } from './http-error';

export const WIX_WEBHOOK_PATH = '/v1/wix/webhooks';
/** Who the audit trail says asked for the check. */
export const WIX_WEBHOOK_ACTOR = 'wix-webhook';
/** A token issued longer ago than this is refused as stale (a captured delivery replayed later). */
export const DEFAULT_MAX_AGE_SECONDS = 5 * 60;
/** Clocks differ a little: iat up to this far in the future, and exp/nbf this far off, are tolerated. */
const CLOCK_SKEW_SECONDS = 60;
/** Wix retries a delivery; the same event id within this window is checked once. */
const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;
const MAX_REMEMBERED_EVENTS = 10_000;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type WixHintOutcome =
  | 'checked'
  | 'unknown_site'
  | 'refused'
  | 'duplicate'
  | 'not_contributor_created'
  | 'no_site'
  | 'error'
  | 'unauthorized';

/** Why a token was refused; the message never contains the token. */
export class WixWebhookRefused extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'WixWebhookRefused';
  }
}

/** A verified delivery, its envelope unwrapped: `data` and `identity` are Wix's JSON strings, parsed. */
export interface WixWebhookEvent {
  eventType?: string;
  instanceId?: string;
  /** The event body (`data.data`): id, slug, entityFqdn, entityId, eventTime, createdEvent, … */
  data: Record<string, unknown>;
  identity?: Record<string, unknown>;
  /** Seconds since the epoch, from the token. */
  issuedAt: number;
}

export interface VerifyOptions {
  /** Milliseconds since the epoch (default now). */
  now?: number;
  maxAgeSeconds?: number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function base64urlJson(part: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new WixWebhookRefused(`the JWT's ${what} is not base64url JSON`);
  }
  if (!isRecord(parsed)) throw new WixWebhookRefused(`the JWT's ${what} is not a JSON object`);
  return parsed;
}

/** Wix nests JSON as strings (`data`, `data.data`, `identity`); an object is taken as it is. */
function nested(value: unknown): Record<string, unknown> | undefined {
  if (isRecord(value)) return value;
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a Wix webhook JWT (RS256 only, with `publicKey`) and its age, then unwraps the envelope. Throws
 * WixWebhookRefused saying why: not a JWT, another algorithm, a signature that does not match, no or a future
 * `iat`, issued more than `maxAgeSeconds` ago, past `exp`, before `nbf`, or no `data` claim.
 */
export function verifyWixWebhook(
  token: string,
  publicKey: KeyObject,
  options: VerifyOptions = {},
): WixWebhookEvent {
  const now = (options.now ?? Date.now()) / 1000;
  const maxAge = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  const compact = token.trim();
  if (!compact) throw new WixWebhookRefused('the body is empty: Wix sends the event as a JWT');
  const parts = compact.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)) || !parts[0] || !parts[1])
    throw new WixWebhookRefused('the body is not a JWT (three base64url parts separated by dots)');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = base64urlJson(headerPart, 'header');
  // Only RS256: "none" or an HMAC algorithm keyed with the public key would let anyone sign.
  if (header.alg !== 'RS256')
    throw new WixWebhookRefused(`the JWT is signed with ${JSON.stringify(header.alg)}, not RS256`);
  const signed = verifySignature(
    'RSA-SHA256',
    Buffer.from(`${headerPart}.${payloadPart}`),
    publicKey,
    Buffer.from(signaturePart, 'base64url'),
  );
  if (!signed)
    throw new WixWebhookRefused(
      'the signature does not match the configured Wix public key (WIX_WEBHOOK_PUBLIC_KEY)',
    );
  const claims = base64urlJson(payloadPart, 'payload');
  const { iat, exp, nbf } = claims;
  if (typeof iat !== 'number' || !Number.isFinite(iat))
    throw new WixWebhookRefused('the JWT has no iat (issued-at) claim, so its age cannot be judged');
  if (iat > now + CLOCK_SKEW_SECONDS)
    throw new WixWebhookRefused(`the JWT is issued ${Math.round(iat - now)} s in the future`);
  if (now - iat > maxAge)
    throw new WixWebhookRefused(
      `the JWT is stale: issued ${Math.round(now - iat)} s ago, more than the ${maxAge} s allowed`,
    );
  if (typeof exp === 'number' && now > exp + CLOCK_SKEW_SECONDS)
    throw new WixWebhookRefused(`the JWT expired ${Math.round(now - exp)} s ago`);
  if (typeof nbf === 'number' && nbf > now + CLOCK_SKEW_SECONDS)
    throw new WixWebhookRefused('the JWT is not valid yet (nbf)');
  const envelope = nested(claims.data);
  if (!envelope) throw new WixWebhookRefused('the JWT has no data claim holding the event (a JSON string)');
  const identity = nested(envelope.identity);
  return {
    ...(typeof envelope.eventType === 'string' ? { eventType: envelope.eventType } : {}),
    ...(typeof envelope.instanceId === 'string' ? { instanceId: envelope.instanceId } : {}),
    data: nested(envelope.data) ?? {},
    ...(identity ? { identity } : {}),
    issuedAt: iat,
  };
}

/**
 * Contributor Created: by its event type (Wix's documented name is not public: any `…contributor…created` type),
 * or by a `created` slug on a contributor entity.
 */
export function isContributorCreated(event: WixWebhookEvent): boolean {
  if (event.eventType && /contributor.*created/i.test(event.eventType)) return true;
  const { slug, entityFqdn } = event.data;
  return slug === 'created' && typeof entityFqdn === 'string' && /contributor/i.test(entityFqdn);
}

/**
 * The site the new contributor joined: the entity's site id (metaSiteId or siteId), else the event's, else the
 * envelope's instance id. Only a GUID counts; the check decides whether anything happened there.
 */
export function siteOfEvent(event: WixWebhookEvent): string | undefined {
  const created = nested(event.data.createdEvent);
  const entity = nested(created?.entity) ?? nested(created?.entityAsJson) ?? {};
  const candidates = [
    entity.metaSiteId,
    entity.siteId,
    event.data.metaSiteId,
    event.data.siteId,
    event.instanceId,
  ];
  const site = candidates.find((c): c is string => typeof c === 'string' && GUID.test(c.trim()));
  return site?.trim().toLowerCase();
}

export interface WixWebhookRoutesOptions {
  client: Client;
  /** The configured Wix public key; without one every delivery is refused (401). */
  publicKey?: KeyObject;
  /** handoff_wix_hints_total{outcome} */
  hints?: Counter<'outcome'>;
  maxAgeSeconds?: number;
}

/** Event ids seen lately, so Wix's retries of one delivery ask for one check. */
class RecentEvents {
  private readonly seen = new Map<string, number>();

  firstTime(id: string, now = Date.now()): boolean {
    for (const [key, expires] of this.seen) {
      if (expires > now && this.seen.size < MAX_REMEMBERED_EVENTS) break;
      this.seen.delete(key);
    }
    if (this.seen.has(id)) return false;
    this.seen.set(id, now + DUPLICATE_WINDOW_MS);
    return true;
  }
}

/**
 * `POST /v1/wix/webhooks`: the raw body whatever its content type (Wix sends the bare JWT). Answers 401 with the
 * reason for a token that does not verify, else 200 at once; the check is asked for after the answer, so Wix never
 * waits on Temporal. Registered in its own scope so its body parser takes every content type as text.
 */
// A Fastify plugin (registered in its own scope); synchronous, as nothing needs awaiting to set it up.
export function registerWixWebhookRoutes(
  app: FastifyInstance,
  options: WixWebhookRoutesOptions,
  done: (err?: Error) => void,
): void {
  const recent = new RecentEvents();
  const inFlight = new Set<Promise<void>>();
  const count = (outcome: WixHintOutcome): void => options.hints?.inc({ outcome });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, String(body)));
  // Requests already answered may still be asking a handoff: let them finish before the API stops.
  app.addHook('onClose', async () => {
    await Promise.allSettled([...inFlight]);
  });

  const ask = async (siteId: string, log: FastifyBaseLogger): Promise<void> => {
    try {
      await changeHandoff(options.client, siteId, { kind: 'checkAcceptance', actor: WIX_WEBHOOK_ACTOR });
      count('checked');
      log.debug({ siteId }, 'Wix hint: the handoff checks its contributors now');
    } catch (err) {
      if (err instanceof HandoffNotFound) {
        count('unknown_site');
        log.debug({ siteId }, 'Wix hint ignored: no handoff for this site');
      } else if (err instanceof HandoffRequestRefused || err instanceof InvalidHandoffRequest) {
        count('refused');
        log.debug({ siteId, reason: err.message }, 'Wix hint ignored: the handoff refused the check');
      } else {
        // The hint is lost; the handoff's own checks still find the acceptance.
        count('error');
        log.warn({ siteId, err: String(err) }, 'Wix hint not passed on; the regular checks will find it');
      }
    }
  };

  app.post(WIX_WEBHOOK_PATH, async (request, reply) => {
    const token = typeof request.body === 'string' ? request.body : '';
    if (!options.publicKey) {
      count('unauthorized');
      throw new HttpError(
        401,
        'Wix webhook refused: WIX_WEBHOOK_PUBLIC_KEY is not set, so no delivery can be verified',
      );
    }
    let event: WixWebhookEvent;
    try {
      event = verifyWixWebhook(token, options.publicKey, {
        ...(options.maxAgeSeconds !== undefined ? { maxAgeSeconds: options.maxAgeSeconds } : {}),
      });
    } catch (err) {
      if (!(err instanceof WixWebhookRefused)) throw err;
      count('unauthorized');
      request.log.info({ reason: err.message }, 'Wix webhook refused');
      throw new HttpError(401, `Wix webhook refused: ${err.message}`);
    }
    const answer = (outcome: WixHintOutcome | 'accepted', extra: Record<string, unknown> = {}) =>
      reply.status(200).send({ received: true, outcome, ...extra });

    if (!isContributorCreated(event)) {
      count('not_contributor_created');
      request.log.debug({ eventType: event.eventType }, 'Wix webhook ignored: not Contributor Created');
      return answer('not_contributor_created');
    }
    const siteId = siteOfEvent(event);
    if (!siteId) {
      count('no_site');
      request.log.debug('Wix hint ignored: the event names no site');
      return answer('no_site');
    }
    const eventId =
      typeof event.data.id === 'string' && event.data.id
        ? event.data.id
        : createHash('sha256').update(token.trim()).digest('base64url');
    if (!recent.firstTime(eventId)) {
      count('duplicate');
      request.log.debug({ siteId }, 'Wix hint ignored: this event was already received');
      return answer('duplicate');
    }
    const asked = ask(siteId, request.log).finally(() => inFlight.delete(asked));
    inFlight.add(asked);
    return answer('accepted', { siteId });
  });
  done();
}
