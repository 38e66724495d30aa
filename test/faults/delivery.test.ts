import { afterEach, describe, expect, it } from 'vitest';
import type { RolloutState } from '../../lib/domain/state.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';
import { DuplicatingQueue, LateShufflingQueue } from '../support/faulty-queue.js';
import { expectConsistent, isTerminalPhase, settleWithinOneSweeperPeriod, startShortRollout, TIME_FACTOR } from './fault-helpers.js';

/**
 * SQS at its worst: every message three times, or late and out of order with stale copies arriving
 * after the rollout has moved on. The tick protocol (seq + conditional save) must turn every extra
 * or misplaced delivery into a no-op: each decision once, the cluster walking 50 → 100 → 0.
 */
const ROLLOUTS = 6;

async function expectWalkedOnce(engine: EngineHarness, states: RolloutState[]): Promise<void> {
  for (const state of states) {
    expect(state.phase).toBe('Completed');
    await expectConsistent(engine, state, `${state.spec.targetDeployment}:v1`);
    expect(engine.cluster.weightHistory.get(`${state.spec.namespace}/${state.spec.targetDeployment}`)).toEqual([50, 100, 0]);
    const types = (await engine.deps.audit.events(state.id)).map((e) => e.type);
    expect(types.filter((t) => t === 'StepAdvanced')).toHaveLength(2);
    expect(types.filter((t) => t === 'PromotionStarted')).toHaveLength(1);
  }
}

describe('message delivery faults', () => {
  let engine: EngineHarness | undefined;
  afterEach(async () => { await engine?.stop(); engine = undefined; });

  it('every message delivered 3 times: each decision is taken once', async () => {
    engine = await startEngineHarness({ timeFactor: TIME_FACTOR, wrapQueue: (queue) => new DuplicatingQueue(queue, 3) });
    await engine.startPollers();
    const started = await Promise.all(Array.from({ length: ROLLOUTS }, (_, i) => startShortRollout(engine!, `triple-${i}`)));
    const h = engine;
    await waitUntil('all rollouts to finish', async () => (await Promise.all(started.map((s) => h.store.get(s.id)))).every((s) => s && isTerminalPhase(s)), 90_000);
    // The fault is permanent here; settling also proves nothing is left for the sweeper to find.
    const states = await settleWithinOneSweeperPeriod(engine, started.map((s) => s.id));
    await expectWalkedOnce(engine, states);
    // Every send really was tripled: the start and each saved, non-final tick scheduled one, so a rollout
    // that ended at tickSeq n scheduled at least n ticks (how many depends on timing, e.g. whether the
    // canary was already available at the first tick), and each reached the queue three times.
    for (const state of states) {
      const sends = engine.queue.sent.filter((s) => s.message.rolloutId === state.id).length;
      expect(sends % 3).toBe(0);
      expect(sends).toBeGreaterThanOrEqual(3 * state.tickSeq);
      expect(state.tickSeq).toBeGreaterThanOrEqual(4);
    }
  });

  it('messages delivered late and out of order, with stale copies arriving last', async () => {
    let late: LateShufflingQueue | undefined;
    engine = await startEngineHarness({
      timeFactor: TIME_FACTOR,
      wrapQueue: (queue) => (late = new LateShufflingQueue(queue, { maxLateMs: 2_500, staleCopyShare: 0.5, seed: 42 })),
    });
    await engine.startPollers();
    const started = await Promise.all(Array.from({ length: ROLLOUTS }, (_, i) => startShortRollout(engine!, `late-${i}`)));
    const h = engine;
    // Let the fault act for most of the rollouts' lives before it clears.
    await waitUntil('some rollouts past their first step', async () => {
      const states = await Promise.all(started.map((s) => h.store.get(s.id)));
      return states.filter((s) => s && s.stepIndex >= 1).length >= ROLLOUTS / 2;
    }, 90_000);
    expect(late!.lateCopies).toBeGreaterThan(0);
    await late!.clear();
    const states = await settleWithinOneSweeperPeriod(engine, started.map((s) => s.id));
    await expectWalkedOnce(engine, states);
    expect(engine.tickFailures).toEqual([]);
  });
});
