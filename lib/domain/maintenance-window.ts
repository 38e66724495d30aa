/**
 * Maintenance windows in the form people write them: `Mon-Fri 02:00-05:00 Europe/Berlin`,
 * `Sat,Sun 22:00-02:00 UTC`, `daily 01:00-04:30 America/New_York`.
 *
 * Times are wall-clock times in the named zone, so a window follows the zone through DST: on the
 * night the clocks spring forward, 02:00-05:00 Berlin is open from 03:00 (02:xx does not exist); on
 * the night they fall back, 02:00-03:00 happens twice and the window is open both times. A window
 * whose end is not after its start crosses midnight: it opens on a listed day and closes the next
 * morning. `24:00` means the end of the day. Parsing needs no time-zone library (the Intl API knows the
 * zones); the arithmetic in window-clock.ts does, and only the planner loads it.
 */
export interface MaintenanceWindow {
  text: string;
  /** ISO weekdays the window opens on, 1 = Monday … 7 = Sunday. */
  days: ReadonlySet<number>;
  /** Minutes after local midnight. */
  startMinute: number;
  endMinute: number;
  zone: string;
}

const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const SHAPE = /^\s*(\S+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s+(\S+)\s*$/;

export type WindowParse = { ok: true; window: MaintenanceWindow } | { ok: false; problem: string };

export function parseWindow(text: string): WindowParse {
  const match = SHAPE.exec(text);
  if (!match) return { ok: false, problem: 'must look like "Mon-Fri 02:00-05:00 Europe/Berlin" (days, HH:MM-HH:MM, IANA time zone)' };
  const [, dayText = '', sh = '', sm = '', eh = '', em = '', zone = ''] = match;
  const days = parseDays(dayText);
  if (typeof days === 'string') return { ok: false, problem: days };
  const start = minuteOfDay(Number(sh), Number(sm));
  const end = minuteOfDay(Number(eh), Number(em));
  if (start === undefined || start === 24 * 60) return { ok: false, problem: `start time ${sh}:${sm} is not a time of day (00:00-23:59)` };
  if (end === undefined) return { ok: false, problem: `end time ${eh}:${em} is not a time of day (00:00-24:00)` };
  if (start === end) return { ok: false, problem: 'start and end are the same time; use 00:00-24:00 for a whole day' };
  if (!isTimeZone(zone)) return { ok: false, problem: `"${zone}" is not an IANA time zone such as Europe/Berlin or UTC` };
  return { ok: true, window: { text: text.trim(), days, startMinute: start, endMinute: end, zone } };
}

function minuteOfDay(hour: number, minute: number): number | undefined {
  if (minute > 59 || hour > 24 || (hour === 24 && minute !== 0)) return undefined;
  return hour * 60 + minute;
}

function parseDays(text: string): ReadonlySet<number> | string {
  const lower = text.toLowerCase();
  if (lower === 'daily' || lower === '*') return new Set([1, 2, 3, 4, 5, 6, 7]);
  const days = new Set<number>();
  for (const part of lower.split(',')) {
    const [from, to] = part.split('-');
    const a = dayNumber(from);
    const b = to === undefined ? a : dayNumber(to);
    if (a === undefined || b === undefined) return `"${part}" is not a day or day range such as Mon-Fri, Sat,Sun or daily`;
    // A range may wrap the week: Fri-Mon is Friday, Saturday, Sunday, Monday.
    for (let d = a; ; d = (d % 7) + 1) {
      days.add(d);
      if (d === b) break;
    }
  }
  return days;
}

const dayNumber = (name: string | undefined): number | undefined => {
  const index = DAY_NAMES.findIndex((d) => name !== undefined && name.length >= 3 && d === name.slice(0, 3));
  return index < 0 ? undefined : index + 1;
};

const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};
