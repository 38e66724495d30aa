/** The analysis window never reaches back before the rollout: the previous canary shares its labels. */
import { describe, expect, it } from 'vitest';
import { windowSinceCreated } from '../../lib/app/reconcile-rollout.js';
import type { RolloutSpec } from '../../lib/domain/spec.js';

describe('windowSinceCreated', () => {
  it('clamps the analysis window to the whole seconds since the rollout was created, and leaves an older rollout alone', () => {
    const spec = { analysis: { windowMs: 60_000 } } as unknown as RolloutSpec;
    const created = '2026-11-27T07:00:00.000Z';
    expect(windowSinceCreated(spec, created, new Date('2026-11-27T07:00:12.700Z')).analysis.windowMs).toBe(12_000);
    expect(windowSinceCreated(spec, created, new Date('2026-11-27T07:00:00.300Z')).analysis.windowMs).toBe(1_000);
    expect(windowSinceCreated(spec, created, new Date('2026-11-27T07:05:00.000Z'))).toBe(spec);
  });
});
