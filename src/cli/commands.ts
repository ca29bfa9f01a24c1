// The commands: parse with commander, call src/handoff-client.ts, print a table or --json.
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { readTaskQueue } from '../config';
import {
  HandoffNotFound,
  completeProject,
  getHandoffStatus,
  hasHandoffSearchAttribute,
  listHandoffs,
  resendHandoff,
  retryHandoff,
  readHandoff,
  revokeHandoff,
  toWorkflowId,
} from '../handoff-client';
import type { Ledger } from '../ledger';
import { HANDOFF_STATES, type HandoffState } from '../../workflows/handoff-types';
import { EXIT_CODES_HELP, UsageError } from './errors';
import { renderList, renderStatus } from './format';
import { readProjectCompleted, type CompleteFlags } from './payload';
import { NoWorker, hasWorker, requireWorker, taskQueueOf } from './workers';

export interface CliContext {
  out: (s: string) => void;
  err: (s: string) => void;
  stdin: NodeJS.ReadableStream;
  width: number;
  /** Connects on first use; the caller closes it after the command. */
  temporal: () => Promise<{ client: Client; namespace: string }>;
  /** The handoff records (HANDOFF_DATABASE_URL), undefined when not configured. */
  ledger: () => Promise<Ledger | undefined>;
}

function defaultActor(): string {
  let user: string | undefined;
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): fall back to the environment.
    user = process.env.USER ?? process.env.USERNAME;
  }
  return `cli:${user || 'unknown'}`;
}

function wholeNumber(min: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min) {
      throw new InvalidArgumentError(`must be a whole number, ${min} or more`);
    }
    return Number(value);
  };
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** Runs a module that starts itself on import (the worker, the whole service). */
async function runSelfStarting(ctx: CliContext, moduleName: string, what: string): Promise<void> {
  const modulePath = path.join(__dirname, '..', moduleName);
  try {
    require.resolve(modulePath);
  } catch {
    throw new UsageError(`${what} is not available: src/${moduleName}.ts is missing from this build`);
  }
  ctx.err(`site-handoff: starting ${what}\n`);
  await import(modulePath);
}

/** Without the ledger, every handoff Temporal still holds is asked for its status. */
async function listFromTemporal(ctx: CliContext, opts: { state?: HandoffState; limit: number }) {
  const { client, namespace } = await ctx.temporal();
  const taskQueue = readTaskQueue(process.env);
  if (!(await hasWorker(client, namespace, taskQueue))) {
    throw new NoWorker(taskQueue, 'list asks every handoff for its status, and only a worker can answer');
  }
  return listHandoffs(client, { namespace, state: opts.state, limit: opts.limit });
}

export function buildProgram(ctx: CliContext): Command {
  const print = (lines: string[] | string): void => {
    ctx.out(`${(Array.isArray(lines) ? lines : [lines]).join('\n')}\n`);
  };
  const printJson = (value: unknown): void => ctx.out(`${JSON.stringify(value, null, 2)}\n`);
  const isJson = (cmd: Command): boolean => cmd.optsWithGlobals<{ json?: boolean }>().json === true;
  /** Signals queue up without a worker: say so, since a wrong HANDOFF_TASK_QUEUE looks just like this. */
  const warnWithoutWorker = async (client: Client, namespace: string, taskQueue: string, what: string) => {
    if (!(await hasWorker(client, namespace, taskQueue))) {
      ctx.err(
        `warning: no worker is polling task queue "${taskQueue}": ${what} waits until one runs ` +
          '(`site-handoff worker` or `npm start`, with the same HANDOFF_TASK_QUEUE).\n',
      );
    }
  };

  const program = new Command('site-handoff')
    .description(
      'Hand finished Wix sites to customers: one Temporal workflow per site, id handoff-<siteId>.\n' +
        'Connects to Temporal with TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE, ' +
        'TEMPORAL_API_KEY and TLS settings; handoffs run on the task queue HANDOFF_TASK_QUEUE (default site-handoff).',
    )
    .option('--json', 'print machine-readable JSON instead of tables')
    .configureHelp({ showGlobalOptions: true, helpWidth: Math.min(ctx.width, 110) })
    .configureOutput({ writeOut: ctx.out, writeErr: ctx.err })
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .allowExcessArguments(false)
    .addHelpText('after', EXIT_CODES_HELP);

  program
    .command('complete')
    .description(
      'Start a handoff for a finished site, or add customers to its running handoff (the project-completed event)',
    )
    .option('--site <siteId>', 'Wix site id (a GUID)')
    .option('--project <projectId>', "the agency's project id")
    .option(
      '--email <email...>',
      'customer email; repeat the flag (or separate with commas) for several',
      collect,
    )
    .option('--role <role>', "Wix role title such as 'Admin (Co-Owner)' or 'Website Manager', or a role id")
    .option('--language <code>', "two-letter language of Wix's emails, e.g. en (Wix's default when left out)")
    .option(
      '--reminders <offsets>',
      'reminder offsets after the invite, comma-separated, e.g. "2 days,5 days"',
    )
    .option('--poll <duration>', 'how often Wix is checked for an acceptance, e.g. 6h')
    .option(
      '--max-renewals <n>',
      'how often an expired invite is renewed by a resend, e.g. 1',
      wholeNumber(0),
    )
    .option('--file <payload.json>', 'the whole event as JSON instead of the flags above; - reads stdin')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  site-handoff complete --site 9d2c7e10-1b44-4f0a-9a3c-5e6f7a8b9c0d --project PRJ-1042 \\\n' +
        "    --email owner@customer.example --role 'Admin (Co-Owner)' --reminders '2 days,5 days'\n" +
        '  site-handoff complete --file payload.json',
    )
    .action(async (flags: CompleteFlags, cmd: Command) => {
      const { payload, project } = await readProjectCompleted(flags, ctx.stdin);
      const { client, namespace } = await ctx.temporal();
      const workflowId = toWorkflowId(project.siteId);
      const running = await client.workflow
        .getHandle(workflowId)
        .describe()
        .then((d) => d.status.name === 'RUNNING')
        .catch((err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        });
      const taskQueue = readTaskQueue(process.env);
      // Without the attribute at start, `list --state` filtered on the server would never find this handoff.
      const withSearchAttribute = await hasHandoffSearchAttribute(client, namespace);
      const result = await completeProject(client, payload, { taskQueue, withSearchAttribute });
      await warnWithoutWorker(client, namespace, taskQueue, 'the handoff');
      if (isJson(cmd)) return printJson({ ...result, started: !running, taskQueue });
      const { project: sent } = result;
      print([
        running
          ? `Sent the project-completed event to the running handoff ${result.workflowId}: ` +
            'customers it does not know yet are invited, a repeat changes nothing.'
          : `Started handoff ${result.workflowId} for site ${sent.siteId} (project ${sent.projectId}).`,
        `Customers: ${sent.customerEmails.join(', ')} as ${sent.role}; a worker on task queue "${taskQueue}" ` +
          'sends the Wix invites.',
        `Follow it with: site-handoff status ${result.workflowId}`,
      ]);
    });

  program
    .command('status')
    .description('Show one handoff: state, invitees and audit trail')
    .argument('<id>', 'handoff id (handoff-<siteId>) or the bare site id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const workflowId = toWorkflowId(id);
      const { client, namespace } = await ctx.temporal();
      const ledger = await ctx.ledger();
      // A finished handoff answers from its record, which needs no worker and outlives Temporal's retention.
      const record = ledger ? await ledger.get(workflowId) : undefined;
      if (!record?.endedAt)
        await requireWorker(client, namespace, workflowId, 'only a worker can answer the status query');
      const status = ledger
        ? await readHandoff(client, ledger, workflowId)
        : await getHandoffStatus(client, workflowId);
      if (!status) throw new HandoffNotFound(workflowId);
      if (isJson(cmd)) return printJson(status);
      print(renderStatus(workflowId, status, ctx.width));
    });

  program
    .command('list')
    .description('List handoffs, newest first')
    .addOption(new Option('--state <state>', 'only handoffs in this state').choices(HANDOFF_STATES))
    .option('--limit <n>', 'at most this many', wholeNumber(1), 50)
    .action(async (opts: { state?: HandoffState; limit: number }, cmd: Command) => {
      const ledger = await ctx.ledger();
      const summaries = ledger
        ? (
            await ledger.list({
              sort: 'started',
              limit: Math.min(opts.limit, 500),
              ...(opts.state ? { state: opts.state } : {}),
            })
          ).items.map((s) => ({
            workflowId: s.handoffId,
            state: s.state,
            siteId: s.siteId,
            projectId: s.projectId,
            customers: s.inviteeEmails,
            running: s.endedAt === null,
          }))
        : await listFromTemporal(ctx, opts);
      if (isJson(cmd)) return printJson(summaries);
      if (!summaries.length) {
        return print(opts.state ? `No handoffs in state ${opts.state}.` : 'No handoffs yet.');
      }
      print(renderList(summaries, ctx.width));
    });

  program
    .command('revoke')
    .description("Withdraw the customer's pending Wix invites and end the handoff")
    .argument('<id>', 'handoff id (handoff-<siteId>) or the bare site id')
    .requiredOption('--reason <text>', 'why, for the audit trail')
    .option('--actor <name>', 'who asks, for the audit trail', defaultActor())
    .action(async (id: string, opts: { reason: string; actor: string }, cmd: Command) => {
      const { client, namespace } = await ctx.temporal();
      await requireWorker(
        client,
        namespace,
        toWorkflowId(id),
        'only a worker can take the revoke; nothing was sent',
      );
      const status = await revokeHandoff(client, id, { reason: opts.reason, actor: opts.actor });
      if (isJson(cmd)) return printJson(status);
      const workflowId = toWorkflowId(id);
      print([
        `Revoke accepted for ${workflowId} (now ${status.state}): the worker withdraws the pending Wix invites.`,
        `Follow it with: site-handoff status ${workflowId}`,
      ]);
    });

  program
    .command('resend')
    .description(
      'Resend the Wix invite now, by the same rules as reminders (never after acceptance or expiry)',
    )
    .argument('<id>', 'handoff id (handoff-<siteId>) or the bare site id')
    .option('--email <email>', 'only this invitee (default: every pending invitee)')
    .option('--actor <name>', 'who asks, for the audit trail', defaultActor())
    .action(async (id: string, opts: { email?: string; actor: string }, cmd: Command) => {
      const { client, namespace } = await ctx.temporal();
      await requireWorker(
        client,
        namespace,
        toWorkflowId(id),
        'only a worker can take the resend; nothing was sent',
      );
      const request = { actor: opts.actor, ...(opts.email !== undefined ? { email: opts.email } : {}) };
      const status = await resendHandoff(client, id, request);
      if (isJson(cmd)) return printJson(status);
      const workflowId = toWorkflowId(id);
      print([
        `Resend accepted for ${workflowId} (${opts.email ?? 'every pending invitee'}): the worker resends now.`,
        `Follow it with: site-handoff status ${workflowId}`,
      ]);
    });

  program
    .command('retry')
    .description('Retry a failed handoff once its cause is fixed')
    .argument('<id>', 'handoff id (handoff-<siteId>) or the bare site id')
    .option('--actor <name>', 'who asks, for the audit trail', defaultActor())
    .action(async (id: string, opts: { actor: string }, cmd: Command) => {
      const { client, namespace } = await ctx.temporal();
      const workflowId = toWorkflowId(id);
      await retryHandoff(client, id, opts.actor);
      await warnWithoutWorker(client, namespace, await taskQueueOf(client, workflowId), 'the retry');
      if (isJson(cmd)) return printJson({ workflowId, retryRequested: true, actor: opts.actor });
      print([
        `Retry sent to ${workflowId}.`,
        `If the handoff refuses it, \`site-handoff status ${workflowId}\` shows why under "Last refusal".`,
      ]);
    });

  program
    .command('worker')
    .description('Run a handoff worker (Temporal from TEMPORAL_*, Wix from WIX_API_KEY and WIX_ACCOUNT_ID)')
    .action(() => runSelfStarting(ctx, 'worker', 'the handoff worker'));

  program
    .command('start')
    .description('Run the whole service (what `npm start` runs)')
    .action(() => runSelfStarting(ctx, 'start', 'the site-handoff service'));

  return program;
}
