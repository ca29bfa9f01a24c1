// Turns exported ledger rows into CSV (RFC 4180) or JSON Lines, one line at a time.
import type { LedgerSummary } from './types';

type Cell = string | number | null;

/** CSV columns in order: header name and how a row fills it. */
export const CSV_COLUMNS: readonly { name: string; cell: (row: LedgerSummary) => Cell }[] = [
  { name: 'handoff_id', cell: (r) => r.handoffId },
  { name: 'run_id', cell: (r) => r.runId },
  { name: 'state', cell: (r) => r.state },
  { name: 'site_id', cell: (r) => r.siteId },
  { name: 'project_id', cell: (r) => r.projectId },
  { name: 'role', cell: (r) => r.role },
  { name: 'invitee_emails', cell: (r) => r.inviteeEmails.join('; ') },
  { name: 'invite_ids', cell: (r) => r.inviteIds.join('; ') },
  { name: 'started_at', cell: (r) => r.startedAt },
  { name: 'ended_at', cell: (r) => r.endedAt },
  { name: 'last_activity_at', cell: (r) => r.lastActivityAt },
  { name: 'outcome', cell: (r) => r.outcome },
  { name: 'accepted_by', cell: (r) => r.acceptedBy },
  { name: 'revoked_by', cell: (r) => r.revokedBy },
  { name: 'failure', cell: (r) => r.failure },
  { name: 'version', cell: (r) => r.version },
];

// Spreadsheets run a cell starting with these as a formula (OWASP CSV injection; tab and CR included).
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field: text that a spreadsheet would evaluate gets a leading quote, then RFC 4180 quoting. */
export function csvField(value: Cell): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV record with its CRLF terminator. */
export function csvLine(cells: readonly Cell[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}

/** The header line, then one line per row. */
export async function* toCsvLines(rows: AsyncIterable<LedgerSummary>): AsyncGenerator<string> {
  yield csvLine(CSV_COLUMNS.map((c) => c.name));
  for await (const row of rows) yield csvLine(CSV_COLUMNS.map((c) => c.cell(row)));
}

/** One JSON object per line. */
export async function* toJsonLines(rows: AsyncIterable<LedgerSummary>): AsyncGenerator<string> {
  for await (const row of rows) yield `${JSON.stringify(row)}\n`;
}
