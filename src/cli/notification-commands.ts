// `site-handoff deliveries | redeliver | endpoints`: the notification log, redelivery and endpoint health (issue 14),
// the same views the API and the console show, from the ledger or through the service's API.
import type { Command } from 'commander';
import { HandoffNotFound, toWorkflowId } from '../handoff-client';
import {
  DELIVERY_ID,
  attemptResult,
  deliveriesByEndpoint,
  type HandoffDeliveries,
  type NotificationEndpointsHealth,
} from '../notify/delivery-views';
import { defaultApiUrl } from './api-client';
import { NoRecords, UsageError } from './errors';
import { isoSeconds, renderTable, type Cell } from './format';
import type { HandoffRecords } from './records';
import type { ChangeCommandHelpers } from './context';
import type { CliContext } from './context';

const resultText = (statusCode: number | null, error: string | null): string =>
  attemptResult(statusCode, error, '-');

export function renderDeliveries(view: HandoffDeliveries, width: number): string[] {
  const lines: string[] = [];
  if (view.endpoints.length === 0)
    lines.push(
      'Notifications are not configured here (HANDOFF_NOTIFY_WEBHOOK_URL or HANDOFF_NOTIFY_CONFIG): the log alone.',
    );
  if (view.deliveries.length === 0) {
    lines.push(`No notification for ${view.handoffId} yet.`);
    return lines;
  }
  for (const { name, kind, rows } of deliveriesByEndpoint(view)) {
    if (lines.length) lines.push('');
    lines.push(
      `Endpoint ${name} (${kind}): ${rows.filter((d) => d.delivered).length} of ${rows.length} delivered`,
    );
    lines.push(
      ...renderTable(
        [
          { header: 'EVENT' },
          { header: 'WEBHOOK-ID' },
          { header: 'ATTEMPTS' },
          { header: 'STATE' },
          { header: 'LAST ATTEMPT' },
          { header: 'LAST RESULT', shrink: 1, min: 12 },
        ],
        rows.map((d): Cell[] => [
          d.type,
          d.deliveryId,
          d.series > 1 ? `${d.attempts} in ${d.series} series` : d.attempts,
          d.state,
          isoSeconds(d.lastAttemptAt),
          d.attempts ? resultText(d.lastStatus, d.lastError) : '-',
        ]),
        width,
      ),
    );
  }
  return lines;
}

export function renderEndpoints(health: NotificationEndpointsHealth, width: number): string[] {
  const lines: string[] = [];
  if (!health.configured)
    lines.push(
      'Notifications are not configured here (HANDOFF_NOTIFY_WEBHOOK_URL or HANDOFF_NOTIFY_CONFIG): from the log alone.',
    );
  if (health.endpoints.length === 0) {
    lines.push('No notification endpoint has been attempted yet.');
    return lines;
  }
  const h = `${health.windowHours}h`;
  lines.push(
    ...renderTable(
      [
        { header: 'ENDPOINT' },
        { header: 'KIND' },
        { header: 'HEALTH' },
        { header: 'LAST SUCCESS' },
        { header: `FAILED (${h})` },
        { header: `ATTEMPTS (${h})` },
        { header: 'LATEST FAILURE', shrink: 1, min: 16 },
      ],
      health.endpoints.map((e): Cell[] => [
        e.endpoint,
        e.kind ?? 'not configured here',
        e.status,
        e.lastDeliveredAt ? isoSeconds(e.lastDeliveredAt) : e.lastAttemptAt ? 'never' : '-',
        e.failed,
        e.attempts,
        e.lastFailure
          ? `${isoSeconds(e.lastFailure.at)} ${resultText(e.lastFailure.statusCode, e.lastFailure.error)} ` +
            `(${e.lastFailure.handoffId}${e.failedHandoffs > 1 ? ` and ${e.failedHandoffs - 1} more` : ''})`
          : '-',
      ]),
      width,
    ),
    '',
    health.rule,
  );
  return lines;
}

export function registerNotificationCommands(
  program: Command,
  ctx: CliContext,
  helpers: Pick<ChangeCommandHelpers, 'print' | 'printJson' | 'isJson'>,
): void {
  const { print, printJson, isJson } = helpers;
  const records = async (what: string): Promise<HandoffRecords> => {
    const found = await ctx.records();
    if (!found) throw new NoRecords(what, defaultApiUrl(process.env));
    return found;
  };

  program
    .command('deliveries')
    .description(
      "A handoff's notifications: per endpoint and event, attempts, the last result, and its state",
    )
    .argument('<id>', 'handoff id (handoff-<siteId>) or the bare site id')
    .addHelpText(
      'after',
      "\nReads the ledger (HANDOFF_DATABASE_URL or the service's API). States: delivered, not attempted, failing " +
        '(still retrying), given up.\nExample:\n  site-handoff deliveries 9d2c7e10-…',
    )
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const handoffId = toWorkflowId(id);
      const view = await (await records('deliveries')).deliveries(handoffId);
      if (!view) throw new HandoffNotFound(handoffId);
      if (isJson(cmd)) return printJson(view);
      print(renderDeliveries(view, ctx.width));
    });

  program
    .command('redeliver')
    .description('Send one notification again, as a new series of attempts with the same webhook-id')
    .argument('<id>', 'handoff id (handoff-<siteId>) or the bare site id')
    .argument('<webhookId>', 'the delivery, as `site-handoff deliveries <id>` lists it (msg_…)')
    .action(async (id: string, deliveryId: string, _opts: unknown, cmd: Command) => {
      const handoffId = toWorkflowId(id);
      const trimmed = deliveryId.trim();
      if (!DELIVERY_ID.test(trimmed))
        throw new UsageError(
          `<webhookId> must look like msg_ followed by 32 hex digits, got "${trimmed.slice(0, 40)}"`,
          `\`site-handoff deliveries ${handoffId}\` lists them.`,
        );
      const started = await (await records('redeliver')).redeliver(handoffId, trimmed);
      if (isJson(cmd)) return printJson(started);
      print([
        `Redelivery started: ${trimmed} goes to its endpoint again with the same webhook-id (${started.workflowId}).`,
        `Follow it with: site-handoff deliveries ${handoffId}`,
      ]);
    });

  program
    .command('endpoints')
    .description("Each notification endpoint's health: failing, degraded or healthy, from the delivery log")
    .action(async (_opts: unknown, cmd: Command) => {
      const health = await (await records('endpoints')).endpoints();
      if (isJson(cmd)) return printJson(health);
      print(renderEndpoints(health, ctx.width));
    });
}
