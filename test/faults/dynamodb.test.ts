import { afterEach, describe, expect, inject, it } from 'vitest';
import { DependencyError } from '../../lib/app/errors.js';
import type { TickMessage } from '../../lib/ports/tick-queue.js';
import { sweepOverdue } from '../../lib/app/sweep-overdue.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { sqsEvent, startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';
import { throttledDynamoDb } from '../support/faulty-dynamodb.js';
import { expectAuditIntact, expectConsistent, settleWithinOneSweeperPeriod, startShortRollout, TIME_FACTOR } from './fault-helpers.js';

/**
 * DynamoDB misbehaving under the engine: throttling (the SDK's own exceptions, thrown inside a real
 * client's middleware stack) and conditional-check races, where two workers run the same tick, or the
 * sweeper re-enqueues a tick while the original is being handled.
 */
describe('DynamoDB faults', () => {
  let engine: EngineHarness | undefined;
  afterEach(async () => { await engine?.stop(); engine = undefined; });

  it('throttling is a transient DependencyError; ticks are put back, never dead-lettered, and every rollout completes once it clears', async () => {
    // The redelivery budget stays small (3 receives of a 2 s visibility timeout): an outage longer than
    // that would dead-letter failing ticks, and the dead-letter consumer would roll healthy canaries back.
    const deferred: TickMessage[] = [];
    engine = await startEngineHarness({
      timeFactor: TIME_FACTOR, maxReceiveCount: 3,
      wrapQueue: (queue) => ({ schedule: async (message, delay) => { if (message.deferrals) deferred.push(message); await queue.schedule(message, delay); } }),
    });
    const dynamo = throttledDynamoDb(inject('aws').dynamodbEndpoint, engine.resources.tableName);
    engine.deps.store = dynamo.store;
    engine.deps.audit = dynamo.store;
    await engine.startPollers();
    const started = await Promise.all(Array.from({ length: 4 }, (_, i) => startShortRollout(engine!, `throttled-${i}`)));
    dynamo.throttle(1);
    // What the adapter makes of a throttled call: typed, transient, the SDK error kept as the cause.
    const probes = await Promise.allSettled(Array.from({ length: 5 }, () => dynamo.store.get(started[0]!.id)));
    for (const probe of probes) {
      expect(probe.status).toBe('rejected');
      const error = (probe as PromiseRejectedResult).reason as Error;
      expect(error).toBeInstanceOf(DependencyError);
      expect(error).toMatchObject({ transient: true, dependency: 'dynamodb' });
      expect(error.cause).toMatchObject({ name: 'ProvisionedThroughputExceededException' });
    }
    const h = engine;
    // Every rollout's tick is put back at least twice: longer than its redelivery budget would have lasted.
    await waitUntil('each rollout deferred twice', async () => started.every((s) => deferred.filter((m) => m.rolloutId === s.id && (m.deferrals ?? 0) >= 2).length > 0), 60_000);
    // The sweeper runs into the throttling too; that must be a failed run, not a crash or a wrong answer.
    await engine.sweep().catch((error: unknown) => expect(error).toBeInstanceOf(DependencyError));
    dynamo.throttle(0);
    expect(h.tickFailures).toEqual([]);
    const states = await settleWithinOneSweeperPeriod(engine, started.map((s) => s.id));
    for (const state of states) {
      expect(state.phase).toBe('Completed');
      await expectConsistent(engine, state, `${state.spec.targetDeployment}:v1`);
    }
  });

  it('two workers handling the same tick at once: one decision, and the rollout keeps moving', async () => {
    engine = await startEngineHarness({ timeFactor: TIME_FACTOR });
    const h = engine;
    const races = 12;
    const started = await Promise.all(Array.from({ length: races }, (_, i) => startShortRollout(h, `race-${i}`)));
    // Race each rollout's current tick against itself, tick after tick, until it ends.
    let raced = 0;
    const outcomes = await Promise.all(started.map(async (rollout) => {
      for (let round = 0; round < 12; round++) {
        const state = (await h.store.get(rollout.id))!;
        if (state.phase === 'Completed' || state.phase === 'Failed') return state;
        const message = { rolloutId: state.id, seq: state.tickSeq, wakeAt: state.nextTickAt! };
        const sent = h.queue.sent.length;
        await waitUntil('the tick to be due', async () => h.deps.clock.now().getTime() >= Date.parse(state.nextTickAt!) - 500, 10_000, 20);
        const [a, b] = await Promise.all([h.deliverTick(sqsEvent(message)), h.deliverTick(sqsEvent(message))]);
        raced++;
        expect([a, b]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
        const after = (await h.store.get(rollout.id))!;
        // Exactly one of the two recorded its decision and scheduled the next tick.
        expect(after.version).toBe(state.version + 1);
        expect(h.queue.sent.slice(sent).filter((s) => s.message.rolloutId === rollout.id && s.message.seq === after.tickSeq).length).toBeLessThanOrEqual(1);
      }
      throw new Error(`${rollout.id} did not finish in 12 raced ticks`);
    }));
    // Five ticks each, or four when a worker of seq 0 observed the canary its twin had just created and won.
    expect(raced).toBeGreaterThanOrEqual(races * 4);
    for (const state of outcomes as RolloutState[]) {
      expect(state.phase).toBe('Completed');
      await expectConsistent(h, state, `${state.spec.targetDeployment}:v1`);
    }
  });

  it('the sweeper and a tick racing: the re-enqueued duplicate is dropped, the audit trail stays whole', async () => {
    engine = await startEngineHarness({ timeFactor: TIME_FACTOR });
    const h = engine;
    await h.startPollers();
    const started = await Promise.all(Array.from({ length: 6 }, (_, i) => startShortRollout(h, `swept-${i}`)));
    // A sweeper that believes every rollout is overdue (its clock far ahead) runs over and over while
    // the ticks are in flight, so each of its re-enqueued messages races a real one.
    const sweeping = { on: true };
    const ahead = { now: () => new Date(h.deps.clock.now().getTime() + 10 * 60_000) };
    const sweeper = (async () => {
      let runs = 0;
      while (sweeping.on) {
        // The sweeper's use case with only its own "now" ahead; the ticks keep the engine clock.
        await sweepOverdue({ ...h.deps, clock: ahead });
        runs++;
        await new Promise((r) => setTimeout(r, 150));
      }
      return runs;
    })();
    await waitUntil('all rollouts to finish', async () => (await Promise.all(started.map((s) => h.store.get(s.id)))).every((s) => s?.phase === 'Completed'), 90_000);
    sweeping.on = false;
    expect(await sweeper).toBeGreaterThan(5);
    const requeued = h.queue.sent.filter((s) => started.some((r) => r.id === s.message.rolloutId)).length;
    expect(requeued).toBeGreaterThan(started.length * 5);
    const states = await settleWithinOneSweeperPeriod(h, started.map((s) => s.id));
    for (const state of states) {
      await expectConsistent(h, state, `${state.spec.targetDeployment}:v1`);
      await expectAuditIntact(h, state.id);
    }
    expect(h.tickFailures).toEqual([]);
  });
});
