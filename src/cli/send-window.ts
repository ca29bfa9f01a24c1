// `--send-window "Europe/Berlin 09:00-17:00 mon-fri"`: the customer's hours as one argument, and back as text.
import type { SendWindow, Weekday } from '../../workflows/handoff-types';
import { WEEKDAYS } from '../../workflows/send-window';
import { UsageError } from './errors';

export const SEND_WINDOW_FORMAT =
  '"<time zone> <HH:MM>-<HH:MM> [days]", e.g. "Europe/Berlin 09:00-17:00 mon-fri"';

const SHAPE = /^(\S+)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})(?:\s+(\S+))?$/;

const isWeekday = (value: string): value is Weekday => (WEEKDAYS as readonly string[]).includes(value);

function weekday(name: string, text: string): Weekday {
  const day = name.toLowerCase();
  if (!isWeekday(day))
    throw new UsageError(
      `--send-window: "${name}" in "${text}" is not a day; use ${WEEKDAYS.join(', ')}`,
      `Days are a list (mon,wed,fri), a range (mon-fri) or both (mon-wed,sat). Format: ${SEND_WINDOW_FORMAT}.`,
    );
  return day;
}

/** `mon-fri`, `mon,wed`, `mon-wed,sat` and `fri-mon` (a range may run over the weekend), in week order. */
function days(text: string): Weekday[] {
  const chosen = new Set<Weekday>();
  for (const piece of text.split(',').filter(Boolean)) {
    const [first, last, ...more] = piece.split('-');
    if (more.length)
      throw new UsageError(`--send-window: "${piece}" is not a day or a range such as mon-fri`);
    const start = WEEKDAYS.indexOf(weekday(first, text));
    const end = last === undefined ? start : WEEKDAYS.indexOf(weekday(last, text));
    for (let i = start; ; i = (i + 1) % WEEKDAYS.length) {
      chosen.add(WEEKDAYS[i]);
      if (i === end) break;
    }
  }
  if (!chosen.size) throw new UsageError(`--send-window: name at least one day, e.g. mon-fri`);
  return WEEKDAYS.filter((d) => chosen.has(d));
}

/**
 * The window as the policy takes it; only the shape is checked here. Whether the zone exists and the times make
 * sense is the validator's to say, so the CLI, the API and the console name those problems alike.
 */
export function parseSendWindow(text: string): SendWindow {
  const trimmed = text.trim();
  // Removing a window is not a change the handoff takes: say so rather than call "none" a time zone.
  if (/^(none|off)$/i.test(trimmed))
    throw new UsageError(
      '--send-window none is not supported: a window, once set, can be changed but not removed',
      'To send at any hour, set a window over the whole day, e.g. --send-window "UTC 00:00-23:59".',
    );
  const match = SHAPE.exec(trimmed);
  if (!match)
    throw new UsageError(`--send-window "${trimmed}" is not a send window`, `Format: ${SEND_WINDOW_FORMAT}.`);
  const [, timeZone, from, to, dayList] = match;
  const pad = (time: string): string => time.padStart(5, '0');
  return { timeZone, from: pad(from), to: pad(to), days: dayList ? days(dayList) : [...WEEKDAYS] };
}

/** The week-ordered days as runs: mon,tue,wed,thu,fri,sun → 'mon-fri,sun'. */
export function daysText(list: readonly Weekday[]): string {
  const runs: string[] = [];
  let i = 0;
  while (i < WEEKDAYS.length) {
    if (!list.includes(WEEKDAYS[i])) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < WEEKDAYS.length && list.includes(WEEKDAYS[j + 1])) j++;
    runs.push(j === i ? WEEKDAYS[i] : `${WEEKDAYS[i]}-${WEEKDAYS[j]}`);
    i = j + 1;
  }
  return runs.join(',');
}

/** The window as `--send-window` takes it, so what `status` prints can be typed back. */
export function sendWindowText(window: SendWindow): string {
  return `${window.timeZone} ${window.from}-${window.to} ${daysText(window.days)}`;
}
