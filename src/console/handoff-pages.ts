// Console routes for handoffs: the list, one handoff, and each staff action behind a confirmation step.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  HandoffNotFound,
  HandoffRequestRefused,
  InvalidHandoffRequest,
  WixDidNotAnswer,
  changeHandoff,
  confirmAccepted,
  hasHandoffSearchAttribute,
  readHandoff,
  removeContributor,
  resendHandoff,
  restartHandoff,
  retryHandoff,
  revokeHandoff,
  toWorkflowId,
  type HandoffView,
} from '../handoff-client';
import type { LedgerFilter } from '../ledger';
import {
  ESCALATION_TRIGGERS,
  HANDOFF_STATES,
  type EscalationTrigger,
  type HandoffChange,
  type HandoffPolicyInput,
  type SendWindow,
  type Weekday,
} from '../../workflows/handoff-types';
import { WEEKDAYS } from '../../workflows/send-window';
import { handoffDeliveries } from '../notify/delivery-views';
import type { ConsoleContext } from './context';
import { actorName } from './session';
import { HandoffListPage, type ListQuery } from './pages/handoff-list';
import { HandoffDetailPage } from './pages/handoff-detail';
import {
  ACTIONS,
  HandoffActionPage,
  type ActionFormValues,
  type ConsoleActionKey,
} from './pages/handoff-action';

const PAGE_SIZE = 50;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const STATE_LABELS: Record<string, string> = {
  awaitingProject: 'awaiting project',
  inviting: 'inviting',
  pending: 'pending',
  revoking: 'revoking',
  accepted: 'accepted',
  revoked: 'revoked',
  expired: 'expired',
  failed: 'failed',
};

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const text = (max: number) => z.preprocess(blankToUndefined, z.string().trim().max(max).optional());

const listQuerySchema = z.object({
  state: z.preprocess(
    blankToUndefined,
    z.enum(HANDOFF_STATES, { message: `must be one of ${HANDOFF_STATES.join(', ')}` }).optional(),
  ),
  needsStaff: z.preprocess(blankToUndefined, z.literal('1').optional()),
  email: text(254),
  siteId: text(100),
  projectId: text(200),
  sort: z.preprocess(blankToUndefined, z.enum(['started', 'lastActivity']).default('started')),
  cursor: text(1000),
});

/** Notices after an action, by key: fixed words, so nothing from the URL is echoed into the page. */
const DONE: Record<string, string> = {
  revoke: 'Revoked: every pending invite was revoked at Wix.',
  resend: 'Sent: the invite email went out again.',
  retry: 'Retry sent: the handoff tries again; a refusal would show below.',
  'confirm-accepted': 'Sent: the handoff records who accepted; a refusal would show below.',
  'remove-contributor': 'Removed: the account no longer holds a role on the site.',
  'add-invitee': 'Invited: Wix sent the new invite.',
  'remove-invitee': 'Removed: the invitee is off the handoff and their invite was revoked at Wix.',
  'replace-invitee': 'Replaced: the new address is invited and the old invite was revoked at Wix.',
  pause: 'Paused: no reminder goes out until staff resume; the invite still lapses on its date.',
  resume: 'Resumed: reminders go out again.',
  'change-policy': 'Changed: the new policy is in force for this handoff.',
  'check-acceptance': 'Check requested: the handoff asks Wix now; an acceptance shows below.',
  restart: 'Restarted: a new run of this handoff invites the customer again.',
  redeliver:
    'Redelivery started: the event goes to the endpoint again with the same webhook-id; its attempts show under Notifications.',
};

/** How long the restart waits for the new run's first ledger write, so the page it opens shows that run. */
const RESTART_SETTLE_MS = 10_000;

/** The form's labels for the fields a change's validator names, so a problem points at what staff typed. */
const FIELD_LABELS: Record<string, string> = {
  newEmail: 'New address',
  reason: 'Reason',
  policy: 'Policy',
  'policy.reminders': 'Reminders',
  'policy.acceptancePoll': 'Check for an acceptance every',
  'policy.checksAfterEmail': 'Acceptance checks after each email',
  'policy.escalateAfter': 'Escalate when nobody has accepted',
  'policy.escalateTo': 'Escalate to',
  'policy.escalateOn': 'Also escalate when the handoff',
  'policy.maxRenewals': 'Most renewals',
  'policy.expiryWarning': 'Expiry warning',
  'policy.sendWindow': 'Send window',
  'policy.sendWindow.timeZone': 'Customer’s time zone',
  'policy.sendWindow.from': 'From',
  'policy.sendWindow.to': 'To',
  'policy.sendWindow.days': 'Days',
  customerEmails: 'Addresses to invite',
  role: 'Role',
};
const EMAIL_LABELS: Partial<Record<ConsoleActionKey, string>> = {
  'add-invitee': 'Address to invite',
  'remove-invitee': 'Invitee to remove',
  'replace-invitee': 'Address to replace',
};

/** `newEmail: must be …` → `New address: must be …`; a problem about no known field is shown as it came. */
function labelled(problem: string, action: ConsoleActionKey): string {
  const field = /^([\w.]+)(?:\[(\d+)\])?(?=[: ])/.exec(problem);
  const label = field && (field[1] === 'email' ? EMAIL_LABELS[action] : FIELD_LABELS[field[1]]);
  if (!field || !label) return problem;
  const which = field[2] !== undefined ? ` (number ${Number(field[2]) + 1})` : '';
  return `${label}${which}${problem.slice(field[0].length)}`;
}

const isWeekday = (d: string): d is Weekday => (WEEKDAYS as readonly string[]).includes(d);

/**
 * The window the form asks for: any of zone, from or to filled sets one, the blank ones kept from the window in
 * force; undefined when none is filled; a string when it cannot be whole.
 */
/** `1 day, 3 days` → ['1 day', '3 days']; blank pieces dropped, so a trailing comma is harmless. */
const commaList = (value: string | undefined): string[] | undefined =>
  value
    ?.split(',')
    .map((r) => r.trim())
    .filter(Boolean);

function sendWindowOf(
  values: ActionFormValues,
  current: SendWindow | undefined,
): SendWindow | string | undefined {
  if (!values.timeZone && !values.windowFrom && !values.windowTo) return undefined;
  const timeZone = values.timeZone || current?.timeZone;
  const from = values.windowFrom || current?.from;
  const to = values.windowTo || current?.to;
  if (!timeZone || !from || !to)
    return 'Send window: give the customer’s time zone, from and to (no window is set yet).';
  const days = (values.days ?? []).filter(isWeekday);
  if (!days.length) return 'Send window: tick at least one day.';
  return { timeZone, from, to, days };
}

/** The change a form asks for; a string when the form itself is incomplete (shown, nothing sent). */
function changeOf(
  key: ConsoleActionKey,
  values: ActionFormValues,
  handoff: HandoffView,
): HandoffChange | string | undefined {
  const reason = values.reason ? { reason: values.reason } : {};
  switch (key) {
    case 'add-invitee':
      return { kind: 'addInvitee', email: values.email ?? '' };
    case 'remove-invitee':
      return values.email ? { kind: 'removeInvitee', email: values.email } : 'Choose whom to remove.';
    case 'replace-invitee':
      if (!values.email) return 'Choose the address to replace.';
      return { kind: 'replaceInvitee', email: values.email, newEmail: values.newEmail ?? '', ...reason };
    case 'pause':
      return { kind: 'pause', ...reason };
    case 'resume':
      return { kind: 'resume' };
    case 'check-acceptance':
      return { kind: 'checkAcceptance' };
    case 'change-policy': {
      const reminders = commaList(values.reminders);
      if (values.maxRenewals && !/^\d+$/.test(values.maxRenewals))
        return 'Most renewals: a whole number, 0 or more.';
      const sendWindow = sendWindowOf(values, handoff.policy?.sendWindow);
      if (typeof sendWindow === 'string') return sendWindow;
      const checks = commaList(values.checksAfterEmail);
      // Unchanged ticks send nothing, so a form sent for another field leaves the endings as they are.
      const current = handoff.policy?.escalateOn ?? [];
      const escalateOn = values.escalateOn?.filter((t): t is EscalationTrigger =>
        (ESCALATION_TRIGGERS as readonly string[]).includes(t),
      );
      const endingsChanged =
        escalateOn !== undefined &&
        (escalateOn.length !== current.length || escalateOn.some((t) => !current.includes(t)));
      const policy: HandoffPolicyInput = {
        ...(reminders?.length ? { reminders } : {}),
        ...(values.acceptancePoll ? { acceptancePoll: values.acceptancePoll } : {}),
        ...(checks?.length
          ? { checksAfterEmail: checks.length === 1 && /^none$/i.test(checks[0]) ? [] : checks }
          : {}),
        ...(values.escalateAfter
          ? { escalateAfter: /^off$/i.test(values.escalateAfter) ? null : values.escalateAfter }
          : {}),
        ...(values.escalateTo ? { escalateTo: values.escalateTo } : {}),
        ...(endingsChanged ? { escalateOn } : {}),
        ...(values.maxRenewals ? { maxRenewals: Number(values.maxRenewals) } : {}),
        ...(values.expiryWarning ? { expiryWarning: values.expiryWarning } : {}),
        ...(sendWindow ? { sendWindow } : {}),
      };
      if (Object.keys(policy).length === 0)
        return 'Fill in at least one field (reminders, acceptance checks, renewals, expiry warning, escalation or send window); blank fields stay as they are.';
      return { kind: 'changePolicy', policy };
    }
    default:
      return undefined;
  }
}

export function parseQuery<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
  throw Object.assign(new Error(`Invalid search: ${problems.join('; ')}`), { statusCode: 400 });
}

export function registerHandoffPages(scope: FastifyInstance, ctx: ConsoleContext): void {
  const { options } = ctx;
  const { client, ledger } = options;
  // Asked once: whether a restarted run can carry the HandoffState search attribute from its start.
  let searchAttribute: Promise<boolean> | undefined;
  const guarded = { preHandler: ctx.staffOnly };
  const form = { preHandler: [ctx.staffOnly, ctx.csrf] };

  scope.get('/', guarded, async (request, reply) => {
    const q = parseQuery(listQuerySchema, request.query);
    const query: ListQuery = {
      sort: q.sort,
      ...(q.state ? { state: q.state } : {}),
      ...(q.needsStaff ? { needsStaff: true } : {}),
      ...(q.email ? { email: q.email } : {}),
      ...(q.siteId ? { siteId: q.siteId } : {}),
      ...(q.projectId ? { projectId: q.projectId } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    };
    const search: LedgerFilter = {
      ...(q.email ? { email: q.email } : {}),
      ...(q.siteId ? { siteId: q.siteId } : {}),
      ...(q.projectId ? { projectId: q.projectId } : {}),
    };
    // Three indexed queries on the ledger, none on Temporal: the list costs the same at 100 or 100,000 handoffs.
    const [page, counts, needingStaff] = await Promise.all([
      ledger
        .list({
          ...search,
          ...(q.state ? { state: q.state } : {}),
          ...(q.needsStaff ? { needsStaff: true } : {}),
          sort: q.sort,
          order: 'desc',
          limit: PAGE_SIZE,
          ...(q.cursor ? { cursor: q.cursor } : {}),
        })
        .catch((err: unknown) => {
          throw Object.assign(new Error(`Invalid page: ${(err as Error).message}`), { statusCode: 400 });
        }),
      ledger.countByState(search),
      ledger.countNeedingStaff(search),
    ]);
    return ctx.send(
      reply,
      HandoffListPage({
        frame: ctx.frame(request, reply, 'handoffs'),
        view: {
          query,
          counts: HANDOFF_STATES.map((state) => ({
            state,
            label: STATE_LABELS[state],
            count: counts[state],
          })),
          total: Object.values(counts).reduce((a, b) => a + b, 0),
          needingStaff,
          items: page.items,
          ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
          pollSeconds: ctx.pollSeconds,
        },
      }),
    );
  });

  const load = async (request: FastifyRequest): Promise<HandoffView> => {
    const id = (request.params as { id: string }).id;
    const view = await readHandoff(client, ledger, id);
    if (!view) throw Object.assign(new HandoffNotFound(toWorkflowId(id)), { statusCode: 404 });
    return view;
  };

  scope.get('/console/handoffs/:id', guarded, async (request, reply) => {
    const handoff = await load(request);
    // Two ledger reads (the trail and the log), no Temporal call: cheap enough for every refresh.
    const deliveries = await handoffDeliveries(ledger.db, ctx.notifier, handoff.handoffId);
    const done = (request.query as { done?: string }).done;
    const ended = handoff.source === 'ledger' || Boolean(handoff.endedAt);
    // Offered by what the page knows; whether each is allowed is the workflow's decision, shown if refused.
    // An ended handoff that was not accepted can start again; accepted means the site was handed over.
    const keys: ConsoleActionKey[] = ended
      ? handoff.state === 'accepted'
        ? []
        : handoff.state === 'revoked'
          ? ['remove-contributor', 'restart']
          : ['restart']
      : [
          'revoke',
          'resend',
          'retry',
          'confirm-accepted',
          'add-invitee',
          'remove-invitee',
          'replace-invitee',
          // Offered by what the status says now; a pause that raced another is still refused by the machine.
          handoff.paused ? 'resume' : 'pause',
          'change-policy',
          'check-acceptance',
        ];
    const workflowUrl = options.temporalUiUrl
      ? `${options.temporalUiUrl}/namespaces/${encodeURIComponent(options.namespace)}/workflows/${encodeURIComponent(handoff.handoffId)}`
      : undefined;
    return ctx.send(
      reply,
      HandoffDetailPage({
        frame: ctx.frame(request, reply, 'handoffs'),
        view: {
          handoff,
          actions: keys.map((k) => ACTIONS[k]),
          ...(workflowUrl ? { temporalUiUrl: workflowUrl } : {}),
          ...(workflowUrl && handoff.restartOf
            ? { previousRunUrl: `${workflowUrl}/${encodeURIComponent(handoff.restartOf.runId)}` }
            : {}),
          ...(done && DONE[done] ? { notice: DONE[done] } : {}),
          ...(deliveries ? { deliveries } : {}),
          notificationsConfigured: ctx.notifier !== undefined,
          pollSeconds: ctx.pollSeconds,
        },
      }),
    );
  });

  scope.get('/console/handoffs/:id/record', guarded, async (request, reply) => {
    const handoffId = toWorkflowId((request.params as { id: string }).id);
    const record = await ledger.auditRecord(handoffId);
    if (!record) throw Object.assign(new HandoffNotFound(handoffId), { statusCode: 404 });
    return reply
      .type('application/json; charset=utf-8')
      .header('content-disposition', `attachment; filename="${handoffId}.json"`)
      .send(JSON.stringify(record, null, 2));
  });

  /** Until the ledger holds the new run (its first write), so the detail page reads it and not the ended one. */
  const newRunRecorded = async (handoffId: string, runId: string): Promise<void> => {
    const deadline = Date.now() + RESTART_SETTLE_MS;
    while (Date.now() < deadline) {
      const record = await ledger.get(handoffId).catch(() => undefined);
      if (record?.runId === runId) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const actionOf = (request: FastifyRequest): (typeof ACTIONS)[ConsoleActionKey] => {
    const key = (request.params as { action: string }).action;
    const action = (ACTIONS as Record<string, (typeof ACTIONS)[ConsoleActionKey] | undefined>)[key];
    if (!action) throw Object.assign(new Error(`There is no action "${key}"`), { statusCode: 404 });
    return action;
  };

  const alertAccounts = (h: HandoffView): string[] =>
    h.alerts.flatMap((a) => /Wix account (\S+) holds role/.exec(a)?.[1] ?? []).filter((id) => GUID.test(id));

  const actionPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    handoff: HandoffView,
    extra: { values?: ActionFormValues; refused?: string } = {},
    status = 200,
  ) =>
    ctx.send(
      reply,
      HandoffActionPage({
        frame: ctx.frame(request, reply, 'handoffs'),
        handoff,
        action: actionOf(request),
        alertAccounts: alertAccounts(handoff),
        ...extra,
      }),
      status,
    );

  scope.get('/console/handoffs/:id/:action', guarded, async (request, reply) => {
    actionOf(request);
    return actionPage(request, reply, await load(request));
  });

  scope.post('/console/handoffs/:id/:action', form, async (request, reply) => {
    const action = actionOf(request);
    const handoff = await load(request);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const field = (name: string): string => (typeof body[name] === 'string' ? body[name].trim() : '');
    const values: ActionFormValues = {
      reason: field('reason'),
      email: field('email'),
      accountId: field('accountId'),
      newEmail: field('newEmail'),
      reminders: field('reminders'),
      acceptancePoll: field('acceptancePoll'),
      checksAfterEmail: field('checksAfterEmail'),
      escalateAfter: field('escalateAfter'),
      escalateTo: field('escalateTo'),
      ...(body.escalateOnShown === '1'
        ? {
            escalateOn: ([] as unknown[])
              .concat(body.escalateOn ?? [])
              .filter((d): d is string => typeof d === 'string'),
          }
        : {}),
      maxRenewals: field('maxRenewals'),
      expiryWarning: field('expiryWarning'),
      timeZone: field('timeZone'),
      windowFrom: field('windowFrom'),
      windowTo: field('windowTo'),
      // A form posts a ticked box once per day: one day is a string, several a list.
      days: ([] as unknown[]).concat(body.days ?? []).filter((d): d is string => typeof d === 'string'),
      emails: field('emails'),
    };
    const actor = actorName(request.staff);
    const refuse = (why: string, status: number) =>
      actionPage(request, reply, handoff, { values, refused: why }, status);
    try {
      const change = changeOf(action.key, values, handoff);
      if (typeof change === 'string') return refuse(change, 400);
      if (change) await changeHandoff(client, handoff.handoffId, { ...change, actor });
      switch (action.key) {
        case 'revoke':
          if (!values.reason || values.reason.length > 500)
            return refuse('Give a reason (1 to 500 characters): it is kept in the audit trail.', 400);
          await revokeHandoff(client, handoff.handoffId, { reason: values.reason, actor });
          break;
        case 'resend':
          await resendHandoff(client, handoff.handoffId, {
            actor,
            ...(values.email ? { email: values.email } : {}),
          });
          break;
        case 'retry':
          await retryHandoff(client, handoff.handoffId, actor);
          break;
        case 'confirm-accepted':
          if (!values.email) return refuse('Choose who accepted.', 400);
          await confirmAccepted(client, handoff.handoffId, {
            email: values.email,
            actor,
            ...(values.accountId ? { accountId: values.accountId } : {}),
          });
          break;
        case 'remove-contributor': {
          if (!GUID.test(values.accountId ?? ''))
            return refuse('The Wix account id is a GUID such as 3f2a…-…; copy it from the alert.', 400);
          if (!handoff.siteId) return refuse('This handoff names no site.', 409);
          const result = await removeContributor(client, options.taskQueue, {
            siteId: handoff.siteId,
            accountId: values.accountId!,
          });
          if (result.outcome === 'refused') return refuse(`Wix refused the removal: ${result.reason}`, 409);
          break;
        }
        case 'restart': {
          const emails = values.emails?.split(/[\s,;]+/).filter(Boolean) ?? [];
          searchAttribute ??= hasHandoffSearchAttribute(client, options.namespace);
          const started = await restartHandoff(
            client,
            ledger,
            handoff.handoffId,
            { reason: values.reason ?? '', actor, ...(emails.length ? { customerEmails: emails } : {}) },
            { taskQueue: options.taskQueue, withSearchAttribute: await searchAttribute },
          );
          await newRunRecorded(handoff.handoffId, started.runId);
          break;
        }
        default:
          // A change, sent above.
          break;
      }
    } catch (err) {
      if (err instanceof HandoffRequestRefused)
        return refuse(`The handoff refused this: ${err.reason}.`, 409);
      if (err instanceof InvalidHandoffRequest)
        return refuse(err.problems.map((p) => labelled(p, action.key)).join('; '), 400);
      if (err instanceof WixDidNotAnswer) return refuse(`${err.message}. Nothing changed; try again.`, 503);
      throw err;
    }
    return reply.redirect(
      `/console/handoffs/${encodeURIComponent(handoff.handoffId)}?done=${action.key}`,
      303,
    );
  });
}
