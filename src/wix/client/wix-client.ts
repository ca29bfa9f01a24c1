// Typed client for the Wix Site Invites, Contributors and Roles REST APIs, authenticated with an account-level API key.
import { AsyncLocalStorage } from 'node:async_hooks';
import axios, { type AxiosInstance } from 'axios';
import type { z } from 'zod';
import {
  errorFromResponse,
  errorFromTransport,
  errorFromUnreadableBody,
  type WixCallContext,
} from './error-mapping';
import type { WixOperation } from './errors';
import {
  bulkInviteResponseSchema,
  emptyResponseSchema,
  getRolesInfoResponseSchema,
  querySiteContributorsResponseSchema,
  resendInviteResponseSchema,
} from './response-schemas';
import { RoleResolver, type ResolvedRole } from './role-resolver';
import { CallPacer, DEFAULT_PRIORITY } from './call-pacer';
import { WixApiError } from './errors';
import type { BulkInviteRequest, ContributorV2, RoleInfo, RoleLevel, SiteInvite } from './wire-types';

interface WixClientOptions {
  baseUrl: string;
  apiKey: string;
  accountId?: string;
  timeoutMs?: number;
  roleCacheTtlMs?: number;
}

const WIX_BASE_URL = 'https://www.wixapis.com';
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_ROLE_CACHE_TTL_MS = 10 * 60_000;

interface CallSpec<T> {
  operation: WixOperation;
  method: 'GET' | 'POST';
  path: string;
  query?: URLSearchParams;
  body?: unknown;
  siteId?: string;
  inviteId?: string;
  contributorAccountId?: string;
  schema: z.ZodType<T>;
}

export class WixClient {
  private readonly http: AxiosInstance;
  private readonly baseUrl: string;
  private readonly origin: string;
  private readonly apiKey: string;
  private readonly accountId?: string;
  private readonly timeoutMs: number;
  private readonly roleResolver: RoleResolver;
  private pacer: CallPacer | undefined;
  private readonly priority = new AsyncLocalStorage<number>();

  constructor(options: WixClientOptions) {
    if (!options.apiKey) throw new Error('WixClient needs an API key: set WIX_API_KEY.');
    let parsed: URL;
    try {
      parsed = new URL(options.baseUrl);
    } catch {
      throw new Error(
        `WixClient base URL "${options.baseUrl}" is not a valid URL (expected e.g. ${WIX_BASE_URL}).`,
      );
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
      throw new Error(`WixClient base URL must be http(s), got "${parsed.protocol}".`);
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.origin = parsed.origin;
    this.apiKey = options.apiKey;
    if (options.accountId) this.accountId = options.accountId;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.http = axios.create({
      adapter: 'http',
      // Every status is handled here, so axios never builds an error that carries our headers.
      validateStatus: () => true,
      maxRedirects: 0,
      responseType: 'text',
      transformResponse: [(data: unknown) => data],
      headers: { Accept: 'application/json' },
    });
    this.roleResolver = new RoleResolver(async () => {
      const info = await this.getRolesInfo({ roleLevel: 'SITE_LEVEL', locale: 'en' });
      return [...info.predefinedRoles, ...info.customRoles];
    }, options.roleCacheTtlMs ?? DEFAULT_ROLE_CACHE_TTL_MS);
  }

  async bulkInvite(
    siteId: string,
    req: { policyIds: string[]; emails: string[]; defaultEmailLanguage?: string },
  ): Promise<{ invites: SiteInvite[]; failedEmails: string[] }> {
    const body: BulkInviteRequest = { policyIds: req.policyIds, emails: req.emails };
    if (req.defaultEmailLanguage !== undefined) body.defaultEmailLanguage = req.defaultEmailLanguage;
    return this.call({
      operation: 'bulkInvite',
      method: 'POST',
      path: '/invites/site-invite/bulk',
      siteId,
      body,
      schema: bulkInviteResponseSchema,
    });
  }

  async resendInvite(
    siteId: string,
    inviteId: string,
    req?: { defaultEmailLanguage?: string },
  ): Promise<SiteInvite | undefined> {
    const body =
      req?.defaultEmailLanguage !== undefined ? { defaultEmailLanguage: req.defaultEmailLanguage } : {};
    const result = await this.call({
      operation: 'resendInvite',
      method: 'POST',
      path: `/invites/site-invite/${encodeURIComponent(inviteId)}/resend`,
      siteId,
      inviteId,
      body,
      schema: resendInviteResponseSchema,
    });
    return result.invite;
  }

  async revokeInvite(siteId: string, inviteId: string): Promise<void> {
    await this.call({
      operation: 'revokeInvite',
      method: 'POST',
      path: `/invites/site-invite/${encodeURIComponent(inviteId)}/revoke`,
      siteId,
      inviteId,
      schema: emptyResponseSchema,
    });
  }

  async querySiteContributors(
    siteId: string,
    filter?: { policyIds?: string[]; locationIds?: string[] },
  ): Promise<ContributorV2[]> {
    // Repeated `filter.policyIds=<id>` params, as Get Roles Info documents for its own filter.
    const query = new URLSearchParams();
    for (const id of filter?.policyIds ?? []) query.append('filter.policyIds', id);
    for (const id of filter?.locationIds ?? []) query.append('filter.locationIds', id);
    const result = await this.call({
      operation: 'querySiteContributors',
      method: 'GET',
      path: '/roles-management/v2/contributors/query',
      query,
      siteId,
      schema: querySiteContributorsResponseSchema,
    });
    return result.contributors;
  }

  async getRolesInfo(opts?: {
    roleLevel?: RoleLevel;
    locale?: string;
  }): Promise<{ predefinedRoles: RoleInfo[]; customRoles: RoleInfo[] }> {
    const query = new URLSearchParams();
    if (opts?.roleLevel) query.set('filter.roleLevel', opts.roleLevel);
    query.set('locale', opts?.locale ?? 'en');
    return this.call({
      operation: 'getRolesInfo',
      method: 'GET',
      path: '/roles-management/roles',
      query,
      schema: getRolesInfoResponseSchema,
    });
  }

  resolveRole(role: string): Promise<ResolvedRole> {
    return this.roleResolver.resolve(role);
  }

  async removeContributor(siteId: string, accountId: string): Promise<void> {
    await this.call({
      operation: 'removeContributor',
      method: 'POST',
      path: '/roles-management/contributor/remove',
      siteId,
      contributorAccountId: accountId,
      body: { accountId },
      schema: emptyResponseSchema,
    });
  }

  /**
   * Spaces this client's calls (role lookups included) at most `callsPerSecond`, without a burst even at start;
   * a call that would wait longer than 20 s is refused as rate-limited, never sent.
   */
  pace(callsPerSecond: number): void {
    this.pacer = new CallPacer(callsPerSecond);
  }

  /** Runs `fn` with its calls waiting for the pacer at `priorityKey` (Temporal's: 1 first, 3 by default). */
  atPriority<T>(priorityKey: number | undefined, fn: () => Promise<T>): Promise<T> {
    return this.priority.run(priorityKey ?? DEFAULT_PRIORITY, fn);
  }

  private async waitForSlot(operation: WixOperation): Promise<void> {
    if (!this.pacer) return;
    const { refusedForMs } = await this.pacer.take(this.priority.getStore());
    if (refusedForMs === undefined) return;
    throw new WixApiError({
      kind: 'rate-limited',
      message: `${operation} not sent: this worker's Wix calls are queued ${Math.ceil(refusedForMs / 1000)} s deep behind the rate limit.`,
      operation,
      retryable: true,
      mayHaveBeenProcessed: false,
      retryAfterMs: refusedForMs,
    });
  }

  private headersFor(spec: CallSpec<unknown>): Record<string, string> {
    const headers: Record<string, string> = { Authorization: this.apiKey };
    // Wix wants either the site or the account header, never both.
    if (spec.siteId !== undefined) headers['wix-site-id'] = spec.siteId;
    else if (this.accountId !== undefined) headers['wix-account-id'] = this.accountId;
    if (spec.body !== undefined) headers['Content-Type'] = 'application/json';
    return headers;
  }

  private async call<T>(spec: CallSpec<T>): Promise<T> {
    await this.waitForSlot(spec.operation);
    const ctx: WixCallContext = {
      operation: spec.operation,
      origin: this.origin,
      timeoutMs: this.timeoutMs,
      secrets: [this.apiKey],
      accountIdConfigured: this.accountId !== undefined,
      ...(spec.siteId !== undefined ? { siteId: spec.siteId } : {}),
      ...(spec.inviteId !== undefined ? { inviteId: spec.inviteId } : {}),
      ...(spec.contributorAccountId !== undefined ? { contributorAccountId: spec.contributorAccountId } : {}),
    };
    const queryString = spec.query?.toString();
    const url = `${this.baseUrl}${spec.path}${queryString ? `?${queryString}` : ''}`;
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    let status: number;
    let text: unknown;
    let retryAfter: unknown;
    try {
      const response = await this.http.request<unknown>({
        url,
        method: spec.method,
        headers: this.headersFor(spec),
        ...(spec.body !== undefined ? { data: JSON.stringify(spec.body) } : {}),
        signal: controller.signal,
      });
      status = response.status;
      text = response.data;
      retryAfter = response.headers['retry-after'];
    } catch (error) {
      // Only the classification survives; the axios error (with our Authorization header) is dropped here.
      throw errorFromTransport(ctx, error, timedOut);
    } finally {
      clearTimeout(timer);
    }
    const body = parseJson(text);
    if (status < 200 || status >= 300) {
      throw errorFromResponse(
        ctx,
        status,
        body.ok ? body.value : undefined,
        typeof retryAfter === 'string' ? retryAfter : undefined,
      );
    }
    if (!body.ok) throw errorFromUnreadableBody(ctx, status, 'the body is not JSON');
    const parsed = spec.schema.safeParse(body.value);
    if (!parsed.success) {
      const paths = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(body)'))].join(
        ', ',
      );
      throw errorFromUnreadableBody(ctx, status, `unexpected shape at ${paths}`);
    }
    return parsed.data;
  }
}

function parseJson(text: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof text !== 'string' || text.trim() === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}
