// The service's HTTP API as the CLI's way to the ledger when the database is not its to open (embedded PGlite).
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosRequestConfig, type AxiosResponse } from 'axios';
import {
  HandoffNotFound,
  HandoffRequestRefused,
  InvalidHandoffRequest,
  type HandoffView,
  type RestartRequest,
} from '../handoff-client';
import {
  ErasureRefused,
  type ErasureResult,
  type LedgerAuditRecord,
  type LedgerFilter,
  type LedgerListQuery,
  type LedgerSummary,
} from '../ledger';
import { RedeliveryRefused } from '../notify';
import type { HandoffDeliveries, NotificationEndpointsHealth } from '../notify/delivery-views';
import { ApiFailed, ApiTokenRefused, ApiUnreachable, UsageError, type TokenSource } from './errors';

export type ExportFormat = 'csv' | 'jsonl';

/** What the API's erasure answers: the ledger's counts and the Temporal executions it deleted. */
export type ApiErasure = ErasureResult & { temporalExecutions: number };

export interface ApiTarget {
  /** The base URL without a trailing slash; never holds credentials (refused at parse). */
  url: string;
  /** For messages: which setting named the URL. */
  source: 'from HANDOFF_API_URL' | 'the default for `npm start`';
}

export interface StaffToken {
  value: string;
  source: Exclude<TokenSource, 'none'>;
}

/** An entry of HANDOFF_API_TOKEN that names its holder, `alice:<token>`; the token is what follows the colon. */
const NAMED_TOKEN = /^[A-Za-z0-9._@-]{1,64}:(.+)$/;

/** HANDOFF_CLI_TOKEN, else the first HANDOFF_API_TOKEN entry without its name: the service's own setting works as is. */
export function cliStaffToken(env: NodeJS.ProcessEnv): StaffToken | undefined {
  const own = env.HANDOFF_CLI_TOKEN?.trim();
  if (own) return { value: own, source: 'HANDOFF_CLI_TOKEN' };
  const first = (env.HANDOFF_API_TOKEN ?? '')
    .split(',')
    .map((s) => s.trim())
    .find(Boolean);
  if (!first) return undefined;
  return { value: NAMED_TOKEN.exec(first)?.[1] ?? first, source: 'HANDOFF_API_TOKEN' };
}

/** The base URL, refused with credentials, a query or a fragment: the token travels only in its header. */
function checkedBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The value itself is not echoed: it might hold a secret someone pasted there.
    throw new UsageError(
      'HANDOFF_API_URL is not a URL',
      "Set it to the service's base URL, such as http://127.0.0.1:8080.",
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError('HANDOFF_API_URL must start with http:// or https://');
  if (url.username || url.password || url.search || url.hash) {
    throw new UsageError(
      'HANDOFF_API_URL must be the bare base URL, without user, password, query or fragment',
      'The staff token goes in HANDOFF_CLI_TOKEN (or HANDOFF_API_TOKEN); the CLI sends it as an Authorization header.',
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** `http://127.0.0.1:<HANDOFF_API_PORT or 8080>`: where `npm start` serves the API by default. */
export function defaultApiUrl(env: NodeJS.ProcessEnv): string {
  const raw = env.HANDOFF_API_PORT?.trim();
  const port = raw ? Number(raw) : 8080;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`HANDOFF_API_PORT must be a port number, got "${raw}"`);
  return `http://127.0.0.1:${port}`;
}

/**
 * HANDOFF_API_URL when set; otherwise the default address, but only if a site-handoff API answers there, so that
 * without `npm start` the CLI goes on reading Temporal as before.
 */
export async function findServiceApi(env: NodeJS.ProcessEnv): Promise<ApiTarget | undefined> {
  const explicit = env.HANDOFF_API_URL?.trim();
  if (explicit) return { url: checkedBaseUrl(explicit), source: 'from HANDOFF_API_URL' };
  const url = defaultApiUrl(env);
  try {
    // /healthz needs no token: nothing is sent to whatever else might listen on that port.
    const probe = await axios.get(`${url}/healthz`, {
      timeout: 2_000,
      maxRedirects: 0,
      validateStatus: () => true,
    });
    const type = String(probe.headers['content-type'] ?? '');
    return type.includes('application/json') ? { url, source: 'the default for `npm start`' } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the token would cross a network in clear text: plain http to a host other than this machine. */
export function sendsTokenInClear(target: ApiTarget): boolean {
  const { protocol, hostname } = new URL(target.url);
  return protocol === 'http:' && !['127.0.0.1', 'localhost', '[::1]'].includes(hostname);
}

const filterParams = (filter: LedgerFilter): Record<string, string> => ({
  ...(filter.state ? { state: filter.state } : {}),
  ...(filter.email ? { email: filter.email } : {}),
  ...(filter.siteId ? { siteId: filter.siteId } : {}),
  ...(filter.projectId ? { projectId: filter.projectId } : {}),
  ...(filter.startedFrom ? { from: filter.startedFrom } : {}),
  ...(filter.startedTo ? { to: filter.startedTo } : {}),
});

function errorText(data: unknown): string {
  const error = (data as { error?: unknown } | null | undefined)?.error;
  return typeof error === 'string' ? error : 'no error message';
}

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) text += chunk as string;
  return text;
}

/** The staff routes over the ledger, called with the staff token in the Authorization header only. */
export class ServiceApi {
  private readonly http: AxiosInstance;

  constructor(
    readonly target: ApiTarget,
    private readonly token: StaffToken | undefined,
  ) {
    this.http = axios.create({
      baseURL: target.url,
      timeout: 60_000,
      // A redirect could carry the Authorization header somewhere else.
      maxRedirects: 0,
      validateStatus: () => true,
      headers: token ? { Authorization: `Bearer ${token.value}` } : {},
    });
  }

  /** The status view (ledger or Temporal, `source` says which); undefined when the service knows no such handoff. */
  async handoff(handoffId: string): Promise<HandoffView | undefined> {
    const response = await this.send<HandoffView>({ method: 'GET', url: `/v1/handoffs/${enc(handoffId)}` });
    if (response.status === 404) return undefined;
    return this.ok(response);
  }

  /** The ledger's record alone (no Temporal involved); undefined when the ledger has none. */
  async record(handoffId: string): Promise<LedgerAuditRecord | undefined> {
    const response = await this.send<LedgerAuditRecord>({
      method: 'GET',
      url: `/v1/handoffs/${enc(handoffId)}/record`,
    });
    if (response.status === 404) return undefined;
    return this.ok(response);
  }

  async list(query: LedgerListQuery): Promise<LedgerSummary[]> {
    const params = {
      ...filterParams(query),
      sort: query.sort,
      limit: String(query.limit),
      ...(query.order ? { order: query.order } : {}),
    };
    const response = await this.send<{ handoffs: LedgerSummary[] }>({
      method: 'GET',
      url: '/v1/handoffs',
      params,
    });
    return this.ok(response).handoffs;
  }

  /** The export as the service streams it, text chunk by chunk; fails before the first chunk on any refusal. */
  async exportText(format: ExportFormat, filter: LedgerFilter): Promise<AsyncIterable<string>> {
    const response = await this.send<Readable>({
      method: 'GET',
      url: '/v1/handoffs/export',
      params: { ...filterParams(filter), format },
      responseType: 'stream',
    });
    if (response.status !== 200) {
      let data: unknown;
      try {
        data = JSON.parse(await readAll(response.data)) as unknown;
      } catch {
        data = undefined;
      }
      return this.ok({ ...response, data } as AxiosResponse<never>);
    }
    // Decoded by the stream, so a character split across two chunks stays whole.
    response.data.setEncoding('utf8');
    return this.streamed(response.data);
  }

  async erase(email: string, confirmEmail: string, actor: string): Promise<ApiErasure> {
    const response = await this.send<{ erased: ApiErasure; runningHandoffIds?: string[] }>({
      method: 'DELETE',
      url: `/v1/customers/${enc(email)}`,
      data: { confirmEmail, actor },
      headers: { 'content-type': 'application/json' },
    });
    if (response.status === 409) throw new ErasureRefused(response.data.runningHandoffIds ?? []);
    return this.ok(response).erased;
  }

  /** POST /v1/handoffs/:id/restart: the new run's id; its refusals and problems as the client itself throws them. */
  async restart(handoffId: string, request: RestartRequest): Promise<{ handoffId: string; runId: string }> {
    const response = await this.send<{
      handoffId?: string;
      runId?: string;
      error?: string;
      problems?: string[];
      reason?: string;
    }>({
      method: 'POST',
      url: `/v1/handoffs/${enc(handoffId)}/restart`,
      data: request,
      headers: { 'content-type': 'application/json' },
    });
    const { status, data } = response;
    if (status === 400 && Array.isArray(data.problems))
      throw new InvalidHandoffRequest(data.problems, 'restart');
    if (status === 404) throw new HandoffNotFound(handoffId);
    if (status === 409) throw new HandoffRequestRefused(handoffId, data.reason ?? errorText(data));
    const started = this.ok(response);
    return { handoffId: started.handoffId ?? handoffId, runId: started.runId ?? '' };
  }

  /** GET /v1/handoffs/:id/deliveries; undefined when the ledger has no such handoff. */
  async deliveries(handoffId: string): Promise<HandoffDeliveries | undefined> {
    const response = await this.send<HandoffDeliveries>({
      method: 'GET',
      url: `/v1/handoffs/${enc(handoffId)}/deliveries`,
    });
    if (response.status === 404) return undefined;
    return this.ok(response);
  }

  async endpoints(): Promise<NotificationEndpointsHealth> {
    return this.ok(
      await this.send<NotificationEndpointsHealth>({ method: 'GET', url: '/v1/notifications/endpoints' }),
    );
  }

  /** POST …/deliveries/:deliveryId/redeliver; a 404 or 409 comes back as the notifier itself refuses. */
  async redeliver(
    handoffId: string,
    deliveryId: string,
  ): Promise<{ workflowId: string; deliveryId: string }> {
    const response = await this.send<{ workflowId: string; deliveryId: string; error?: string }>({
      method: 'POST',
      url: `/v1/handoffs/${enc(handoffId)}/deliveries/${enc(deliveryId)}/redeliver`,
      data: {},
      headers: { 'content-type': 'application/json' },
    });
    if (response.status === 404 || response.status === 409)
      throw new RedeliveryRefused(response.status, errorText(response.data));
    return this.ok(response);
  }

  private async *streamed(stream: Readable): AsyncGenerator<string> {
    try {
      for await (const chunk of stream) yield chunk as string;
    } catch (err) {
      throw new ApiUnreachable(
        this.target.url,
        this.target.source,
        `the export stopped midway: ${detailOf(err)}`,
      );
    }
  }

  /** One request; no answer at all becomes ApiUnreachable, a 401 ApiTokenRefused. Axios errors never escape. */
  private async send<T>(config: AxiosRequestConfig): Promise<AxiosResponse<T>> {
    let response: AxiosResponse<T>;
    try {
      response = await this.http.request<T>(config);
    } catch (err) {
      // Only the message: an axios error carries the request config, Authorization header included.
      throw new ApiUnreachable(this.target.url, this.target.source, detailOf(err));
    }
    if (response.status === 401) {
      throw new ApiTokenRefused(
        this.target.url,
        this.token?.source ?? 'none',
        this.token?.source === 'HANDOFF_CLI_TOKEN' && NAMED_TOKEN.test(this.token.value),
      );
    }
    return response;
  }

  /** The body of a 2xx answer; any other status becomes the error a person can act on. */
  private ok<T>(response: AxiosResponse<T>): T {
    const { status, data } = response;
    if (status >= 200 && status < 300) return data;
    if (status === 400) throw new UsageError(`the service refused the request: ${errorText(data)}`);
    throw new ApiFailed(this.target.url, status, errorText(data));
  }
}

const enc = encodeURIComponent;

function detailOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const raw = (err as { code?: unknown }).code;
  const code = typeof raw === 'string' ? raw : '';
  // A refused dual-stack connect is an AggregateError with an empty message: the code is then all there is.
  if (!err.message) return code || 'no answer';
  return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}
