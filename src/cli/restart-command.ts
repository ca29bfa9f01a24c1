// `site-handoff restart`: after a handoff ended (revoked, expired, failed), a new run for the same site.
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import {
  InvalidHandoffRequest,
  getHandoffStatus,
  toWorkflowId,
  type RestartRequest,
} from '../handoff-client';
import { defaultApiUrl } from './api-client';
import { NoRecords, TemporalUnreachable } from './errors';
import { renderStatus } from './format';
import type { HandoffStatus } from '../../workflows/handoff-types';
import { hasWorker, taskQueueOf } from './workers';
import { withCliNames } from './change-commands';
import type { ChangeCommandHelpers } from './context';
import type { CliContext } from './context';

/** The new run's status from Temporal (the ledger still shows the old run until the new one writes). */
async function newRunStatus(ctx: CliContext, workflowId: string): Promise<HandoffStatus | undefined> {
  let temporal: { client: Client; namespace: string };
  try {
    temporal = await ctx.temporal();
  } catch (err) {
    // Restarted through the service's API: the run is there, only its status cannot be shown from here.
    if (err instanceof TemporalUnreachable) return undefined;
    throw err;
  }
  const taskQueue = await taskQueueOf(temporal.client, workflowId);
  if (!(await hasWorker(temporal.client, temporal.namespace, taskQueue))) {
    ctx.err(
      `warning: no worker is polling task queue "${taskQueue}": the new run waits until one runs ` +
        '(`site-handoff worker` or `npm start`, with the same HANDOFF_TASK_QUEUE).\n',
    );
    return undefined;
  }
  return getHandoffStatus(temporal.client, workflowId);
}

const FLAG_NAMES = {
  reason: '--reason',
  customerEmails: '--emails',
  role: '--role',
};

const splitEmails = (value: string): string[] =>
  value
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);

export function registerRestartCommand(
  program: Command,
  ctx: CliContext,
  helpers: Pick<ChangeCommandHelpers, 'print' | 'printJson' | 'isJson' | 'defaultActor'>,
): void {
  const { print, printJson, isJson, defaultActor } = helpers;

  program
    .command('restart')
    .description(
      'Start an ended handoff (revoked, expired or failed) again: a new run for the same site, linked to the previous one',
    )
    .argument('<id>', 'handoff id (handoff-<siteId>) or the bare site id')
    .requiredOption('--reason <text>', 'why, for the audit trail (e.g. "customer asked again")')
    .option(
      '--emails <addresses>',
      "whom to invite, comma-separated (default: the previous run's invitees that neither accepted nor were removed)",
    )
    .option('--role <role>', "the Wix role to invite them in (default: the previous run's)")
    .option('--actor <name>', 'who asks, for the audit trail', defaultActor())
    .addHelpText(
      'after',
      '\nRefused (exit 4) while the handoff runs (change or revoke it) and after it ended as accepted. Reads the ' +
        "ledger (HANDOFF_DATABASE_URL or the service's API), which numbers the new run's audit on from the old.\n" +
        'Example:\n  site-handoff restart 9d2c7e10-… --reason "customer asked again" --emails owner@customer.example',
    )
    .action(
      async (
        id: string,
        opts: { reason: string; emails?: string; role?: string; actor: string },
        cmd: Command,
      ) => {
        const workflowId = toWorkflowId(id);
        const records = await ctx.records();
        // Without the ledger the new run would number its audit from Temporal's last run only, clashing in it.
        if (!records) throw new NoRecords('restart', defaultApiUrl(process.env));
        const request: RestartRequest = {
          reason: opts.reason,
          actor: opts.actor,
          ...(opts.emails !== undefined ? { customerEmails: splitEmails(opts.emails) } : {}),
          ...(opts.role !== undefined ? { role: opts.role.trim() } : {}),
        };
        let started: { handoffId: string; runId: string };
        try {
          started = await records.restart(workflowId, request);
        } catch (err) {
          if (err instanceof InvalidHandoffRequest)
            throw new InvalidHandoffRequest(
              err.problems.map((p) => withCliNames(p, FLAG_NAMES)),
              err.what,
            );
          throw err;
        }
        const status = await newRunStatus(ctx, workflowId);
        if (isJson(cmd)) return printJson({ ...started, status: status ?? null });
        print([
          `Restarted ${workflowId} as a new run ${started.runId}: the worker invites the customer again.`,
          ...(status ? ['', ...renderStatus(workflowId, status, ctx.width)] : []),
          '',
          `Follow it with: site-handoff status ${workflowId}`,
        ]);
      },
    );
}
