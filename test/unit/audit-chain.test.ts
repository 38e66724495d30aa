import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, chainEvents, verifyChain } from '../../lib/domain/audit-chain.js';

const draft = (n: number) => ({ type: 'StepAdvanced', at: `2026-11-26T12:00:0${n}.000Z`, actor: { id: 'engine', via: 'engine' as const }, message: `step ${n}`, data: { weight: n * 10 } });

describe('audit hash chain', () => {
  const first = chainEvents('ro_1', { count: 0, hash: GENESIS_HASH }, [draft(1), draft(2)]);
  const events = [...first, ...chainEvents('ro_1', { count: 2, hash: first[1]!.hash }, [draft(3)])];

  it('links events across writes', () => {
    expect(events.map((e) => e.position)).toEqual([1, 2, 3]);
    expect(verifyChain(events)).toEqual({ valid: true, count: 3 });
  });

  it('detects an edited event', () => {
    const tampered = events.map((e) => (e.position === 2 ? { ...e, message: 'nothing happened' } : e));
    expect(verifyChain(tampered)).toMatchObject({ valid: false, position: 2 });
  });

  it('detects a missing event', () => {
    expect(verifyChain([events[0]!, events[2]!])).toMatchObject({ valid: false, position: 2 });
  });
});
