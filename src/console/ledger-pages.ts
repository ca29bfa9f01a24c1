// Console routes over the ledger alone: the overview, export and erasure.
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ErasureRefused, eraseCustomer } from '../handoff-client';
import { toCsvLines, toJsonLines, type LedgerFilter } from '../ledger';
import { HANDOFF_STATES } from '../../workflows/handoff-types';
import { notificationEndpointsHealth } from '../notify/delivery-views';
import type { ConsoleContext } from './context';
import { parseQuery } from './handoff-pages';
import { actorName } from './session';
import { OverviewPage } from './pages/overview';
import { ErasePage, ExportPage } from './pages/ledger-tools';

const DAY_MS = 24 * 3600_000;
const day = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date such as 2026-11-01' })
    .optional(),
);

const overviewSchema = z.object({ from: day, to: day });

const exportFilterSchema = z.object({
  state: z.preprocess((v) => (v === '' ? undefined : v), z.enum(HANDOFF_STATES).optional()),
  needsStaff: z.preprocess((v) => (v === '' ? undefined : v), z.literal('1').optional()),
  email: z.string().trim().max(254).optional(),
  siteId: z.string().trim().max(100).optional(),
  projectId: z.string().trim().max(200).optional(),
  sort: z.string().optional(),
});

const toFilter = (q: z.infer<typeof exportFilterSchema>): LedgerFilter => ({
  ...(q.state ? { state: q.state } : {}),
  ...(q.needsStaff ? { needsStaff: true } : {}),
  ...(q.email ? { email: q.email } : {}),
  ...(q.siteId ? { siteId: q.siteId } : {}),
  ...(q.projectId ? { projectId: q.projectId } : {}),
});

export function registerLedgerPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const { ledger, client, namespace } = ctx.options;
  const guarded = { preHandler: ctx.staffOnly };

  scope.get('/console/overview', guarded, async (request, reply) => {
    const q = parseQuery(overviewSchema, request.query);
    // Twelve weeks up to today unless a range is chosen; `to` is inclusive, as the date field reads.
    const to = q.to ?? new Date().toISOString().slice(0, 10);
    const from = q.from ?? new Date(Date.parse(to) - 83 * DAY_MS).toISOString().slice(0, 10);
    const [overview, endpoints] = await Promise.all([
      ledger.overview({
        from: new Date(`${from}T00:00:00Z`).toISOString(),
        to: new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS).toISOString(),
      }),
      // Now, not over the range: the same as GET /v1/notifications/endpoints.
      notificationEndpointsHealth(ledger.db, ctx.notifier),
    ]);
    return ctx.send(
      reply,
      OverviewPage({ frame: ctx.frame(request, reply, 'overview'), overview, endpoints, from, to }),
    );
  });

  scope.get('/console/export', guarded, async (request, reply) => {
    const q = parseQuery(exportFilterSchema, request.query);
    const filter = toFilter(q);
    const count = filter.needsStaff
      ? await ledger.countNeedingStaff(filter)
      : Object.values(await ledger.countByState(filter)).reduce((a, b) => a + b, 0);
    const params = new URLSearchParams(
      Object.entries(q).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
    );
    params.delete('sort');
    const filters = [...params.entries()].map(([k, v]) => `${k} ${v}`);
    return ctx.send(
      reply,
      ExportPage({ frame: ctx.frame(request, reply, 'handoffs'), count, filters, query: params.toString() }),
    );
  });

  // Streamed page by page from the ledger, as the API's export is.
  scope.get('/console/export/download', guarded, async (request, reply) => {
    const { format, ...rest } = request.query as { format?: string } & Record<string, unknown>;
    if (format !== 'csv' && format !== 'jsonl')
      throw Object.assign(new Error('format must be csv or jsonl'), { statusCode: 400 });
    const rows = ledger.export(toFilter(parseQuery(exportFilterSchema, rest)));
    return reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/jsonl; charset=utf-8')
      .header('content-disposition', `attachment; filename="handoffs.${format}"`)
      .send(Readable.from(format === 'csv' ? toCsvLines(rows) : toJsonLines(rows)));
  });

  scope.get('/console/erase', guarded, async (request, reply) =>
    ctx.send(reply, ErasePage({ frame: ctx.frame(request, reply, 'erase') })),
  );

  scope.post('/console/erase', { preHandler: [ctx.staffOnly, ctx.csrf] }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const email = typeof body.email === 'string' ? body.email.trim().toLowerCase() : '';
    const confirm = typeof body.confirmEmail === 'string' ? body.confirmEmail.trim().toLowerCase() : '';
    const page = (extra: Parameters<typeof ErasePage>[0], status: number) =>
      ctx.send(reply, ErasePage(extra), status);
    const frame = ctx.frame(request, reply, 'erase');
    if (!email.includes('@')) return page({ frame, refused: 'Type the customer email address.' }, 400);
    if (confirm !== email)
      return page({ frame, email, refused: 'The two addresses differ: type the same address twice.' }, 400);
    try {
      const erased = await eraseCustomer(client, namespace, ledger, email, actorName(request.staff));
      return page({ frame, erased }, 200);
    } catch (err) {
      if (err instanceof ErasureRefused) {
        return page(
          {
            frame,
            email,
            refused: `Refused: handoffs for this address are still running (${err.runningHandoffIds.join(', ')}). Revoke them first.`,
          },
          409,
        );
      }
      throw err;
    }
  });
}
