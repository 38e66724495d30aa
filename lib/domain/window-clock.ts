import { DateTime } from 'luxon';
import type { MaintenanceWindow } from './maintenance-window.js';

/**
 * Window arithmetic on the zone's wall clock (luxon, so DST is the zone database's, not ours): see
 * maintenance-window.ts for what the windows mean.
 */

/** Whether `at` falls inside the window. */
export function isOpen(window: MaintenanceWindow, at: Date): boolean {
  const local = DateTime.fromJSDate(at, { zone: window.zone });
  const minute = local.hour * 60 + local.minute;
  const today = window.days.has(local.weekday);
  if (window.startMinute < window.endMinute) return today && minute >= window.startMinute && minute < window.endMinute;
  const yesterday = window.days.has(local.minus({ days: 1 }).weekday);
  return (today && minute >= window.startMinute) || (yesterday && minute < window.endMinute);
}

/** No windows means always open; otherwise open when any window is. */
export function isInsideAnyWindow(windows: readonly MaintenanceWindow[], at: Date): boolean {
  return windows.length === 0 || windows.some((w) => isOpen(w, at));
}

/** The next moment after `at` when one of the windows opens, looking up to 8 days ahead. */
export function nextOpening(windows: readonly MaintenanceWindow[], at: Date): Date | undefined {
  let best: DateTime | undefined;
  for (const window of windows) {
    const local = DateTime.fromJSDate(at, { zone: window.zone }).startOf('day');
    for (let offset = -1; offset <= 8; offset++) {
      const day = local.plus({ days: offset });
      if (!window.days.has(day.weekday)) continue;
      // luxon moves a wall time that does not exist (spring forward) to the next valid instant.
      const opens = day.set({ hour: Math.floor(window.startMinute / 60), minute: window.startMinute % 60 });
      if (opens.toMillis() > at.getTime() && (!best || opens < best)) best = opens;
    }
  }
  return best?.toJSDate();
}
