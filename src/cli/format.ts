// Plain-text tables for people; --json bypasses all of this and prints the raw objects.
import type { HandoffSummary } from '../handoff-client';
import { FINAL_STATES, type HandoffStatus } from '../../workflows/handoff-types';
import { sendWindowText } from './send-window';

export interface Column {
  header: string;
  /** Wraps to fit `maxWidth`, lowest number first, so ids stay whole while prose wraps. */
  shrink?: number;
  /** Narrowest a shrinking column gets. */
  min?: number;
  /** Cut a word wider than the column (default); off, such a word runs past the column instead. */
  breakWords?: boolean;
}

export type Cell = string | number | null | undefined;

const GAP = '  ';
const NOTE_INDENT = '    ';
const EMPTY = '-';
// eslint-disable-next-line no-control-regex -- terminal control characters are exactly what is removed
const CONTROL = /[\u0000-\u001f\u007f-\u009f]+/g;

/** ISO 8601 in UTC without milliseconds; anything unparseable is shown as it came. */
export function isoSeconds(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return EMPTY;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One line of text: whitespace collapsed and control characters dropped, so a cell cannot move the cursor. */
export function clean(value: Cell): string {
  if (value === null || value === undefined) return EMPTY;
  const text = String(value).replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  return text === '' ? EMPTY : text;
}

/** Breaks after spaces, commas, dots, hyphens, slashes and '@', and mid-word only when a word is wider than the cell. */
export function wrapText(text: string, width: number, breakWords = true): string[] {
  if (text.length <= width) return [text];
  const lines: string[] = [];
  let line = '';
  for (const piece of text.split(/(?<=[ ,./@-])/)) {
    if ((line + piece).trimEnd().length <= width) {
      line += piece;
      continue;
    }
    if (line.trim()) lines.push(line.trimEnd());
    line = piece.trimStart();
    while (breakWords && line.length > width) {
      lines.push(line.slice(0, width));
      line = line.slice(width);
    }
  }
  if (line.trim()) lines.push(line.trimEnd());
  return lines.length ? lines : [''];
}

/** Aligned columns fitted to `maxWidth`; a row's note (a long sentence) prints under it at full width. */
export function renderTable(
  columns: Column[],
  rows: Cell[][],
  maxWidth: number,
  options: { header?: boolean; notes?: (string | null)[] } = {},
): string[] {
  const showHeader = options.header ?? true;
  const cells = rows.map((row) => columns.map((_, i) => clean(row[i])));
  const widths = columns.map((c, i) =>
    Math.max(showHeader ? c.header.length : 1, ...cells.map((row) => row[i].length)),
  );
  const total = (): number => widths.reduce((a, b) => a + b, 0) + GAP.length * (columns.length - 1);
  while (total() > maxWidth) {
    let pick = -1;
    columns.forEach((c, i) => {
      const floor = Math.max(c.min ?? 10, showHeader ? c.header.length : 1);
      if (c.shrink === undefined || widths[i] <= floor) return;
      const better =
        pick < 0 ||
        c.shrink < columns[pick].shrink! ||
        (c.shrink === columns[pick].shrink && widths[i] > widths[pick]);
      if (better) pick = i;
    });
    if (pick < 0) break;
    widths[pick] -= 1;
  }
  const lines: string[] = [];
  const emit = (row: string[]): void => {
    const wrapped = row.map((cell, i) => wrapText(cell, widths[i], columns[i].breakWords ?? true));
    const height = Math.max(...wrapped.map((w) => w.length));
    for (let n = 0; n < height; n++) {
      const parts = wrapped.map((w, i) =>
        i === wrapped.length - 1 ? (w[n] ?? '') : (w[n] ?? '').padEnd(widths[i]),
      );
      lines.push(parts.join(GAP).trimEnd());
    }
  };
  if (showHeader) emit(columns.map((c) => c.header));
  cells.forEach((row, n) => {
    emit(row);
    const note = options.notes?.[n];
    if (note) {
      const noteWidth = Math.max(maxWidth - NOTE_INDENT.length, 20);
      lines.push(...wrapText(clean(note), noteWidth).map((l) => `${NOTE_INDENT}${l}`));
    }
  });
  return lines;
}

export function renderStatus(workflowId: string, status: HandoffStatus, width: number): string[] {
  const refusal = status.lastRefusal
    ? `${isoSeconds(status.lastRefusal.at)} ${status.lastRefusal.request}: ${status.lastRefusal.reason}`
    : null;
  const role =
    status.role && status.roleId && status.roleId !== status.role
      ? `${status.role} (${status.roleId})`
      : status.role;
  const fields = renderTable(
    [{ header: 'FIELD' }, { header: 'VALUE', shrink: 1, min: 20 }],
    [
      ['Handoff', workflowId],
      ['State', status.state],
      ['Site', status.siteId],
      ['Project', status.projectId],
      ['Role', role],
      ...(status.restartOf ? [['Previous run', restartText(status.restartOf)]] : []),
      ['Next reminder', isoSeconds(status.nextReminderAt)],
      ...(status.nextCheckAt
        ? [['Next check', `${isoSeconds(status.nextCheckAt)} (${status.nextCheckReason ?? 'scheduled'})`]]
        : []),
      ...(status.paused !== undefined ? [['Paused', pausedText(status.paused)]] : []),
      ...(status.policy ? policyRows(status.policy) : []),
      ...escalationRows(status),
      ['Failure', status.failure],
      ['Last refusal', refusal],
    ],
    width,
    { header: false },
  );
  // A problem is a sentence: it gets the full width on its own line under the invitee, not a narrow column.
  const invitees = status.invitees.length
    ? renderTable(
        [
          { header: 'EMAIL', shrink: 1, min: 12 },
          { header: 'STATUS' },
          { header: 'INVITE ID', shrink: 2, min: 13 },
          { header: 'EXPIRES' },
          { header: 'REMINDERS' },
          { header: 'RENEWALS' },
        ],
        status.invitees.map((i) => [
          i.email,
          i.status,
          i.inviteId,
          isoSeconds(i.expiresAt),
          i.remindersSent,
          i.renewals,
        ]),
        width,
        { notes: status.invitees.map(inviteeNote) },
      )
    : ['(no invitees yet)'];
  const audit = status.audit.length
    ? renderTable(
        [
          { header: 'TIME' },
          { header: 'EVENT', shrink: 2, min: 14 },
          { header: 'ACTOR', shrink: 3, min: 10 },
          { header: 'DETAIL', shrink: 1, min: 20 },
        ],
        status.audit.map((a) => [isoSeconds(a.at), a.event, a.actor, a.detail]),
        width,
      )
    : ['(no entries)'];
  return [
    ...fields,
    '',
    'Invitees',
    ...invitees,
    '',
    'Audit trail',
    ...audit,
    ...nextSteps(workflowId, status),
  ];
}

/** Milliseconds as people write durations: '2 days', '6h', '90s'; the largest unit that divides it whole. */
export function durationText(ms: number): string {
  const units: [number, string, string][] = [
    [86_400_000, ' day', ' days'],
    [3_600_000, 'h', 'h'],
    [60_000, 'min', 'min'],
    [1_000, 's', 's'],
  ];
  for (const [size, one, many] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size}${ms === size ? one : many}`;
  }
  return `${ms}ms`;
}

function pausedText(paused: HandoffStatus['paused']): string {
  if (!paused) return 'no';
  return `since ${isoSeconds(paused.since)} by ${paused.actor}${paused.reason ? `: ${paused.reason}` : ''}`;
}

type Policy = NonNullable<HandoffStatus['policy']>;

/** The cadence on one line; the expiry warning and the send window on their own, only once set. */
function policyRows(policy: Policy): Cell[][] {
  return [
    ['Policy', policyText(policy)],
    ...(policy.expiryWarningMs !== undefined
      ? [['Expiry warning', `${durationText(policy.expiryWarningMs)} before the invite lapses`]]
      : []),
    ...(policy.sendWindow ? [['Send window', sendWindowText(policy.sendWindow)]] : []),
  ];
}

/** When it will escalate, and each escalation so far (once per cause). */
function escalationRows(status: HandoffStatus): Cell[][] {
  const rows: Cell[][] = [];
  if (status.escalationDueAt)
    rows.push(['Escalates', `${isoSeconds(status.escalationDueAt)} if nobody accepts`]);
  for (const e of status.escalations ?? [])
    rows.push(['Escalated', `${e.cause} at ${isoSeconds(e.at)}${e.to ? ` to ${e.to}` : ''}`]);
  return rows;
}

function restartText(restart: NonNullable<HandoffStatus['restartOf']>): string {
  return `restarted after ${restart.state} (run ${restart.runId}): ${restart.reason}`;
}

function policyText(policy: Policy): string {
  const reminders = policy.reminderOffsetsMs.length
    ? `reminders at ${policy.reminderOffsetsMs.map(durationText).join(', ')}`
    : 'no reminders';
  const renewals = `${policy.maxRenewals} ${policy.maxRenewals === 1 ? 'renewal' : 'renewals'} at most`;
  const after = policy.checkAfterEmailMs ?? [];
  const checks = after.length
    ? `acceptance checked ${after.length} times within ${Math.ceil(after.at(-1)! / 3_600_000)}h of each email, then every ${durationText(policy.acceptancePollMs)}`
    : `acceptance checked every ${durationText(policy.acceptancePollMs)}`;
  return `${reminders}; ${checks}; ${renewals}`;
}

/** The sentence under an invitee: who replaced whom, then any problem. */
function inviteeNote(invitee: HandoffStatus['invitees'][number]): string | null {
  const parts = [
    invitee.replacedBy ? `replaced by ${invitee.replacedBy}` : null,
    invitee.replaces ? `replaces ${invitee.replaces}` : null,
    invitee.problem ? `problem: ${invitee.problem}` : null,
  ].filter((p): p is string => p !== null);
  return parts.length ? parts.join('; ') : null;
}

/** What staff can do from here, for the states where there is something to do. */
function nextSteps(workflowId: string, status: HandoffStatus): string[] {
  switch (status.state) {
    case 'failed':
      return ['', `Once the cause is fixed: site-handoff retry ${workflowId}`];
    case 'inviting':
    case 'revoking':
      return ['', 'The worker is calling Wix; if this does not change, check that a worker is running.'];
    default:
      return [];
  }
}

export function renderList(summaries: HandoffSummary[], width: number): string[] {
  return renderTable(
    [
      // One line per handoff, ids whole: the list is for grep and copy-paste; only the customers wrap.
      { header: 'ID' },
      { header: 'STATE' },
      { header: 'SITE' },
      { header: 'PROJECT' },
      { header: 'CUSTOMERS', shrink: 1, min: 24, breakWords: false },
    ],
    summaries.map((s) => [
      s.workflowId,
      // A closed workflow in a non-final state ended abnormally (failed run, terminated): worth a flag.
      s.running || (FINAL_STATES as readonly string[]).includes(s.state) ? s.state : `${s.state} (closed)`,
      s.siteId,
      s.projectId,
      s.customers.join(', ') || null,
    ]),
    width,
  );
}
