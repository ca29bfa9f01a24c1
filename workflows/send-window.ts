// The customer's hours: a reminder due outside its send window waits for the window's next opening, in the
// customer's time zone, across daylight-saving changes. Pure and clock-free: the standard Intl API with the
// time-zone data of the Node.js that runs the worker, so a replay on the same Node computes the same instants.
import type { SendWindow, Weekday } from './handoff-types';

export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone: building them is the costly part. */
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: Weekday;
  minutes: number;
}

function localTime(at: number, timeZone: string): LocalTime {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    weekday: parts.weekday.toLowerCase().slice(0, 3) as Weekday,
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** Whether a zone name is one the runtime knows (an IANA name such as Europe/Berlin). */
export function isTimeZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** "09:30" → 570; undefined unless HH:MM within a day. */
export function minutesOf(hhmm: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** The local wall clock at `at`, read as if it were UTC: minus `at`, the zone's offset then. */
function wallClock(at: number, timeZone: string): number {
  const l = localTime(at, timeZone);
  return Date.UTC(l.year, l.month - 1, l.day) + l.minutes * MINUTE;
}

/**
 * The instant a local wall time happens. Around a DST change the offsets a day before and after give the two
 * candidates: in an overlap both are real (the earlier wins), in a gap neither is and the time moves on by the jump.
 */
function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day) + minutes * MINUTE;
  const offset = (t: number) => wallClock(t, timeZone) - (t - (t % MINUTE));
  const before = wall - offset(wall - DAY);
  const after = wall - offset(wall + DAY);
  const real = [before, after].filter((t) => wallClock(t, timeZone) === wall);
  return real.length ? Math.min(...real) : before;
}

/** `at` itself when it falls inside the window, else the window's next opening. */
export function nextOpening(at: number, window: SendWindow): number {
  const from = minutesOf(window.from)!;
  const to = minutesOf(window.to)!;
  const now = localTime(at, window.timeZone);
  if (window.days.includes(now.weekday) && now.minutes >= from && now.minutes < to) return at;
  // Eight days always reach an allowed day; noon of each local day keeps clear of DST edges when stepping.
  const noon = instantOf(now.year, now.month, now.day, 12 * 60, window.timeZone);
  for (let d = 0; d <= 7; d++) {
    const day = localTime(noon + d * DAY, window.timeZone);
    if (!window.days.includes(day.weekday)) continue;
    const opening = instantOf(day.year, day.month, day.day, from, window.timeZone);
    if (opening > at) return opening;
  }
  return at;
}
