// The commands that change a running handoff (issue 13): each is one `requestChange` update, decided by the machine.
import type { Command } from 'commander';
import { InvalidHandoffRequest, changeHandoff, toWorkflowId } from '../handoff-client';
import type { EscalationTrigger, HandoffChange, HandoffStatus } from '../../workflows/handoff-types';
import { UsageError } from './errors';
import { renderStatus } from './format';
import { SEND_WINDOW_FORMAT, parseSendWindow } from './send-window';
import { requireWorker } from './workers';
import type { ChangeCommandHelpers, CliContext } from './context';

export type { ChangeCommandHelpers } from './context';

/** The command-line names of the request's fields the validator names, per command for the addresses. */
export type CliNames = Record<string, string>;
const POLICY_FLAGS = [
  '--reminders',
  '--acceptance-poll',
  '--checks-after-email',
  '--max-renewals',
  '--expiry-warning',
  '--send-window',
  '--escalate-after',
  '--escalate-to',
  '--escalate-on',
];
const FLAG_NAMES: CliNames = {
  reason: '--reason',
  policy: `${POLICY_FLAGS.slice(0, -1).join(', ')} or ${POLICY_FLAGS.at(-1)}`,
  'policy.reminders': '--reminders',
  'policy.acceptancePoll': '--acceptance-poll',
  'policy.checksAfterEmail': '--checks-after-email',
  'policy.maxRenewals': '--max-renewals',
  'policy.expiryWarning': '--expiry-warning',
  'policy.sendWindow': '--send-window',
  'policy.sendWindow.timeZone': '--send-window',
  'policy.sendWindow.from': '--send-window',
  'policy.sendWindow.to': '--send-window',
  'policy.sendWindow.days': '--send-window',
  'policy.escalateAfter': '--escalate-after',
  'policy.escalateTo': '--escalate-to',
  'policy.escalateOn': '--escalate-on',
};

/** `newEmail: must be …` → `newEmail (<new>): must be …`: a person typed arguments and flags, not fields. */
export function withCliNames(problem: string, names: CliNames): string {
  const field = /^([\w.]+)(\[\d+\])?(?=[: ])/.exec(problem);
  const cli = field ? names[field[1]] : undefined;
  return field && cli ? `${field[0]} (${cli})${problem.slice(field[0].length)}` : problem;
}

/** `1 day, 3 days` → ['1 day', '3 days']; empty pieces are dropped so a trailing comma is harmless. */
const splitList = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function registerChangeCommands(
  program: Command,
  ctx: CliContext,
  helpers: ChangeCommandHelpers,
): void {
  const { print, printJson, isJson, defaultActor } = helpers;

  /** Checks for a worker (an update would wait forever without one), sends the change, prints the new status. */
  const run = async (
    cmd: Command,
    id: string,
    change: HandoffChange,
    actor: string,
    headline: (status: HandoffStatus) => string,
    addressNames: CliNames = { email: '<email>' },
  ): Promise<void> => {
    const workflowId = toWorkflowId(id);
    const { client, namespace } = await ctx.temporal();
    await requireWorker(client, namespace, workflowId, 'only a worker can take the change; nothing was sent');
    let status: HandoffStatus;
    try {
      status = await changeHandoff(client, id, { ...change, actor });
    } catch (err) {
      if (err instanceof InvalidHandoffRequest)
        throw new InvalidHandoffRequest(
          err.problems.map((p) => withCliNames(p, { ...FLAG_NAMES, ...addressNames })),
          err.what,
        );
      throw err;
    }
    if (isJson(cmd)) return printJson(status);
    print([headline(status), '', ...renderStatus(workflowId, status, ctx.width)]);
  };

  const idArgument = ['<id>', 'handoff id (handoff-<siteId>) or the bare site id'] as const;
  const actorOption = ['--actor <name>', 'who asks, for the audit trail', defaultActor()] as const;

  const invitee = program
    .command('invitee')
    .description("Add, remove or replace one of a running handoff's invitees");

  invitee
    .command('add')
    .description(
      'Invite one more address to the running handoff, in its role (Wix Bulk Invite for that address)',
    )
    .argument(...idArgument)
    .argument('<email>', 'the address to invite')
    .option(...actorOption)
    .action(async (id: string, email: string, opts: { actor: string }, cmd: Command) =>
      run(cmd, id, { kind: 'addInvitee', email }, opts.actor, () => `Invited ${email.trim()}.`),
    );

  invitee
    .command('remove')
    .description(
      "Take an invitee off the handoff and revoke their pending invite at Wix (not the last one: that's a revoke)",
    )
    .argument(...idArgument)
    .argument('<email>', 'the invitee to remove')
    .option(...actorOption)
    .action(async (id: string, email: string, opts: { actor: string }, cmd: Command) =>
      run(
        cmd,
        id,
        { kind: 'removeInvitee', email },
        opts.actor,
        () => `Removed ${email.trim()}: their invite is revoked at Wix.`,
      ),
    );

  invitee
    .command('replace')
    .description(
      "Replace an invitee's address: the new address is invited first, the old invite revoked only once it is out",
    )
    .argument(...idArgument)
    .argument('<old>', 'the address to replace')
    .argument('<new>', 'the address to invite instead')
    .option('--reason <text>', 'why, for the audit trail (e.g. "typo")')
    .option(...actorOption)
    .addHelpText(
      'after',
      '\nIf Wix refuses the new address, the old invite stays and the refusal (exit 4) says why.\n' +
        'Example:\n  site-handoff invitee replace 9d2c7e10-… owner@cusotmer.example owner@customer.example --reason typo',
    )
    .action(
      async (id: string, old: string, next: string, opts: { reason?: string; actor: string }, cmd: Command) =>
        run(
          cmd,
          id,
          {
            kind: 'replaceInvitee',
            email: old,
            newEmail: next,
            ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
          },
          opts.actor,
          () => `Replaced ${old.trim()} with ${next.trim()}: the new invite is out, the old one revoked.`,
          { email: '<old>', newEmail: '<new>' },
        ),
    );

  program
    .command('pause')
    .description("Pause the handoff's reminders (the invite's own expiry still counts)")
    .argument(...idArgument)
    .option('--reason <text>', 'why, for the audit trail (e.g. "customer on holiday")')
    .option(...actorOption)
    .action(async (id: string, opts: { reason?: string; actor: string }, cmd: Command) =>
      run(
        cmd,
        id,
        { kind: 'pause', ...(opts.reason !== undefined ? { reason: opts.reason } : {}) },
        opts.actor,
        () => 'Reminders paused: none is sent until `site-handoff resume`.',
      ),
    );

  program
    .command('resume')
    .description('Resume paused reminders (at most one catch-up for those passed over)')
    .argument(...idArgument)
    .option(...actorOption)
    .action(async (id: string, opts: { actor: string }, cmd: Command) =>
      run(cmd, id, { kind: 'resume' }, opts.actor, () => 'Reminders resumed.'),
    );

  program
    .command('policy')
    .description(
      "Change this handoff's reminder cadence, acceptance poll, renewals, expiry warning or the customer's hours",
    )
    .argument(...idArgument)
    .option(
      '--reminders <offsets>',
      'reminder offsets after the invite, comma-separated, e.g. "1 day,3 days"',
    )
    .option(
      '--acceptance-poll <duration>',
      'the quiet-period rate of acceptance checks (the only rate without checks after an email), e.g. 6h',
    )
    .option(
      '--checks-after-email <offsets>',
      'acceptance checks after every email, comma-separated, e.g. "10m,30m,2h"; "none" for the fixed poll only',
    )
    .option(
      '--max-renewals <n>',
      'how often an expired invite is renewed by a resend, e.g. 1',
      helpers.wholeNumber(0),
    )
    .option(
      '--expiry-warning <duration>',
      'one last reminder this long before the invite lapses, e.g. "3 days"',
    )
    .option(
      '--send-window <window>',
      `reminders only in the customer's hours, in their time zone: ${SEND_WINDOW_FORMAT}; days as mon-fri or mon,wed (default every day)`,
    )
    .option(
      '--escalate-after <duration>',
      'escalate when nobody accepted this long after the first invite, e.g. "3 days"; "never" turns it off',
    )
    .option(
      '--escalate-to <who>',
      'who the handoff.escalated event names: an email or a Slack channel (#accounts)',
    )
    .option(
      '--escalate-on <triggers>',
      'endings that also escalate, comma-separated: expired,failed,needs_attention ("none" for none)',
    )
    .option(...actorOption)
    .addHelpText(
      'after',
      '\nA send window can be changed but not removed (`--send-window none` is not supported).\n' +
        'Example:\n  site-handoff policy 9d2c7e10-… --expiry-warning "3 days" --send-window "Europe/Berlin 09:00-17:00 mon-fri"',
    )
    .action(
      async (
        id: string,
        opts: {
          reminders?: string;
          acceptancePoll?: string;
          checksAfterEmail?: string;
          maxRenewals?: number;
          expiryWarning?: string;
          sendWindow?: string;
          escalateAfter?: string;
          escalateTo?: string;
          escalateOn?: string;
          actor: string;
        },
        cmd: Command,
      ) => {
        const given = [
          opts.reminders,
          opts.acceptancePoll,
          opts.checksAfterEmail,
          opts.maxRenewals,
          opts.expiryWarning,
          opts.sendWindow,
          opts.escalateAfter,
          opts.escalateTo,
          opts.escalateOn,
        ];
        if (given.every((v) => v === undefined))
          throw new UsageError(`policy needs at least one of ${POLICY_FLAGS.join(', ')}`);
        const policy = {
          ...(opts.reminders !== undefined ? { reminders: splitList(opts.reminders) } : {}),
          ...(opts.acceptancePoll !== undefined ? { acceptancePoll: opts.acceptancePoll.trim() } : {}),
          ...(opts.checksAfterEmail !== undefined
            ? {
                checksAfterEmail:
                  opts.checksAfterEmail.trim() === 'none' ? [] : splitList(opts.checksAfterEmail),
              }
            : {}),
          ...(opts.maxRenewals !== undefined ? { maxRenewals: opts.maxRenewals } : {}),
          ...(opts.expiryWarning !== undefined ? { expiryWarning: opts.expiryWarning.trim() } : {}),
          ...(opts.sendWindow !== undefined ? { sendWindow: parseSendWindow(opts.sendWindow) } : {}),
          ...(opts.escalateAfter !== undefined
            ? { escalateAfter: opts.escalateAfter.trim() === 'never' ? null : opts.escalateAfter.trim() }
            : {}),
          ...(opts.escalateTo !== undefined ? { escalateTo: opts.escalateTo.trim() } : {}),
          ...(opts.escalateOn !== undefined
            ? {
                // Checked with the rest of the change, which names the flag on a bad trigger.
                escalateOn: (opts.escalateOn.trim() === 'none'
                  ? []
                  : splitList(opts.escalateOn)) as EscalationTrigger[],
              }
            : {}),
        };
        await run(cmd, id, { kind: 'changePolicy', policy }, opts.actor, () => 'Policy changed.');
      },
    );

  program
    .command('check')
    .description('Check Wix for an acceptance now, instead of waiting for the next poll')
    .argument(...idArgument)
    .option(...actorOption)
    .action(async (id: string, opts: { actor: string }, cmd: Command) =>
      run(
        cmd,
        id,
        { kind: 'checkAcceptance' },
        opts.actor,
        // The update answers once the check is taken; the check itself runs right after, in the workflow.
        () =>
          `Acceptance check requested: the worker asks Wix now; \`site-handoff status ${toWorkflowId(id)}\` shows the outcome.`,
      ),
    );
}
