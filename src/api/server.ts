// The HTTP API: project-completed webhooks in, handoff status and staff actions out.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Gauge } from 'prom-client';
import type { KeyObject } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import {
  HandoffAlreadyFinished,
  HandoffNotFound,
  HandoffRequestRefused,
  InvalidHandoffRequest,
  WixDidNotAnswer,
  completeProject,
  hasHandoffSearchAttribute,
  removeContributor,
  restartHandoff,
  resendHandoff,
  retryHandoff,
  revokeHandoff,
} from '../handoff-client';
import type { Ledger } from '../ledger';
import type { HandoffMetrics } from '../metrics';
import { HttpError } from './http-error';
import { registerRecordRoutes } from './record-routes';
import { registerChangeRoutes } from './change-routes';
import { registerNotificationRoutes } from './notification-routes';
import { registerWixWebhookRoutes } from './wix-webhook-routes';
import type { Notifier } from '../notify';
import { HANDOFF_STATES } from '../../workflows/handoff-types';
import type { RemoveContributorResult } from '../../workflows/remove-contributor';
import { registerConsole, type ConsoleOptions } from '../console';
import { parseStaffTokens, staffForBearer, type Staff } from './staff-tokens';
import { REPLAY_WINDOW_SECONDS, SIGNATURE_HEADER, signatureProblem } from './webhook-signature';

export interface ApiOptions {
  client: Client;
  namespace: string;
  taskQueue: string;
  /** Secrets accepted for webhook signatures (several during a rotation); none = unsigned webhooks allowed. */
  webhookSecrets: string[];
  /** Bearer tokens accepted on staff routes (several during a rotation); none = staff routes open. */
  apiTokens: string[];
  metrics?: HandoffMetrics;
  /** The handoff records: reads of finished handoffs, lists, counts, export and erasure. */
  ledger: Ledger;
  /** Payload codec served at /codec/encode and /codec/decode for the Temporal Web UI (staff only). */
  codec?: PayloadCodec;
  /** Web UI origins allowed to call the codec endpoint from the browser (a staff token is still needed). */
  codecCorsOrigins?: string[];
  /**
   * The embedded dev server's UI origins (`npm start`): the codec answers them without a token, but only when the
   * caller is on this machine (loopback), since that UI has no way to send one.
   */
  codecLocalOrigins?: string[];
  /** The staff console at `/` (served with the API, on its origin); off when left out. */
  console?: Omit<ConsoleOptions, 'client' | 'namespace' | 'taskQueue' | 'ledger' | 'staffTokens'>;
  /** Request log; off in tests. */
  logger?: boolean;
  /** Notification endpoints: deliveries expected from each handoff's trail, and redelivery. */
  notifier?: Notifier;
  /** Verifies Wix's Contributor Created webhooks (WIX_WEBHOOK_PUBLIC_KEY); none = every delivery refused. */
  wixWebhookPublicKey?: KeyObject;
}

/** A project-completed event is small; anything bigger is a mistake or an attack. */
const BODY_LIMIT_BYTES = 64 * 1024;

declare module 'fastify' {
  interface FastifyRequest {
    /** The staff member a named token or console session identifies; set by the staff guard. */
    staff: Staff | null;
  }
}

/** A named token's holder is the actor; only an unnamed token's caller may say who they are. */
function actorOf(request: FastifyRequest, body: unknown, fallback: string): string {
  if (request.staff?.name) return request.staff.name;
  const actor = (body as { actor?: unknown } | undefined)?.actor;
  return typeof actor === 'string' && actor.trim() ? actor.trim().slice(0, 100) : fallback;
}

export function buildApi(options: ApiOptions): FastifyInstance {
  const { client } = options;
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: BODY_LIMIT_BYTES });
  const staffTokens = parseStaffTokens(options.apiTokens);
  app.decorateRequest('staff', null);
  let searchAttribute: Promise<boolean> | undefined;
  const seenSignatures = new ReplayGuard(REPLAY_WINDOW_SECONDS * 1000);

  // Keep the raw body: the webhook signature covers the exact bytes sent.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const raw = String(body);
    try {
      done(null, { raw, json: raw.length ? (JSON.parse(raw) as unknown) : undefined });
    } catch {
      done(
        new HttpError(
          400,
          'The body is not valid JSON: send a JSON object with Content-Type: application/json',
        ),
        undefined,
      );
    }
  });

  const bodyOf = (request: FastifyRequest): { raw: string; json: unknown } =>
    (request.body as { raw: string; json: unknown } | undefined) ?? { raw: '', json: undefined };

  const staffOnly = (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    if (staffTokens.length === 0) return done();
    request.staff = staffForBearer(staffTokens, request.headers.authorization) ?? null;
    if (request.staff) return done();
    done(new HttpError(401, 'Staff routes need "Authorization: Bearer <HANDOFF_API_TOKEN>"'));
  };

  app.setErrorHandler((error: unknown, _request, reply: FastifyReply) => {
    if (error instanceof HttpError) {
      return reply.status(error.statusCode).send({ error: error.message, ...error.extra });
    }
    if (error instanceof InvalidHandoffRequest) {
      return reply.status(400).send({ error: `Invalid ${error.what}`, problems: error.problems });
    }
    if (error instanceof HandoffNotFound) return reply.status(404).send({ error: error.message });
    if (error instanceof HandoffAlreadyFinished) return reply.status(409).send({ error: error.message });
    if (error instanceof HandoffRequestRefused) {
      return reply.status(409).send({ error: `Refused: ${error.reason}`, reason: error.reason });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.status(status).send({ error: (error as Error).message });
    }
    app.log.error(error);
    return reply.status(500).send({ error: 'Internal error; see the service log' });
  });

  app.get('/healthz', async () => {
    await client.workflowService.getSystemInfo({});
    return { ok: true };
  });

  app.get('/metrics', async (_request, reply) => {
    if (!options.metrics) throw new HttpError(404, 'Metrics are not enabled');
    const { registry } = options.metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });

  app.post('/v1/events/project-completed', async (request, reply) => {
    const { raw, json } = bodyOf(request);
    if (options.webhookSecrets.length > 0) {
      const rawHeader = request.headers[SIGNATURE_HEADER];
      const header = Array.isArray(rawHeader) ? rawHeader[0] : rawHeader;
      const problem = signatureProblem(options.webhookSecrets, header, raw);
      if (problem) throw new HttpError(401, `Webhook signature refused: ${problem}`);
      if (!seenSignatures.firstUse(header!)) {
        throw new HttpError(
          401,
          'Webhook signature refused: this signed request was already received (replay)',
        );
      }
    }
    if (json === undefined) throw new HttpError(400, 'Send the project-completed event as a JSON body');
    searchAttribute ??= hasHandoffSearchAttribute(client, options.namespace);
    const { workflowId, project } = await completeProject(client, json, {
      taskQueue: options.taskQueue,
      withSearchAttribute: await searchAttribute,
    });
    return reply
      .status(202)
      .send({ handoffId: workflowId, siteId: project.siteId, status: `/v1/handoffs/${workflowId}` });
  });

  registerRecordRoutes(app, {
    client,
    namespace: options.namespace,
    ledger: options.ledger,
    staffOnly,
    actorOf: (request) => actorOf(request, bodyOf(request).json, 'api'),
  });

  registerChangeRoutes(app, {
    client,
    taskQueue: options.taskQueue,
    ledger: options.ledger,
    staffOnly,
    actorOf: (request) => actorOf(request, bodyOf(request).json, 'api'),
    bodyOf: (request) => {
      const json = bodyOf(request).json;
      return typeof json === 'object' && json !== null && !Array.isArray(json)
        ? (json as Record<string, unknown>)
        : {};
    },
  });

  registerNotificationRoutes(app, { ledger: options.ledger, notifier: options.notifier, staffOnly });

  // Wix's push hint: in its own scope, which reads the body (a bare JWT) as text whatever its content type.
  void app.register(registerWixWebhookRoutes, {
    client,
    ...(options.wixWebhookPublicKey ? { publicKey: options.wixWebhookPublicKey } : {}),
    ...(options.metrics ? { hints: options.metrics.wixHints } : {}),
  });

  // After a revoke, an expiry or a failed run: a new run for the site, linked to the previous one.
  app.post('/v1/handoffs/:id/restart', { preHandler: staffOnly }, async (request, reply) => {
    const body = (bodyOf(request).json ?? {}) as {
      reason?: unknown;
      customerEmails?: unknown;
      role?: unknown;
    };
    if (body.customerEmails !== undefined && !Array.isArray(body.customerEmails))
      throw new HttpError(400, 'customerEmails must be a list of addresses');
    if (body.role !== undefined && typeof body.role !== 'string')
      throw new HttpError(400, 'role must be a string');
    searchAttribute ??= hasHandoffSearchAttribute(client, options.namespace);
    const started = await restartHandoff(
      client,
      options.ledger,
      (request.params as { id: string }).id,
      {
        reason: typeof body.reason === 'string' ? body.reason : '',
        actor: actorOf(request, body, 'api'),
        ...(body.customerEmails ? { customerEmails: body.customerEmails as string[] } : {}),
        ...(typeof body.role === 'string' ? { role: body.role } : {}),
      },
      { taskQueue: options.taskQueue, withSearchAttribute: await searchAttribute },
    );
    return reply.status(201).send({
      handoffId: started.workflowId,
      runId: started.runId,
      status: `/v1/handoffs/${started.workflowId}`,
    });
  });

  app.post('/v1/handoffs/:id/revoke', { preHandler: staffOnly }, async (request, reply) => {
    const body = bodyOf(request).json as { reason?: unknown } | undefined;
    const reason = typeof body?.reason === 'string' ? body.reason.trim() : '';
    if (!reason || reason.length > 500)
      throw new HttpError(400, 'Send {"reason": "..."} (1 to 500 characters)');
    const status = await revokeHandoff(client, (request.params as { id: string }).id, {
      reason,
      actor: actorOf(request, body, 'api'),
    });
    return reply.status(202).send(status);
  });

  app.post('/v1/handoffs/:id/resend', { preHandler: staffOnly }, async (request, reply) => {
    const body = bodyOf(request).json as { email?: unknown } | undefined;
    if (body?.email !== undefined && typeof body.email !== 'string')
      throw new HttpError(400, 'email must be a string');
    const status = await resendHandoff(client, (request.params as { id: string }).id, {
      actor: actorOf(request, body, 'api'),
      ...(typeof body?.email === 'string' ? { email: body.email } : {}),
    });
    return reply.status(202).send(status);
  });

  app.post('/v1/handoffs/:id/retry', { preHandler: staffOnly }, async (request, reply) => {
    await retryHandoff(
      client,
      (request.params as { id: string }).id,
      actorOf(request, bodyOf(request).json, 'api'),
    );
    return reply.status(202).send({ accepted: true });
  });

  // Revoked means out: when a revoked handoff reports a contributor in its alerts, staff remove it here.
  app.post(
    '/v1/sites/:siteId/contributors/:accountId/remove',
    { preHandler: staffOnly },
    async (request, reply) => {
      const { siteId, accountId } = request.params as { siteId: string; accountId: string };
      const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
      if (!guid.test(siteId) || !guid.test(accountId))
        throw new HttpError(400, 'siteId and accountId must be GUIDs');
      let result: RemoveContributorResult;
      try {
        result = await removeContributor(client, options.taskQueue, { siteId, accountId });
      } catch (err) {
        if (err instanceof WixDidNotAnswer) throw new HttpError(503, `${err.message}; try again`);
        throw err;
      }
      if (result.outcome === 'refused') {
        const status = result.status ?? 0;
        if (status >= 400 && status < 500) throw new HttpError(status === 404 ? 404 : 409, result.reason);
        throw new HttpError(502, `Wix refused the removal: ${result.reason}`);
      }
      return reply
        .status(200)
        .send({ removed: accountId, siteId, ...(result.detail ? { detail: result.detail } : {}) });
    },
  );

  if (options.codec) registerCodecRoutes(app, options.codec, options);
  if (options.console) {
    registerConsole(app, {
      ...options.console,
      client,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      ledger: options.ledger,
      staffTokens,
    });
  }

  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: `No route ${request.method} ${request.url}; see the README for the API` }),
  );

  if (options.metrics) registerStateGauge(options);
  return app;
}

/** Handoffs by state, counted in the ledger at scrape time: one SQL query, finished handoffs included. */
function registerStateGauge(options: ApiOptions): void {
  new Gauge({
    name: 'handoff_handoffs',
    help: 'Handoffs by state (from the ledger)',
    labelNames: ['state'] as const,
    registers: [options.metrics!.registry],
    async collect() {
      const counts = await options.ledger.countByState();
      for (const state of HANDOFF_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });
}

type JsonPayload = { metadata?: Record<string, string>; data?: string };

const isLoopback = (address: string | undefined): boolean =>
  !!address && (address === '::1' || /^(::ffff:)?127\./.test(address));

/** The Temporal codec server protocol: base64 payloads in, base64 payloads out, for the Web UI to show decoded data. */
function registerCodecRoutes(app: FastifyInstance, codec: PayloadCodec, options: ApiOptions): void {
  const localOrigins = options.codecLocalOrigins ?? [];
  const origins = [...(options.codecCorsOrigins ?? []), ...localOrigins];
  // Decoded payloads are customer data: a staff token, or the embedded UI in a browser on this machine. Unlike the
  // staff routes, never open just because HANDOFF_API_TOKEN is unset.
  const codecAccess = (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
    const { authorization, origin } = request.headers;
    if (staffForBearer(parseStaffTokens(options.apiTokens), authorization)) return done();
    if (!authorization && origin && localOrigins.includes(origin) && isLoopback(request.socket.remoteAddress))
      return done();
    if (authorization || !origin) {
      return done(new HttpError(401, 'The codec needs "Authorization: Bearer <HANDOFF_API_TOKEN>"'));
    }
    done(new HttpError(403, 'The codec answers this origin only with a staff token'));
  };
  const fromJson = (p: JsonPayload): Payload => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    ),
    data: Buffer.from(p.data ?? '', 'base64'),
  });
  const toJson = (p: Payload): JsonPayload => ({
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? []).toString('base64'),
  });
  const cors = (request: FastifyRequest, reply: FastifyReply): void => {
    const origin = request.headers.origin;
    if (origin && origins.includes(origin)) {
      void reply
        .header('access-control-allow-origin', origin)
        .header('access-control-allow-credentials', 'true')
        .header('access-control-allow-headers', 'content-type,x-namespace,authorization')
        .header('access-control-allow-methods', 'POST, OPTIONS')
        .header('vary', 'origin');
    }
  };
  // CORS headers first, so a browser sees a refusal as a 401/403 rather than as a CORS failure.
  const onRequest = (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    cors(request, reply);
    done();
  };
  for (const action of ['encode', 'decode'] as const) {
    app.options(`/codec/${action}`, (request, reply) => {
      cors(request, reply);
      void reply.status(204).send();
    });
    app.post(`/codec/${action}`, { onRequest, preHandler: codecAccess }, async (request, reply) => {
      const body = (request.body as { json?: { payloads?: unknown } } | undefined)?.json;
      // Protobuf JSON leaves an empty list out: the Temporal CLI sends {} for an event without payloads.
      const list = typeof body === 'object' && body !== null ? (body.payloads ?? []) : undefined;
      if (!Array.isArray(list)) throw new HttpError(400, 'Send {"payloads": [...]}');
      const payloads = (list as JsonPayload[]).map(fromJson);
      const result = action === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
      return reply.send({ payloads: result.map(toJson) });
    });
  }
}

/**
 * Signatures seen within the replay window: a captured request cannot be sent again. Per API process; signatures
 * older than the window are refused by their timestamp anyway, so memory stays bounded.
 */
class ReplayGuard {
  private readonly seen = new Map<string, number>();
  constructor(private readonly windowMs: number) {}

  firstUse(signature: string, now = Date.now()): boolean {
    for (const [sig, expires] of this.seen) if (expires < now) this.seen.delete(sig);
    if (this.seen.has(signature)) return false;
    // Twice the window: a timestamp may be up to one window in the future as well as in the past.
    this.seen.set(signature, now + 2 * this.windowMs);
    return true;
  }
}
