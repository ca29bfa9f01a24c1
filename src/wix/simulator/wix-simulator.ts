// A faithful Wix Site Invites / Contributors / Roles simulator over real HTTP, with test hooks (spec section 10).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTROL_PREFIX, handleControl } from './control';
import {
  FaultQueue,
  parseFault,
  parseRandomFaults,
  RandomFaults,
  RateLimiter,
  type ActiveFault,
  type FaultRoute,
  type RandomFaultKind,
  type RandomFaultSpec,
} from './faults';
import { parseJsonBody, readBody, send, SimHttpError, type SimResponse } from './http';
import { headerValue } from './auth';
import { WixRouter, wixErrorResponse } from './routes';
import { SimulatorState, type OutboxEmail } from './state';
import {
  SimulatedCustomers,
  type CustomerAcceptance,
  type CustomerModel,
  type SimulatedCustomersOptions,
} from './customers';
import { WebhookEmitter, type SimulatorWebhookOptions, type WebhookDelivery } from './webhooks';
import type { RoleRestriction, SiteInvite } from '../client/wire-types';

export { SIMULATOR_ROLES } from './roles';
export type { SimulatorWebhookOptions, WebhookDelivery } from './webhooks';

export interface WixSimulatorOptions {
  port?: number;
  host?: string;
  clock?: () => number | Promise<number>;
  inviteValidityMs?: number;
  rateLimitPerMinute?: number;
  /** The rate limit's window (default one minute, as Wix's); shorter only to time-scale a benchmark. */
  rateLimitWindowMs?: number;
  /** Send `Retry-After: 60` on every 429 (rate limit or fault) unless the fault sets its own `retryAfter`. */
  retryAfterHeader?: boolean;
  autoProvision?: boolean;
  duplicatePendingInvite?: 'fail' | 'create' | 'existing';
  invalidEmail?: 'failed' | 'reject';
  revokeDeleted?: 'ok' | 'reject';
  resendUsedOrDeleted?: 'precondition' | 'bad-request';
  bothHeaders?: 'accept' | 'reject';
  /** Simulated customers who accept on their own (customers.ts): a model, or a model and how acceptances happen. */
  customers?: CustomerModel | SimulatedCustomersOptions;
  /** Contributor Created webhooks (JWT, RS256) when an accepted invite makes a contributor; off without a target. */
  webhooks?: SimulatorWebhookOptions;
}

interface SimulatorFault {
  count: number;
  route?: FaultRoute;
  status?: 429 | 500 | 503 | 504;
  hang?: 'before-processing' | 'after-processing';
  delayMs?: number;
  /** Only with status 429 or 503: the Retry-After to send, in seconds or as a date (sent as an HTTP-date). */
  retryAfter?: number | string;
}

interface SimulatorCall {
  at: number;
  method: string;
  path: string;
  /** The wix-site-id header of a site-level call. */
  siteId?: string;
  status: number;
  /** Set when a fault was applied: `queued` for injectFault, or what a random fault did. */
  fault?: 'queued' | RandomFaultKind;
}

interface SimulatorContributor {
  accountId: string;
  accountOwnerId: string;
  policyIds: string[];
  email?: string;
}

const THIRTY_DAYS_MS = 30 * 24 * 60 * 60 * 1000;
const DEFAULT_RATE_LIMIT_PER_MINUTE = 200;

export class WixSimulator {
  readonly url: string;
  private readonly state: SimulatorState;
  private readonly router: WixRouter;
  private readonly faults = new FaultQueue();
  private randomFaults: RandomFaults | undefined;
  private readonly limiter: RateLimiter;
  private readonly clock: () => number | Promise<number>;
  private readonly recordedCalls: SimulatorCall[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly customers: SimulatedCustomers | undefined;
  private readonly webhooks: WebhookEmitter;
  private lastNow: number;

  private constructor(
    private readonly server: Server,
    private readonly options: WixSimulatorOptions,
    state: SimulatorState,
    firstNow: number,
  ) {
    const address = server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `http://${host}:${address.port}`;
    this.state = state;
    this.state.setAcceptLinkBase(this.url);
    this.router = new WixRouter(options.invalidEmail ?? 'failed');
    this.limiter = new RateLimiter(
      options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
      options.rateLimitWindowMs,
    );
    this.clock = options.clock ?? Date.now;
    this.lastNow = firstNow;
    if (options.customers) {
      const customers = new SimulatedCustomers(options.customers);
      this.customers = customers;
      this.state.onEmailSent = (email, now) => customers.emailSent(email, now);
      // A timer may fire a millisecond early: never before the acceptAt it was set for.
      customers.onTimer = (siteId, acceptAt) =>
        customers.settle(this.state, siteId, Math.max(this.nowSync(), acceptAt));
    }
    this.webhooks = new WebhookEmitter(options.webhooks);
    this.state.onContributorCreated = ({ siteId, contributor, ownerAccountId, at }) =>
      this.webhooks.contributorCreated({
        siteId,
        accountId: contributor.accountId,
        accountOwnerId: contributor.accountOwnerId,
        ownerAccountId,
        policyIds: contributor.policyIds,
        at,
      });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((error: unknown) => {
        // A simulator bug must be visible to the test, not a silent hang.
        const message = error instanceof Error ? error.message : String(error);
        send(res, { status: 500, body: { message: `INTERNAL: simulator error: ${message}` } });
      });
    });
  }

  static async start(options: WixSimulatorOptions = {}): Promise<WixSimulator> {
    const state = new SimulatorState({
      inviteValidityMs: options.inviteValidityMs ?? THIRTY_DAYS_MS,
      duplicatePendingInvite: options.duplicatePendingInvite ?? 'fail',
      invalidEmail: options.invalidEmail ?? 'failed',
      revokeDeleted: options.revokeDeleted ?? 'ok',
      resendUsedOrDeleted: options.resendUsedOrDeleted ?? 'precondition',
    });
    const firstNow = await (options.clock ?? Date.now)();
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new WixSimulator(server, options, state, firstNow);
  }

  async close(): Promise<void> {
    this.customers?.close();
    this.webhooks.close();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Ends hanging requests and idle keep-alive sockets, which server.close() alone would wait for.
    this.server.closeAllConnections();
    await closed;
  }

  // ---- setup ----

  addAccount(accountId?: string): string {
    return this.state.addAccount(accountId);
  }

  addApiKey(opts: { accountId: string; key?: string; permissions?: string[] }): string {
    return this.state.addApiKey(opts);
  }

  addSite(opts: { ownerAccountId: string; siteId?: string; seatLimit?: number }): string {
    return this.state.addSite(opts);
  }

  addRole(role: {
    id: string;
    title: string;
    description?: string;
    restrictFromLevel?: RoleRestriction;
    custom?: boolean;
  }): void {
    this.state.addRole(role);
  }

  addContributor(siteId: string, opts: { accountId?: string; policyIds: string[]; email?: string }): string {
    return this.state.addContributor(siteId, opts);
  }

  // ---- the customer's side (uses the last clock reading when the clock is async) ----

  acceptInvite(inviteId: string, opts?: { accountId?: string }): { accountId: string } {
    const { accountId } = this.state.acceptInvite(inviteId, opts?.accountId, this.nowSync());
    return { accountId };
  }

  declineInvite(inviteId: string): void {
    this.state.declineInvite(inviteId, this.nowSync());
  }

  // Reads an async clock now, so the synchronous hooks above see the latest simulated time.
  async syncClock(): Promise<number> {
    this.lastNow = await this.clock();
    return this.lastNow;
  }

  // ---- Contributor Created webhooks (Wix's push hint) ----

  /** The public key (PEM) the hints are signed with: the receiver's WIX_WEBHOOK_PUBLIC_KEY. */
  get webhookPublicKey(): string {
    return this.webhooks.publicKeyPem;
  }

  /** Where hints go from now on (e.g. the API's /v1/wix/webhooks, once it listens); undefined stops them. */
  setWebhookTarget(url: string | undefined): void {
    this.webhooks.setTarget(url);
  }

  /** Lose hints instead of sending them (a lost delivery): 'all', the next `n`, or 0 to send them again. */
  dropWebhooks(drop: 'all' | number): void {
    this.webhooks.setDrop(drop);
  }

  webhookDeliveries(): WebhookDelivery[] {
    return this.webhooks.deliveries();
  }

  /** Resolves once every hint sent so far has been answered or has failed. */
  webhooksSettled(): Promise<void> {
    return this.webhooks.settled();
  }

  /** The simulated customers' planned acceptances (acceptAt, and whether each was made real); [] without them. */
  customerAcceptances(): CustomerAcceptance[] {
    return this.customers?.acceptances() ?? [];
  }

  // ---- faults ----

  injectFault(fault: SimulatorFault): void {
    this.faults.add(parseFault(fault));
  }

  clearFaults(): void {
    this.faults.clear();
    this.randomFaults = undefined;
  }

  /** Random faults on every matching Wix call (never on /_simulator/ routes), seeded; null turns them off. */
  setRandomFaults(spec: RandomFaultSpec | null): void {
    this.randomFaults = spec === null ? undefined : new RandomFaults(parseRandomFaults(spec));
  }

  // ---- inspection (test-only, not Wix APIs) ----

  invites(filter: { siteId?: string; email?: string } = {}): SiteInvite[] {
    const now = this.nowSync();
    this.customers?.settle(this.state, filter.siteId, now);
    return this.state.invites(filter, now);
  }

  contributors(siteId: string): SimulatorContributor[] {
    this.customers?.settle(this.state, siteId, this.nowSync());
    return this.state.contributors(siteId).map((c) => ({
      accountId: c.accountId,
      accountOwnerId: c.accountOwnerId,
      policyIds: c.policyIds,
      ...(c.email !== undefined ? { email: c.email } : {}),
    }));
  }

  outbox(): OutboxEmail[] {
    return this.state.outbox();
  }

  emailCount(address: string): number {
    const wanted = address.toLowerCase();
    return this.state.outbox().filter((m) => m.to.toLowerCase() === wanted).length;
  }

  calls(): SimulatorCall[] {
    return this.recordedCalls.map((c) => ({ ...c }));
  }

  // ---- request handling ----

  private nowSync(): number {
    const reading = this.clock();
    if (typeof reading === 'number') {
      this.lastNow = reading;
      return reading;
    }
    void reading.then(
      (value) => {
        this.lastNow = Math.max(this.lastNow, value);
      },
      () => undefined,
    );
    return this.lastNow;
  }

  private async readNow(): Promise<number> {
    const now = await this.clock();
    this.lastNow = now;
    return now;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    let text: string;
    try {
      text = await readBody(req);
    } catch (error) {
      if (error instanceof SimHttpError) return send(res, wixErrorResponse(error));
      throw error;
    }
    if (url.pathname.startsWith(CONTROL_PREFIX)) return this.handleControl(res, method, url, text);

    const siteId = headerValue(req.headers, 'wix-site-id');
    const call: SimulatorCall = {
      at: Date.now(),
      method,
      path: url.pathname,
      status: 0,
      ...(siteId !== undefined ? { siteId } : {}),
    };
    this.recordedCalls.push(call);
    const reply = (response: SimResponse) => {
      call.status = response.status;
      send(res, response);
    };

    const match = this.router.match(method, url.pathname);
    if (!match)
      return reply({ status: 404, body: { message: `NOT_FOUND: no route ${method} ${url.pathname}` } });

    // Queued faults are explicit and so win over random ones.
    const queued = this.faults.take(match.name);
    const random = queued ? undefined : this.randomFaults?.draw(match.name);
    const fault = queued ?? random?.fault;
    if (queued) call.fault = 'queued';
    else if (random?.kind) call.fault = random.kind;
    if (fault?.delayMs) await this.sleep(fault.delayMs);
    if (fault?.status !== undefined) return reply(this.faultResponse(fault));
    // Never answered and nothing done; close() ends the connection.
    if (fault?.hang === 'before-processing') return;

    const apiKey = headerValue(req.headers, 'authorization') ?? '';
    if (!this.limiter.tryTake(apiKey)) return reply(this.rateLimited());

    let body: unknown;
    try {
      body = parseJsonBody(text);
    } catch (error) {
      if (error instanceof SimHttpError) return reply(wixErrorResponse(error));
      throw error;
    }
    const now = await this.readNow();
    // Customers who accepted since the site was last touched have done so by now (as of their acceptAt).
    if (siteId !== undefined) this.customers?.settle(this.state, siteId, now);
    const response = match.run(
      this.state,
      {
        autoProvision: this.options.autoProvision ?? false,
        bothHeaders: this.options.bothHeaders ?? 'accept',
      },
      { query: url.searchParams, headers: req.headers, body, now },
    );
    // The action happened (emails sent) but the caller never learns it; the call keeps status 0.
    if (fault?.hang === 'after-processing') return;
    reply(response);
  }

  private async handleControl(res: ServerResponse, method: string, url: URL, text: string): Promise<void> {
    let body: unknown;
    try {
      body = parseJsonBody(text);
    } catch {
      return send(res, { status: 400, body: { error: 'request body is not valid JSON' } });
    }
    if (url.pathname === `${CONTROL_PREFIX}webhooks`) return send(res, this.webhookControl(method, body));
    const now = await this.readNow();
    this.customers?.settle(this.state, undefined, now);
    send(
      res,
      handleControl(this.state, this.faults, {
        method,
        pathname: url.pathname,
        query: url.searchParams,
        body,
        now,
      }),
    );
  }

  // GET: the hints sent so far; POST {"drop": "all" | n, "target": url | null}: lose hints, or send them elsewhere.
  private webhookControl(method: string, body: unknown): SimResponse {
    if (method === 'POST') {
      const { drop, target } = (body ?? {}) as { drop?: unknown; target?: unknown };
      const dropOk =
        drop === undefined || drop === 'all' || (Number.isInteger(drop) && (drop as number) >= 0);
      const targetOk = target === undefined || target === null || typeof target === 'string';
      if (!dropOk || !targetOk)
        return {
          status: 400,
          body: { error: 'body must be {"drop"?: "all" | whole number, "target"?: URL string | null}' },
        };
      if (drop !== undefined) this.dropWebhooks(drop as 'all' | number);
      if (target !== undefined) this.setWebhookTarget(target ?? undefined);
    } else if (method !== 'GET') {
      return { status: 405, body: { error: 'use GET or POST on /_simulator/webhooks' } };
    }
    return { status: 200, body: { deliveries: this.webhookDeliveries() } };
  }

  private faultResponse(fault: ActiveFault): SimResponse {
    if (fault.status === 429) return this.rateLimited(fault.retryAfter);
    // Wix sends system errors "empty by design".
    return { status: fault.status ?? 500, body: {}, ...retryAfterHeaders(fault.retryAfter) };
  }

  private rateLimited(
    retryAfter: number | string | undefined = this.options.retryAfterHeader ? 60 : undefined,
  ): SimResponse {
    return {
      status: 429,
      body: {
        message: 'RESOURCE_EXHAUSTED: too many requests for this API key; wait a minute and then retry',
        details: {
          applicationError: { code: 'RESOURCE_EXHAUSTED', description: 'rate limit exceeded', data: {} },
        },
      },
      ...retryAfterHeaders(retryAfter),
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

// Seconds go out as delay-seconds, a date as an IMF-fixdate HTTP-date (RFC 9110, section 10.2.3).
function retryAfterHeaders(retryAfter: number | string | undefined): { headers?: Record<string, string> } {
  if (retryAfter === undefined) return {};
  const value =
    typeof retryAfter === 'number' ? String(retryAfter) : new Date(Date.parse(retryAfter)).toUTCString();
  return { headers: { 'Retry-After': value } };
}
