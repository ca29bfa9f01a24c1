// One validator for the project-completed payload, used by every caller before signal-with-start and again inside
// the workflow, so a bad payload from any Temporal client is refused the same way. Written without a schema
// library: workflow code is loaded once per cached workflow, and zod cost each one ~1.2 MB (bench/memory.ts).
import { msToNumber } from '@temporalio/common/lib/time';
import { DEFAULT_POLICY } from './invite-machine';
import {
  ESCALATION_TRIGGERS,
  type EscalationTrigger,
  type HandoffChange,
  type ProjectCompleted,
  type ResolvedPolicy,
  type SendWindow,
  type Weekday,
} from './handoff-types';
import { WEEKDAYS, isTimeZone, minutesOf } from './send-window';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The address pattern zod's `z.email()` uses (zod/v4/core/regexes.ts), kept so earlier handoffs replay alike. */
const EMAIL =
  /^(?:[A-Za-z0-9_'+-]+\.)*[A-Za-z0-9_'+-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+[A-Za-z]{2,}$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;
const LANGUAGE = /^[a-z]{2}$/;
/** Wix documents no per-call maximum for Bulk Invite; its sibling Account Invites caps at 50. */
export const MAX_EMAILS_PER_HANDOFF = 50;
const MAX_DURATION_MS = 365 * 24 * 3600 * 1000;
const MAX_REMINDERS = 20;
const MAX_RENEWALS = 12;
const MAX_CHECKS = 40;

/** The payload as callers send it: durations as strings ('2 days') or milliseconds. */
export interface ProjectCompletedInput {
  projectId: string;
  siteId: string;
  customerEmails: string[];
  role: string;
  language?: string;
  policy?: {
    reminders?: (string | number)[];
    acceptancePoll?: string | number;
    checksAfterEmail?: (string | number)[];
    maxRenewals?: number;
    expiryWarning?: string | number;
    sendWindow?: SendWindow;
    escalateAfter?: string | number | null;
    escalateTo?: string;
    escalateOn?: EscalationTrigger[];
  };
}

export type ProjectValidation =
  { ok: true; project: ProjectCompleted; policy: ResolvedPolicy } | { ok: false; problems: string[] };

type Fields = Record<string, unknown>;

const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v);

function toMs(value: string | number): number | undefined {
  try {
    const ms = typeof value === 'number' ? value : msToNumber(value as Parameters<typeof msToNumber>[0]);
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}

/** Collects problems as "path: message", or the message alone when it already names the field. */
class Problems {
  readonly list: string[] = [];
  add(where: string, message: string): void {
    this.list.push(where && !message.startsWith(where) ? `${where}: ${message}` : message);
  }
  unknownFields(where: string, value: Fields, known: readonly string[]): void {
    const unknown = Object.keys(value).filter((k) => !known.includes(k));
    if (unknown.length) {
      this.list.push(
        `${where ? `${where}: ` : ''}unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}`,
      );
    }
  }
}

/** A required text field: trimmed, not empty, bounded, no control characters. */
function text(p: Problems, what: string, value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return void p.add(what, `${what} must be a string`);
  const trimmed = value.trim();
  const before = p.list.length;
  if (trimmed.length < 1) p.add(what, `${what} must not be empty`);
  if (trimmed.length > max) p.add(what, `${what} must be at most ${max} characters`);
  if (CONTROL.test(trimmed)) p.add(what, `${what} must not contain control characters`);
  return p.list.length === before ? trimmed : undefined;
}

/** A duration given as a string ('2 days', '6h') or milliseconds. */
function duration(
  p: Problems,
  where: string,
  what: string,
  value: unknown,
  minMs: number,
): number | undefined {
  if (!(typeof value === 'string' && value.length <= 40) && !isNumber(value)) {
    return void p.add(where, `${what} must be a duration like '2 days', '6h' or '30s'`);
  }
  const ms = toMs(value);
  if (ms === undefined) return void p.add(where, `${what} must be a duration like '2 days', '6h' or '30s'`);
  if (ms < minMs || ms > MAX_DURATION_MS) {
    return void p.add(where, `${what} must be between ${minMs / 1000}s and 365 days`);
  }
  return ms;
}

function customerEmails(p: Problems, value: unknown): string[] | undefined {
  if (!Array.isArray(value))
    return void p.add('customerEmails', 'customerEmails must be a list of email addresses');
  const before = p.list.length;
  value.forEach((email, i) => {
    if (typeof email !== 'string' || !EMAIL.test(email))
      p.add(`customerEmails[${i}]`, 'must be a valid email address');
    else if (email.length > 254) p.add(`customerEmails[${i}]`, 'must be at most 254 characters');
  });
  if (value.length < 1) p.add('customerEmails', 'customerEmails must name at least one customer');
  if (value.length > MAX_EMAILS_PER_HANDOFF) {
    p.add('customerEmails', `customerEmails may hold at most ${MAX_EMAILS_PER_HANDOFF} addresses`);
  }
  return p.list.length === before ? (value as string[]) : undefined;
}

interface CheckedPolicy {
  given: NonNullable<ProjectCompletedInput['policy']>;
  remindersMs?: number[];
  acceptancePollMs?: number;
  checkAfterEmailMs?: number[];
  expiryWarningMs?: number;
  sendWindow?: SendWindow;
  /** null: staff turned escalation for lack of acceptance off. */
  escalateAfterMs?: number | null;
}

/** An account manager's email or a Slack channel (#name), carried in the handoff.escalated event. */
const SLACK_CHANNEL = /^#[a-z0-9][a-z0-9._-]{0,79}$/;

function escalation(p: Problems, value: Fields, checked: CheckedPolicy): void {
  const { escalateAfter, escalateTo, escalateOn } = value;
  if (escalateAfter === null) {
    checked.escalateAfterMs = null;
    checked.given.escalateAfter = null;
  } else if (escalateAfter !== undefined) {
    checked.escalateAfterMs = duration(p, 'policy.escalateAfter', 'escalateAfter', escalateAfter, 1000);
    checked.given.escalateAfter = escalateAfter as string | number;
  }
  if (escalateTo !== undefined) {
    if (
      typeof escalateTo !== 'string' ||
      !(EMAIL.test(escalateTo.trim()) || SLACK_CHANNEL.test(escalateTo.trim()))
    )
      p.add('policy.escalateTo', 'must be an email address or a Slack channel such as #accounts');
    else if (escalateTo.length > 254) p.add('policy.escalateTo', 'must be at most 254 characters');
    else checked.given.escalateTo = escalateTo.trim();
  }
  if (escalateOn !== undefined) {
    if (
      !Array.isArray(escalateOn) ||
      !escalateOn.every((t) => ESCALATION_TRIGGERS.includes(t as EscalationTrigger))
    )
      p.add('policy.escalateOn', `must be a list of ${ESCALATION_TRIGGERS.join(', ')} (or [] for none)`);
    else checked.given.escalateOn = [...new Set(escalateOn as EscalationTrigger[])];
  }
}

/** The escalation fields of a checked policy, as the machine keeps them. */
function escalationPolicy(checked: CheckedPolicy): Partial<ResolvedPolicy> {
  return {
    ...(checked.escalateAfterMs !== undefined
      ? { escalateAfterMs: checked.escalateAfterMs ?? undefined }
      : {}),
    ...(checked.given.escalateTo !== undefined ? { escalateTo: checked.given.escalateTo } : {}),
    ...(checked.given.escalateOn !== undefined ? { escalateOn: checked.given.escalateOn } : {}),
  };
}

function sendWindow(p: Problems, value: unknown): SendWindow | undefined {
  if (!isObject(value)) return void p.add('policy.sendWindow', `must be an object, not ${kind(value)}`);
  const before = p.list.length;
  p.unknownFields('policy.sendWindow', value, ['timeZone', 'from', 'to', 'days']);
  const { timeZone, from, to, days } = value;
  if (typeof timeZone !== 'string' || !isTimeZone(timeZone))
    p.add('policy.sendWindow.timeZone', 'must be an IANA time zone such as Europe/Berlin');
  const start = typeof from === 'string' ? minutesOf(from) : undefined;
  const end = typeof to === 'string' ? minutesOf(to) : undefined;
  if (start === undefined) p.add('policy.sendWindow.from', 'must be a local time such as "09:00"');
  if (end === undefined) p.add('policy.sendWindow.to', 'must be a local time such as "17:00"');
  if (start !== undefined && end !== undefined && end <= start)
    p.add('policy.sendWindow.to', 'must be later than from (a window within one day)');
  const list = days === undefined ? [...WEEKDAYS] : days;
  if (!Array.isArray(list) || list.length === 0 || !list.every((d) => WEEKDAYS.includes(d as Weekday)))
    p.add('policy.sendWindow.days', `must be a non-empty list of ${WEEKDAYS.join(', ')}`);
  if (p.list.length > before) return undefined;
  return { timeZone: timeZone as string, from: from as string, to: to as string, days: list as Weekday[] };
}

function policy(p: Problems, value: unknown): CheckedPolicy | undefined {
  if (!isObject(value)) return void p.add('policy', `must be an object, not ${kind(value)}`);
  const before = p.list.length;
  p.unknownFields('policy', value, [
    'reminders',
    'acceptancePoll',
    'checksAfterEmail',
    'maxRenewals',
    'expiryWarning',
    'sendWindow',
    'escalateAfter',
    'escalateTo',
    'escalateOn',
  ]);
  const checked: CheckedPolicy = { given: {} };
  escalation(p, value, checked);
  const { reminders, acceptancePoll, maxRenewals, expiryWarning } = value;
  if (expiryWarning !== undefined) {
    checked.expiryWarningMs = duration(p, 'policy.expiryWarning', 'expiryWarning', expiryWarning, 3600_000);
    checked.given.expiryWarning = expiryWarning as string | number;
  }
  if (value.sendWindow !== undefined) {
    checked.sendWindow = sendWindow(p, value.sendWindow);
    if (checked.sendWindow) checked.given.sendWindow = checked.sendWindow;
  }
  if (reminders !== undefined) {
    if (!Array.isArray(reminders)) {
      p.add('policy.reminders', 'must be a list of durations');
    } else {
      const ms = reminders.map((r, i) => duration(p, `policy.reminders[${i}]`, 'each reminder', r, 1000));
      if (reminders.length > MAX_REMINDERS) p.add('policy.reminders', `at most ${MAX_REMINDERS} reminders`);
      const increasing = ms.every(
        (v, i) => i === 0 || (v !== undefined && ms[i - 1] !== undefined && v > ms[i - 1]!),
      );
      if (!increasing) p.add('policy.reminders', 'reminders must be in increasing order, without repeats');
      checked.given.reminders = reminders as (string | number)[];
      checked.remindersMs = ms as number[];
    }
  }
  const { checksAfterEmail } = value;
  if (checksAfterEmail !== undefined) {
    if (!Array.isArray(checksAfterEmail)) {
      p.add(
        'policy.checksAfterEmail',
        "must be a list of durations after each email, e.g. ['10m', '1h', '6h']",
      );
    } else {
      const ms = checksAfterEmail.map((c, i) =>
        duration(p, `policy.checksAfterEmail[${i}]`, 'each check', c, 1000),
      );
      if (checksAfterEmail.length > MAX_CHECKS)
        p.add('policy.checksAfterEmail', `at most ${MAX_CHECKS} checks after an email`);
      const increasing = ms.every(
        (v, i) => i === 0 || (v !== undefined && ms[i - 1] !== undefined && v > ms[i - 1]!),
      );
      if (!increasing)
        p.add('policy.checksAfterEmail', 'checks must be in increasing order, without repeats');
      checked.given.checksAfterEmail = checksAfterEmail as (string | number)[];
      checked.checkAfterEmailMs = ms as number[];
    }
  }
  if (acceptancePoll !== undefined) {
    checked.acceptancePollMs = duration(p, 'policy.acceptancePoll', 'acceptancePoll', acceptancePoll, 1000);
    checked.given.acceptancePoll = acceptancePoll as string | number;
  }
  if (maxRenewals !== undefined) {
    if (!isNumber(maxRenewals)) {
      p.add('policy.maxRenewals', `must be a number, not ${kind(maxRenewals)}`);
    } else {
      if (!Number.isInteger(maxRenewals)) p.add('policy.maxRenewals', 'maxRenewals must be a whole number');
      if (maxRenewals < 0) p.add('policy.maxRenewals', 'maxRenewals must be 0 or more');
      if (maxRenewals > MAX_RENEWALS)
        p.add('policy.maxRenewals', `maxRenewals must be at most ${MAX_RENEWALS}`);
      checked.given.maxRenewals = maxRenewals;
    }
  }
  return p.list.length === before ? checked : undefined;
}

/** Validates a project-completed payload and resolves its reminder policy, with every problem named. */
export function validateProjectCompleted(
  input: unknown,
  defaults: ResolvedPolicy = DEFAULT_POLICY,
): ProjectValidation {
  const p = new Problems();
  if (!isObject(input)) {
    return { ok: false, problems: [`the payload must be an object, not ${kind(input)}`] };
  }
  p.unknownFields('', input, ['projectId', 'siteId', 'customerEmails', 'role', 'language', 'policy']);
  const projectId = text(p, 'projectId', input.projectId, 200);
  let siteId: string | undefined;
  if (typeof input.siteId !== 'string') p.add('siteId', 'siteId must be a string');
  else if (!GUID.test(input.siteId.trim())) {
    p.add('siteId', 'siteId must be the Wix site id, a GUID like 9d2c7e10-1b44-4f0a-9a3c-5e6f7a8b9c0d');
  } else siteId = input.siteId.trim().toLowerCase();
  const emails = customerEmails(p, input.customerEmails);
  const role = text(p, 'role', input.role, 100);
  const { language } = input;
  if (language !== undefined) {
    if (typeof language !== 'string') p.add('language', `must be a string, not ${kind(language)}`);
    else if (!LANGUAGE.test(language))
      p.add('language', "language must be a two-letter ISO 639-1 code such as 'en'");
  }
  const checked = input.policy === undefined ? undefined : policy(p, input.policy);
  if (p.list.length > 0) return { ok: false, problems: p.list };

  const project: ProjectCompleted = {
    projectId: projectId!,
    siteId: siteId!,
    customerEmails: [...new Set(emails!.map((e) => e.trim().toLowerCase()))],
    role: role!,
    ...(typeof language === 'string' ? { language } : {}),
    ...(checked ? { policy: checked.given } : {}),
  };
  return {
    ok: true,
    project,
    policy: {
      reminderOffsetsMs: checked?.remindersMs ?? defaults.reminderOffsetsMs,
      acceptancePollMs: checked?.acceptancePollMs ?? defaults.acceptancePollMs,
      ...((checked?.checkAfterEmailMs ?? defaults.checkAfterEmailMs)
        ? { checkAfterEmailMs: checked?.checkAfterEmailMs ?? defaults.checkAfterEmailMs }
        : {}),
      maxRenewals: checked?.given.maxRenewals ?? defaults.maxRenewals,
      ...(checked?.expiryWarningMs !== undefined ? { expiryWarningMs: checked.expiryWarningMs } : {}),
      ...(checked?.sendWindow ? { sendWindow: checked.sendWindow } : {}),
      ...escalationDefaults(defaults, checked),
    },
  };
}

/** Escalation as given, else the defaults' (new handoffs: 7 days and every trigger; older runs had none). */
function escalationDefaults(
  defaults: ResolvedPolicy,
  checked: CheckedPolicy | undefined,
): Partial<ResolvedPolicy> {
  const given = checked ? escalationPolicy(checked) : {};
  const afterMs = 'escalateAfterMs' in given ? given.escalateAfterMs : defaults.escalateAfterMs;
  const to = given.escalateTo ?? defaults.escalateTo;
  const on = given.escalateOn ?? defaults.escalateOn;
  return {
    ...(afterMs !== undefined ? { escalateAfterMs: afterMs } : {}),
    ...(to !== undefined ? { escalateTo: to } : {}),
    ...(on !== undefined ? { escalateOn: on } : {}),
  };
}

/** A change staff make to a running handoff, as checked: addresses normalised, durations resolved to ms. */
export type CheckedChange =
  | Exclude<HandoffChange, { kind: 'changePolicy' }>
  | {
      kind: 'changePolicy';
      policy: Partial<ResolvedPolicy>;
      /** The change as given, for the audit trail. */
      given: NonNullable<ProjectCompletedInput['policy']>;
    };

export type ChangeValidation = { ok: true; change: CheckedChange } | { ok: false; problems: string[] };

const CHANGE_FIELDS: Record<CheckedChange['kind'], string[]> = {
  addInvitee: ['email'],
  removeInvitee: ['email'],
  replaceInvitee: ['email', 'newEmail', 'reason'],
  pause: ['reason'],
  resume: [],
  checkAcceptance: [],
  changePolicy: ['policy'],
};

function address(p: Problems, field: string, value: unknown): string | undefined {
  if (typeof value !== 'string' || !EMAIL.test(value.trim()))
    return void p.add(field, 'must be a valid email address');
  if (value.length > 254) return void p.add(field, 'must be at most 254 characters');
  return value.trim().toLowerCase();
}

/** Validates a staff change (`{ kind, actor, … }`) with every problem named; the API, the CLI and the workflow use it. */
export function validateHandoffChange(input: unknown): ChangeValidation {
  const p = new Problems();
  if (!isObject(input)) return { ok: false, problems: [`the change must be an object, not ${kind(input)}`] };
  const fields = CHANGE_FIELDS[input.kind as CheckedChange['kind']];
  if (!fields) {
    return { ok: false, problems: [`kind must be one of ${Object.keys(CHANGE_FIELDS).join(', ')}`] };
  }
  p.unknownFields('', input, ['kind', 'actor', ...fields]);
  const reason = input.reason === undefined ? undefined : text(p, 'reason', input.reason, 500);
  let change: CheckedChange | undefined;
  switch (input.kind as CheckedChange['kind']) {
    case 'addInvitee':
    case 'removeInvitee': {
      const email = address(p, 'email', input.email);
      if (email) change = { kind: input.kind as 'addInvitee' | 'removeInvitee', email };
      break;
    }
    case 'replaceInvitee': {
      const email = address(p, 'email', input.email);
      const newEmail = address(p, 'newEmail', input.newEmail);
      if (email && newEmail && email === newEmail)
        p.add('newEmail', 'newEmail must differ from the address it replaces');
      if (email && newEmail)
        change = { kind: 'replaceInvitee', email, newEmail, ...(reason ? { reason } : {}) };
      break;
    }
    case 'pause':
      change = { kind: 'pause', ...(reason ? { reason } : {}) };
      break;
    case 'resume':
    case 'checkAcceptance':
      change = { kind: input.kind as 'resume' | 'checkAcceptance' };
      break;
    case 'changePolicy': {
      const checked = policy(p, input.policy);
      if (checked && Object.keys(checked.given).length === 0)
        p.add(
          'policy',
          'name at least one of reminders, acceptancePoll, checksAfterEmail, maxRenewals, expiryWarning, sendWindow, escalateAfter, escalateTo, escalateOn',
        );
      if (checked) {
        change = {
          kind: 'changePolicy',
          given: checked.given,
          policy: {
            ...(checked.remindersMs ? { reminderOffsetsMs: checked.remindersMs } : {}),
            ...(checked.acceptancePollMs !== undefined ? { acceptancePollMs: checked.acceptancePollMs } : {}),
            ...(checked.checkAfterEmailMs ? { checkAfterEmailMs: checked.checkAfterEmailMs } : {}),
            ...(checked.given.maxRenewals !== undefined ? { maxRenewals: checked.given.maxRenewals } : {}),
            ...(checked.expiryWarningMs !== undefined ? { expiryWarningMs: checked.expiryWarningMs } : {}),
            ...(checked.sendWindow ? { sendWindow: checked.sendWindow } : {}),
            ...escalationPolicy(checked),
          },
        };
      }
      break;
    }
  }
  if (p.list.length > 0 || !change) return { ok: false, problems: p.list };
  return { ok: true, change };
}
