// The commands: parse with commander, call src/handoff-client.ts, print a table or --json.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
  revokeHandoff,
  toWorkflowId,
  type HandoffSummary,
  type HandoffView,
} from '../handoff-client';
import type { LedgerFilter, LedgerSummary } from '../ledger';
import { HANDOFF_STATES, type HandoffState, type HandoffStatus } from '../../workflows/handoff-types';
import { defaultApiUrl, type ExportFormat } from './api-client';
import { EXIT_CODES_HELP, NoRecords, UsageError } from './errors';
import type { HandoffRecords } from './records';
import { renderList, renderStatus } from './format';
import { registerChangeCommands } from './change-commands';
import { registerRestartCommand } from './restart-command';
import { registerNotificationCommands } from './notification-commands';
import { readProjectCompleted, type CompleteFlags } from './payload';
import type { CliContext } from './context';

export type { CliContext } from './context';
import { NoWorker, hasWorker, requireWorker, taskQueueOf } from './workers';

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

interface FilterFlags {
  state?: HandoffState;
  email?: string;
  site?: string;
  project?: string;
  from?: string;
  to?: string;
}

function isoDate(flag: string) {
  return (value: string): string => {
    const ms = Date.parse(value);
    if (Number.isNaN(ms))
      throw new InvalidArgumentError(`${flag} must be a date such as 2026-11-01 or an ISO time`);
    return new Date(ms).toISOString();
  };
}

/** The ledger's filters, the same as the API's list and export take. */
function withFilters(cmd: Command): Command {
  return cmd
    .addOption(new Option('--state <state>', 'only handoffs in this state').choices(HANDOFF_STATES))
    .option('--email <email>', 'only handoffs inviting this address (exact, any case)')
    .option('--site <siteId>', 'only this Wix site')
    .option('--project <projectId>', 'only this project')
    .option('--from <date>', 'started at or after this date or time', isoDate('--from'))
    .option('--to <date>', 'started before this date or time', isoDate('--to'));
}

const ledgerFilter = (f: FilterFlags): LedgerFilter => ({
  ...(f.state ? { state: f.state } : {}),
  ...(f.email?.trim() ? { email: f.email.trim() } : {}),
  ...(f.site?.trim() ? { siteId: f.site.trim() } : {}),
  ...(f.project?.trim() ? { projectId: f.project.trim() } : {}),
  ...(f.from ? { startedFrom: f.from } : {}),
  ...(f.to ? { startedTo: f.to } : {}),
});

/** A ledger row as `list` prints it, whichever way it came. */
const listed = (s: LedgerSummary): HandoffSummary => ({
  workflowId: s.handoffId,
  state: s.state,
  siteId: s.siteId,
  projectId: s.projectId,
  customers: s.inviteeEmails,
  running: s.endedAt === null,
});

async function requireRecords(ctx: CliContext, command: string): Promise<HandoffRecords> {
  const records = await ctx.records();
  if (!records) throw new NoRecords(command, defaultApiUrl(process.env));
  return records;
}

/** A handoff the records do not show as ended: Temporal answers it, through a worker, so check for one first. */
async function readLive(
  ctx: CliContext,
  records: HandoffRecords | undefined,
  workflowId: string,
  stored: boolean,
): Promise<HandoffStatus | HandoffView | undefined> {
  const temporal = await ctx.temporal();
  try {
    await requireWorker(
      temporal.client,
      temporal.namespace,
      workflowId,
      'only a worker can answer the status query',
    );
  } catch (err) {
    // Temporal forgot it before the ledger saw it end (terminated, say): the last record answers.
    if (err instanceof HandoffNotFound && stored && records) return records.read(workflowId);
    throw err;
  }
  return records ? records.read(workflowId) : getHandoffStatus(temporal.client, workflowId);
}

const WRITE_FAILURES: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
};

/** Writes to a temporary file beside the target and renames it: a failed export never leaves half a file. */
async function writeFileFromChunks(file: string, chunks: AsyncIterable<string>): Promise<number> {
  const partial = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(4).toString('hex')}.partial`,
  );
  try {
    await pipeline(Readable.from(chunks), createWriteStream(partial, { flags: 'wx' }));
    await rename(partial, file);
  } catch (err) {
    await unlink(partial).catch(() => undefined);
    const code = (err as { code?: unknown }).code;
    const reason = typeof code === 'string' ? WRITE_FAILURES[code] : undefined;
    // The reason alone: the system's message names the temporary file, which the user never asked for.
    if (reason) throw new UsageError(`cannot write ${file}: ${reason} (${String(code)})`);
    throw err;
  }
  return (await stat(file)).size;
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
        'TEMPORAL_API_KEY and TLS settings; handoffs run on the task queue HANDOFF_TASK_QUEUE (default site-handoff).\n' +
        "Finished handoffs, list, export and erase read the ledger: HANDOFF_DATABASE_URL, else the service's API " +
        '(HANDOFF_API_URL, default http://127.0.0.1:$HANDOFF_API_PORT when `npm start` answers there) with the staff ' +
        'token from HANDOFF_CLI_TOKEN or HANDOFF_API_TOKEN.',
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
      const records = await ctx.records();
      // A finished handoff answers from its record, which needs no worker and outlives Temporal's retention.
      const stored = records ? await records.stored(workflowId) : undefined;
      const status =
        records && stored?.endedAt
          ? await records.read(workflowId)
          : await readLive(ctx, records, workflowId, stored !== undefined);
      if (!status) throw new HandoffNotFound(workflowId);
      if (isJson(cmd)) return printJson(status);
      print(renderStatus(workflowId, status, ctx.width));
    });

  withFilters(
    program
      .command('list')
      .description(
        "List handoffs, newest first: from the ledger (HANDOFF_DATABASE_URL or the service's API), else from Temporal",
      ),
  )
    .option('--limit <n>', 'at most this many (500 at most from the ledger)', wholeNumber(1), 50)
    .action(async (opts: FilterFlags & { limit: number }, cmd: Command) => {
      const records = await ctx.records();
      const filter = ledgerFilter(opts);
      if (!records && Object.keys(filter).some((k) => k !== 'state')) {
        throw new UsageError(
          '--email, --site, --project, --from and --to search the handoff ledger, which is not reachable',
          'Run the service (`npm start`), set HANDOFF_API_URL to its API, or set HANDOFF_DATABASE_URL.',
        );
      }
      const summaries = records
        ? (await records.list({ ...filter, sort: 'started', limit: Math.min(opts.limit, 500) })).map(listed)
        : await listFromTemporal(ctx, opts);
      if (isJson(cmd)) return printJson(summaries);
      if (!summaries.length) {
        return print(opts.state ? `No handoffs in state ${opts.state}.` : 'No handoffs yet.');
      }
      print(renderList(summaries, ctx.width));
    });

  withFilters(
    program
      .command('export')
      .description(
        'Export the handoff records (the ledger, every handoff, running and finished) as CSV or JSON Lines, streamed',
      ),
  )
    .addOption(new Option('--format <format>', 'csv or jsonl').choices(['csv', 'jsonl']).default('csv'))
    .option('--output <file>', 'write to this file (replaced whole once complete) instead of stdout')
    .addHelpText(
      'after',
      "\nReads the ledger with HANDOFF_DATABASE_URL, else the service's GET /v1/handoffs/export " +
        '(HANDOFF_API_URL, or `npm start` on this machine) with the staff token from HANDOFF_CLI_TOKEN or HANDOFF_API_TOKEN.\n' +
        'Examples:\n' +
        '  site-handoff export --state accepted --from 2026-01-01 --output handoffs.csv\n' +
        '  site-handoff export --format jsonl --email owner@customer.example',
    )
    .action(async (opts: FilterFlags & { format: ExportFormat; output?: string }) => {
      const records = await requireRecords(ctx, 'export');
      const chunks = await records.exportText(opts.format, ledgerFilter(opts));
      if (!opts.output) return ctx.write(chunks);
      const bytes = await writeFileFromChunks(opts.output, chunks);
      ctx.err(
        `Wrote the ${opts.format === 'csv' ? 'CSV' : 'JSON Lines'} export to ${opts.output} (${bytes} bytes).\n`,
      );
    });

  program
    .command('erase')
    .description(
      "Erase a customer's email address from the handoff records (their right to erasure): replaced by a random " +
        "pseudonym everywhere in the ledger, counts and states kept, ended handoffs' Temporal executions deleted",
    )
    .argument('<email>', 'the address to erase')
    .requiredOption('--confirm <email>', 'the same address again, to confirm')
    .option(
      '--actor <name>',
      'who erases, for the audit trail (it must not contain the address)',
      defaultActor(),
    )
    .addHelpText(
      'after',
      '\nRefused (exit 4) while a handoff for the address still runs: revoke it first. Through the ledger ' +
        "(HANDOFF_DATABASE_URL) or the service's DELETE /v1/customers/:email.\n" +
        'Example:\n  site-handoff erase owner@customer.example --confirm owner@customer.example',
    )
    .action(async (email: string, opts: { confirm: string; actor: string }, cmd: Command) => {
      const address = email.trim();
      if (!/^[^@\s]+@[^@\s]+$/.test(address))
        throw new UsageError('erase needs an email address, such as owner@customer.example');
      if (opts.confirm.trim().toLowerCase() !== address.toLowerCase()) {
        throw new UsageError(
          'refused: --confirm does not match the address to erase; nothing was erased',
          'Type the same address after --confirm to confirm the erasure.',
        );
      }
      const actor = opts.actor.trim();
      if (!actor) throw new UsageError('--actor must name who erases');
      // The audit trail keeps the actor after the address is gone: it must not bring the address back.
      if (actor.toLowerCase().includes(address.toLowerCase()))
        throw new UsageError('--actor must not contain the address being erased');
      const records = await requireRecords(ctx, 'erase');
      const erased = await records.erase(address, opts.confirm.trim(), actor);
      if (erased.temporalSkipped) {
        ctx.err(
          `warning: ${erased.temporalSkipped}: the ended handoffs' Temporal executions (encrypted) were not deleted; ` +
            "they go at the end of Temporal's retention, or run erase again once Temporal answers.\n",
        );
      }
      if (isJson(cmd)) return printJson({ erased, actor });
      if (erased.handoffs === 0)
        return print('The handoff records hold nothing for that address; nothing to erase.');
      const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
      print([
        `Erased the address from ${plural(erased.handoffs, 'handoff', 'handoffs')}, ` +
          `${plural(erased.invitees, 'invitee row', 'invitee rows')} and ` +
          `${plural(erased.auditEntries, 'audit entry', 'audit entries')}: a random pseudonym stands in for it.`,
        `Deleted ${plural(erased.temporalExecutions, 'ended Temporal execution', 'ended Temporal executions')}.`,
        `Each handoff's audit trail records "customer data erased" by ${actor}, without the address.`,
      ]);
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

  registerChangeCommands(program, ctx, { print, printJson, isJson, defaultActor, wholeNumber });
  registerRestartCommand(program, ctx, { print, printJson, isJson, defaultActor });
  registerNotificationCommands(program, ctx, { print, printJson, isJson });

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
