import { describe, expect, it } from 'vitest';
import { IllegalTransitionError, PHASES, assertTransition, canTransition, type Phase } from '../../lib/domain/phases.js';

const allowed: Array<[Phase, Phase]> = [
  ['Initializing', 'Progressing'], ['Initializing', 'Paused'], ['Initializing', 'Promoting'], ['Initializing', 'RollingBack'], ['Initializing', 'Failed'],
  ['Progressing', 'Paused'], ['Progressing', 'Promoting'], ['Progressing', 'RollingBack'], ['Progressing', 'Failed'],
  ['Paused', 'Progressing'], ['Paused', 'Promoting'], ['Paused', 'RollingBack'], ['Paused', 'Failed'],
  ['Promoting', 'Completed'], ['Promoting', 'RollingBack'],
  ['RollingBack', 'Failed'],
];

describe('phase transition table', () => {
  const key = (from: Phase, to: Phase): string => `${from}→${to}`;
  const allowedKeys = new Set(allowed.map(([f, t]) => key(f, t)));
  const every = PHASES.flatMap((from) => PHASES.filter((to) => to !== from).map((to) => [from, to] as [Phase, Phase]));

  it.each(every)('%s → %s is allowed only if listed', (from, to) => {
    expect(canTransition(from, to)).toBe(allowedKeys.has(key(from, to)));
    if (!allowedKeys.has(key(from, to))) expect(() => assertTransition(from, to)).toThrow(IllegalTransitionError);
  });

  it('terminal phases cannot even stay put', () => {
    expect(canTransition('Completed', 'Completed')).toBe(false);
    expect(canTransition('Failed', 'Failed')).toBe(false);
    expect(canTransition('Progressing', 'Progressing')).toBe(true);
  });

  it('no transition ever leaves a terminal phase; only a rollback with nothing to undo goes straight to Failed', () => {
    expect(canTransition('Completed', 'Progressing')).toBe(false);
    expect(canTransition('Failed', 'Initializing')).toBe(false);
    expect(canTransition('Promoting', 'Failed')).toBe(false);
    expect(canTransition('Progressing', 'Completed')).toBe(false);
  });
});
