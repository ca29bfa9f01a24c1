// Delivers one notification attempt: a Standard Webhooks POST (or a Slack message), 2xx within the timeout counts
// as delivered, and every attempt is logged in the ledger (metadata only; the response body is never read).
import { activityInfo, ApplicationFailure, log } from '@temporalio/activity';
import axios, { type AxiosInstance } from 'axios';
import type { Kysely } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { recordDeliveryAttempt, type DeliveryAttemptWrite } from '../src/ledger/deliveries';
import type { LedgerDatabase } from '../src/ledger/schema';
import type { NotifyEndpoint } from '../src/notify/config';
import { slackMessage } from '../src/notify/slack';
import { UNKNOWN_ENDPOINT, type DeliveryInput } from '../workflows/deliver-notification';

export interface NotifyActivityDeps {
  /** Looked up by name at every attempt: URLs and secrets live here, never in workflow history. */
  endpoints: readonly NotifyEndpoint[];
  /** The ledger's database, for the delivery log. */
  db: Kysely<LedgerDatabase>;
  /** A response must have begun and ended within this (default 15 s). */
  timeoutMs?: number;
  http?: AxiosInstance;
}

export interface AttemptOutcome {
  statusCode: number;
  attempt: number;
  workflowId: string;
  at: string;
  durationMs: number;
  /** False when the log write failed: the workflow then writes it, so a success is never sent twice for it. */
  logged: boolean;
}

export const ENDPOINT_REFUSED = 'NotifyEndpointRefused';
export const ENDPOINT_UNREACHABLE = 'NotifyEndpointUnreachable';
const ERROR_LIMIT = 300;
const USER_AGENT = 'site-handoff-notify/1';

/** The Standard Webhooks headers: one `v1,` signature per secret, space-separated, so a rotation verifies either way. */
export function signedHeaders(
  secrets: readonly string[],
  id: string,
  at: Date,
  body: string,
): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((s) => new Webhook(s).sign(id, at, body)).join(' '),
  };
}

export function createNotifyActivities({
  endpoints,
  db,
  timeoutMs = 15_000,
  http = axios.create(),
}: NotifyActivityDeps) {
  const byName = new Map(endpoints.map((e) => [e.name, e]));

  const logAttempt = async (row: DeliveryAttemptWrite): Promise<boolean> => {
    try {
      await recordDeliveryAttempt(db, row);
      return true;
    } catch (err) {
      // The log must not decide the delivery: a failed attempt is retried anyway, a success is logged by the workflow.
      log.warn('Could not log a notification attempt', { deliveryId: row.deliveryId, error: String(err) });
      return false;
    }
  };

  return {
    async deliverWebhook(input: DeliveryInput): Promise<AttemptOutcome> {
      const info = activityInfo();
      const started = new Date();
      const base = {
        deliveryId: input.deliveryId,
        // Standalone activities have no workflow; a delivery always runs in one.
        workflowId: info.workflowExecution?.workflowId ?? info.activityId,
        attempt: info.attempt,
        handoffId: input.handoffId,
        seq: input.seq,
        endpoint: input.endpoint,
        eventType: input.event.type,
        at: started.toISOString(),
      };
      const endpoint = byName.get(input.endpoint);
      if (!endpoint) {
        const error = `endpoint "${input.endpoint}" is not configured on this worker`;
        await logAttempt({ ...base, statusCode: null, error, delivered: false, durationMs: null });
        throw ApplicationFailure.create({ type: UNKNOWN_ENDPOINT, message: error, nonRetryable: true });
      }
      const body = JSON.stringify(endpoint.kind === 'slack' ? slackMessage(input.event) : input.event);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...(endpoint.kind === 'webhook'
          ? signedHeaders(endpoint.secrets, input.deliveryId, started, body)
          : {}),
      };
      let statusCode: number | null = null;
      let error: string | null = null;
      try {
        const response = await http.post<NodeJS.ReadableStream & { destroy(): void }>(endpoint.url, body, {
          headers,
          // Idle timeout and a total deadline: a slowly trickling endpoint is cut off too.
          timeout: timeoutMs,
          signal: AbortSignal.timeout(timeoutMs),
          maxRedirects: 0,
          // Every status is judged here; the body is a stream that is closed unread.
          validateStatus: () => true,
          responseType: 'stream',
          transformRequest: [(data: string) => data],
        });
        response.data.destroy();
        statusCode = response.status;
        if (statusCode < 200 || statusCode > 299) error = `HTTP ${statusCode}`;
      } catch (err) {
        error = describe(err, endpoint.url, timeoutMs);
      }
      const durationMs = Date.now() - started.getTime();
      const delivered = error === null;
      const logged = await logAttempt({ ...base, statusCode, error, delivered, durationMs });
      if (delivered) {
        return {
          statusCode: statusCode!,
          attempt: base.attempt,
          workflowId: base.workflowId,
          at: base.at,
          durationMs,
          logged,
        };
      }
      throw ApplicationFailure.create({
        type: statusCode === null ? ENDPOINT_UNREACHABLE : ENDPOINT_REFUSED,
        message: `${input.endpoint}: ${error}`,
        details: [{ statusCode }],
      });
    },

    /** The success log a failed log write left out; idempotent. */
    async recordDelivered(input: DeliveryInput, outcome: AttemptOutcome): Promise<void> {
      await recordDeliveryAttempt(db, {
        deliveryId: input.deliveryId,
        workflowId: outcome.workflowId,
        attempt: outcome.attempt,
        handoffId: input.handoffId,
        seq: input.seq,
        endpoint: input.endpoint,
        eventType: input.event.type,
        at: outcome.at,
        statusCode: outcome.statusCode,
        error: null,
        delivered: true,
        durationMs: outcome.durationMs,
      });
    },
  };
}

/** A short reason for the log: never the URL (a Slack URL is a credential) nor anything the endpoint sent. */
function describe(err: unknown, url: string, timeoutMs: number): string {
  const e = err as { code?: string; message?: string; name?: string };
  if (
    e?.code === 'ECONNABORTED' ||
    e?.code === 'ERR_CANCELED' ||
    e?.name === 'TimeoutError' ||
    e?.name === 'AbortError'
  )
    return `no answer within ${timeoutMs / 1000} s`;
  const message = `${e?.code ? `${e.code}: ` : ''}${e?.message ?? String(err)}`.split(url).join('<endpoint>');
  return message.slice(0, ERROR_LIMIT);
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
