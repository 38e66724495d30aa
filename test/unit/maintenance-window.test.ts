import { describe, expect, it } from 'vitest';
import { parseWindow, type MaintenanceWindow } from '../../lib/domain/maintenance-window.js';
import { isInsideAnyWindow, isOpen, nextOpening } from '../../lib/domain/window-clock.js';

const windowOf = (text: string): MaintenanceWindow => {
  const parsed = parseWindow(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.window;
};
const at = (iso: string) => new Date(iso);

describe('maintenance window parsing', () => {
  it.each([
    ['Mon-Fri 02:00-05:00', /must look like/],
    ['Mon-Fri 2am-5am Europe/Berlin', /must look like/],
    ['Funday 02:00-05:00 UTC', /not a day or day range/],
    ['Mon 25:00-05:00 UTC', /start time 25:00/],
    ['Mon 02:00-05:61 UTC', /end time 05:61/],
    ['Mon 02:00-02:00 UTC', /same time/],
    ['Mon 02:00-05:00 Mars/Olympus', /not an IANA time zone/],
  ])('refuses %s, saying why', (text, problem) => {
    const parsed = parseWindow(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.problem).toMatch(problem);
  });

  it('reads day lists, ranges that wrap the week, and daily', () => {
    expect([...windowOf('Sat,Sun 00:00-24:00 UTC').days]).toEqual([6, 7]);
    expect([...windowOf('Fri-Mon 22:00-02:00 UTC').days].sort()).toEqual([1, 5, 6, 7]);
    expect(windowOf('daily 01:00-04:30 America/New_York').days.size).toBe(7);
    expect(windowOf('monday-wednesday 01:00-04:30 UTC').days.size).toBe(3);
  });
});

describe('maintenance window arithmetic', () => {
  const weeknights = windowOf('Mon-Fri 02:00-05:00 Europe/Berlin');

  it('follows the zone: 02:00-05:00 Berlin is 01:00-04:00 UTC in winter', () => {
    expect(isOpen(weeknights, at('2026-11-25T00:59:00Z'))).toBe(false); // Wed 01:59 CET
    expect(isOpen(weeknights, at('2026-11-25T01:00:00Z'))).toBe(true); // Wed 02:00 CET
    expect(isOpen(weeknights, at('2026-11-25T03:59:00Z'))).toBe(true);
    expect(isOpen(weeknights, at('2026-11-25T04:00:00Z'))).toBe(false); // 05:00, the end is exclusive
    expect(isOpen(weeknights, at('2026-11-28T02:00:00Z'))).toBe(false); // Saturday
  });

  it('and 00:00-03:00 UTC in summer', () => {
    expect(isOpen(weeknights, at('2026-07-15T00:00:00Z'))).toBe(true); // Wed 02:00 CEST
    expect(isOpen(weeknights, at('2026-07-15T03:00:00Z'))).toBe(false); // 05:00 CEST
  });

  const nightly = windowOf('daily 02:00-05:00 Europe/Berlin');

  it('on the spring-forward night 02:xx does not exist: the window opens at 03:00 CEST and lasts two hours', () => {
    // 2026-03-29: at 01:00 UTC Berlin jumps from 02:00 CET to 03:00 CEST.
    expect(isOpen(nightly, at('2026-03-29T00:59:00Z'))).toBe(false); // 01:59 CET
    expect(isOpen(nightly, at('2026-03-29T01:00:00Z'))).toBe(true); // 03:00 CEST
    expect(isOpen(nightly, at('2026-03-29T02:59:00Z'))).toBe(true); // 04:59 CEST
    expect(isOpen(nightly, at('2026-03-29T03:00:00Z'))).toBe(false); // 05:00 CEST
    expect(nextOpening([nightly], at('2026-03-28T23:00:00Z'))?.toISOString()).toBe('2026-03-29T01:00:00.000Z');
  });

  it('on the fall-back night 02:00-03:00 happens twice: the window stays open four hours', () => {
    // 2026-10-25: at 01:00 UTC Berlin goes back from 03:00 CEST to 02:00 CET.
    expect(isOpen(nightly, at('2026-10-24T23:59:00Z'))).toBe(false); // 01:59 CEST
    expect(isOpen(nightly, at('2026-10-25T00:00:00Z'))).toBe(true); // 02:00 CEST
    expect(isOpen(nightly, at('2026-10-25T01:30:00Z'))).toBe(true); // 02:30 CET, the second time
    expect(isOpen(nightly, at('2026-10-25T03:59:00Z'))).toBe(true); // 04:59 CET
    expect(isOpen(nightly, at('2026-10-25T04:00:00Z'))).toBe(false); // 05:00 CET
  });

  it('a window across midnight opens on its listed day and closes the next morning', () => {
    const friday = windowOf('Fri 22:00-02:00 UTC');
    expect(isOpen(friday, at('2026-11-27T21:59:00Z'))).toBe(false); // Fri 21:59
    expect(isOpen(friday, at('2026-11-27T23:00:00Z'))).toBe(true); // Fri 23:00
    expect(isOpen(friday, at('2026-11-28T01:59:00Z'))).toBe(true); // Sat 01:59, still Friday's window
    expect(isOpen(friday, at('2026-11-28T02:00:00Z'))).toBe(false);
    expect(isOpen(friday, at('2026-11-28T23:00:00Z'))).toBe(false); // Saturday is not listed
    expect(isOpen(friday, at('2026-11-27T01:00:00Z'))).toBe(false); // Thursday night is not Friday's
  });

  it('a midnight-crossing window keeps its local meaning across DST (America/New_York)', () => {
    const late = windowOf('Sat 23:00-01:00 America/New_York');
    // 2026-03-08 02:00 EST → 03:00 EDT. Saturday 23:00 EST is 04:00 UTC Sunday; Sunday 00:59 EST is 05:59 UTC.
    expect(isOpen(late, at('2026-03-08T04:00:00Z'))).toBe(true);
    expect(isOpen(late, at('2026-03-08T05:59:00Z'))).toBe(true);
    expect(isOpen(late, at('2026-03-08T06:00:00Z'))).toBe(false);
  });

  it('no windows means always open; several windows open when any is', () => {
    expect(isInsideAnyWindow([], at('2026-11-28T12:00:00Z'))).toBe(true);
    const weekend = windowOf('Sat,Sun 10:00-12:00 UTC');
    expect(isInsideAnyWindow([weeknights, weekend], at('2026-11-28T11:00:00Z'))).toBe(true);
    expect(isInsideAnyWindow([weeknights, weekend], at('2026-11-28T13:00:00Z'))).toBe(false);
  });

  it('names the next opening, skipping days that are not listed', () => {
    // Friday 2026-11-27 06:00 UTC → next is Monday 02:00 CET = 01:00 UTC.
    expect(nextOpening([weeknights], at('2026-11-27T06:00:00Z'))?.toISOString()).toBe('2026-11-30T01:00:00.000Z');
  });
});
