// Routes over the handoff ledger, the lasting record: list and search, counts, one handoff, export, erasure.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { eraseCustomer, readHandoff, HandoffNotFound, toWorkflowId } from '../handoff-client';
import {
  ErasureRefused,
  toCsvLines,
  toJsonLines,
  type Ledger,
  type LedgerFilter,
  type LedgerSummary,
} from '../ledger';
import { HANDOFF_STATES } from '../../workflows/handoff-types';
import { HttpError } from './http-error';

type Guard = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;

export interface RecordRoutesOptions {
  client: Client;
  namespace: string;
  ledger: Ledger;
  staffOnly: Guard;
  /** Who is asking, for the audit trail. */
  actorOf: (request: FastifyRequest) => string;
}

const isoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), {
    message: 'must be a date such as 2026-11-01 or an ISO time',
  })
  .transform((s) => new Date(s).toISOString());

const filterSchema = z
  .object({
    state: z.enum(HANDOFF_STATES, { message: `must be one of ${HANDOFF_STATES.join(', ')}` }).optional(),
    needsStaff: z.enum(['true', '1'], { message: 'must be true (failed, or holding an alert)' }).optional(),
    email: z.string().trim().min(3).max(254).optional(),
    siteId: z.string().trim().min(1).max(100).optional(),
    projectId: z.string().trim().min(1).max(200).optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
  })
  .strict();

const listSchema = filterSchema
  .extend({
    sort: z.enum(['started', 'lastActivity']).default('started'),
    order: z.enum(['asc', 'desc']).default('desc'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().min(1).max(1000).optional(),
  })
  .strict();

const exportSchema = filterSchema.extend({ format: z.enum(['csv', 'jsonl']).default('csv') }).strict();

/** Parses a query, or answers 400 naming each field and what it takes. */
function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) =>
    i.code === 'unrecognized_keys'
      ? `unknown parameter(s): ${i.keys.join(', ')}`
      : `${i.path.join('.')} ${i.message}`,
  );
  throw new HttpError(400, `Invalid query: ${problems.join('; ')}`, { problems });
}

const toFilter = (q: z.infer<typeof filterSchema>): LedgerFilter => ({
  ...(q.state ? { state: q.state } : {}),
  ...(q.needsStaff ? { needsStaff: true } : {}),
  ...(q.email ? { email: q.email } : {}),
  ...(q.siteId ? { siteId: q.siteId } : {}),
  ...(q.projectId ? { projectId: q.projectId } : {}),
  ...(q.from ? { startedFrom: q.from } : {}),
  ...(q.to ? { startedTo: q.to } : {}),
});

/** A list row: the ledger summary, with the names the list has always had. */
const listed = (s: LedgerSummary) => ({
  ...s,
  workflowId: s.handoffId,
  customers: s.inviteeEmails,
  running: s.endedAt === null,
});

export function registerRecordRoutes(app: FastifyInstance, options: RecordRoutesOptions): void {
  const { ledger, staffOnly } = options;

  app.get('/v1/handoffs', { preHandler: staffOnly }, async (request) => {
    const q = parse(listSchema, request.query);
    const page = await ledger.list({
      ...toFilter(q),
      sort: q.sort,
      order: q.order,
      limit: q.limit,
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
    return { handoffs: page.items.map(listed), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  });

  app.get('/v1/handoffs/counts', { preHandler: staffOnly }, async (request) => {
    const filter = toFilter(parse(filterSchema, request.query));
    const [counts, needsStaff] = await Promise.all([
      ledger.countByState(filter),
      ledger.countNeedingStaff(filter),
    ]);
    return { counts, needsStaff };
  });

  // Streamed page by page from the ledger, never loaded whole.
  app.get('/v1/handoffs/export', { preHandler: staffOnly }, async (request, reply) => {
    const { format, ...filter } = parse(exportSchema, request.query);
    const rows = ledger.export(toFilter(filter));
    const lines = format === 'csv' ? toCsvLines(rows) : toJsonLines(rows);
    return reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/jsonl; charset=utf-8')
      .header('content-disposition', `attachment; filename="handoffs.${format}"`)
      .send(Readable.from(lines));
  });

  app.get('/v1/handoffs/:id', { preHandler: staffOnly }, async (request) => {
    const id = (request.params as { id: string }).id;
    const view = await readHandoff(options.client, ledger, id);
    if (!view) throw new HandoffNotFound(toWorkflowId(id));
    return view;
  });

  // The per-handoff record an agency archives: the handoff, its invitees, its whole audit trail.
  app.get('/v1/handoffs/:id/record', { preHandler: staffOnly }, async (request, reply) => {
    const handoffId = toWorkflowId((request.params as { id: string }).id);
    const record = await ledger.auditRecord(handoffId);
    if (!record) throw new HandoffNotFound(handoffId);
    return reply.header('content-disposition', `attachment; filename="${handoffId}.json"`).send(record);
  });

  // A customer's right to erasure: staff type the address again to confirm; the audit says who, never the address.
  app.delete('/v1/customers/:email', { preHandler: staffOnly }, async (request) => {
    // Fastify has already decoded the path parameter.
    const email = (request.params as { email: string }).email.trim().toLowerCase();
    const body = (request.body as { json?: { confirmEmail?: unknown } } | undefined)?.json;
    if (typeof body?.confirmEmail !== 'string' || body.confirmEmail.trim().toLowerCase() !== email) {
      throw new HttpError(400, 'Confirm the erasure: send {"confirmEmail": "<the same address>"}');
    }
    try {
      const erased = await eraseCustomer(
        options.client,
        options.namespace,
        ledger,
        email,
        options.actorOf(request),
      );
      return { erased };
    } catch (err) {
      if (err instanceof ErasureRefused) {
        throw new HttpError(
          409,
          `Refused: handoffs for this address are still running (${err.runningHandoffIds.join(', ')}); revoke them first`,
          { runningHandoffIds: err.runningHandoffIds },
        );
      }
      throw err;
    }
  });
}
