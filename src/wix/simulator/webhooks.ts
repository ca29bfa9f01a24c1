// The simulator's Contributor Created webhook (spec §4.5): when an accepted invite makes a new contributor, a JWT
// signed RS256 is POSTed to the configured target, as Wix's account-level webhooks are. Sent after the accept has
// answered, never failing it; each delivery is kept for tests to look at.
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';
import { createPrivateKey, createPublicKey } from 'node:crypto';

/**
 * Wix does not publish the event type's name for Contributor Created; this one follows its `wix.<domain>.<v>.<entity>_
 * created` pattern [ASSUME]. The receiver recognises any `…contributor…created` type.
 */
export const CONTRIBUTOR_CREATED_EVENT_TYPE = 'wix.roles_management.v2.contributor_created';
export const CONTRIBUTOR_ENTITY_FQDN = 'wix.roles_management.v2.contributor';

export interface SimulatorWebhookOptions {
  /** Where hints are POSTed (e.g. the API's /v1/wix/webhooks); none = no hint is sent. */
  target?: string;
  /** The RS256 key to sign with (PEM or KeyObject); default a 2048-bit pair made on first use. */
  privateKey?: string | KeyObject;
  /** Lose hints instead of sending them: 'all', or how many of the next ones. */
  drop?: 'all' | number;
  /** Per delivery (default 5 s). */
  timeoutMs?: number;
}

export interface ContributorCreated {
  siteId: string;
  accountId: string;
  accountOwnerId: string;
  /** The site owner's account: the envelope's instance id for an account-level event [ASSUME]. */
  ownerAccountId: string;
  policyIds: string[];
  /** The simulator's clock at the acceptance. */
  at: number;
}

export interface WebhookDelivery {
  eventId: string;
  siteId: string;
  accountId: string;
  /** Wall-clock time the hint was handled. */
  at: string;
  outcome: 'pending' | 'delivered' | 'rejected' | 'failed' | 'dropped';
  /** The target's HTTP status, when it answered. */
  status?: number;
  error?: string;
}

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS, RS256, as Wix sends its webhooks: `{data: "<JSON envelope>", iat, exp}`. */
export function signWixWebhookJwt(
  claims: Record<string, unknown>,
  privateKey: KeyObject | string,
  header: Record<string, unknown> = {},
): string {
  const input = `${b64url({ alg: 'RS256', typ: 'JWT', ...header })}.${b64url(claims)}`;
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), key).toString('base64url')}`;
}

/** The JWT claims of a Contributor Created delivery, issued at `issuedAtMs` (wall clock: the receiver judges age). */
export function contributorCreatedClaims(
  event: ContributorCreated,
  eventId: string,
  issuedAtMs: number,
): Record<string, unknown> {
  const entity = {
    id: event.accountId,
    accountId: event.accountId,
    accountOwnerId: event.accountOwnerId,
    metaSiteId: event.siteId,
    policyIds: event.policyIds,
  };
  const body = {
    id: eventId,
    entityFqdn: CONTRIBUTOR_ENTITY_FQDN,
    slug: 'created',
    entityId: event.accountId,
    eventTime: new Date(event.at).toISOString(),
    triggeredByAnonymizeRequest: false,
    createdEvent: { entity },
  };
  const envelope = {
    eventType: CONTRIBUTOR_CREATED_EVENT_TYPE,
    instanceId: event.ownerAccountId,
    data: JSON.stringify(body),
    identity: JSON.stringify({ identityType: 'WIX_USER', wixUserId: event.accountOwnerId }),
  };
  const iat = Math.floor(issuedAtMs / 1000);
  return { data: JSON.stringify(envelope), iat, exp: iat + 5 * 60 };
}

export class WebhookEmitter {
  private target: string | undefined;
  private privateKey: KeyObject | undefined;
  private publicPem: string | undefined;
  private drop: 'all' | number;
  private readonly timeoutMs: number;
  private readonly log: WebhookDelivery[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(options: SimulatorWebhookOptions = {}) {
    this.target = options.target;
    this.drop = options.drop ?? 0;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    if (options.privateKey !== undefined) {
      this.privateKey =
        typeof options.privateKey === 'string' ? createPrivateKey(options.privateKey) : options.privateKey;
    }
  }

  /** The public key (PEM) a receiver verifies these hints with. */
  get publicKeyPem(): string {
    this.publicPem ??= createPublicKey(this.key()).export({ type: 'spki', format: 'pem' }).toString();
    return this.publicPem;
  }

  setTarget(url: string | undefined): void {
    this.target = url;
  }

  setDrop(drop: 'all' | number): void {
    this.drop = drop;
  }

  deliveries(): WebhookDelivery[] {
    return this.log.map((d) => ({ ...d }));
  }

  /** Resolves once every hint sent so far has been answered (or has failed). */
  async settled(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  close(): void {
    this.abort.abort();
  }

  /** Called by the simulator when an accepted invite created a contributor; never throws. */
  contributorCreated(event: ContributorCreated): void {
    if (this.target === undefined && this.drop === 0) return;
    const delivery: WebhookDelivery = {
      eventId: randomUUID(),
      siteId: event.siteId,
      accountId: event.accountId,
      at: new Date().toISOString(),
      outcome: 'pending',
    };
    this.log.push(delivery);
    if (this.drop === 'all' || this.drop > 0) {
      if (this.drop !== 'all') this.drop -= 1;
      delivery.outcome = 'dropped';
      return;
    }
    const target = this.target!;
    // After the accept's own answer: a slow or failing receiver never touches it.
    const sent = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.send(target, event, delivery))
      .finally(() => this.inFlight.delete(sent));
    this.inFlight.add(sent);
  }

  private key(): KeyObject {
    this.privateKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    return this.privateKey;
  }

  private async send(target: string, event: ContributorCreated, delivery: WebhookDelivery): Promise<void> {
    try {
      const token = signWixWebhookJwt(
        contributorCreatedClaims(event, delivery.eventId, Date.now()),
        this.key(),
      );
      const response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: token,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      await response.arrayBuffer().catch(() => undefined);
      delivery.status = response.status;
      delivery.outcome = response.ok ? 'delivered' : 'rejected';
    } catch (err) {
      delivery.outcome = 'failed';
      delivery.error = err instanceof Error ? err.message : String(err);
    }
  }
}
