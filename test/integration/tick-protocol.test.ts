import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRollout } from '../../lib/app/start-rollout.js';
import type { TickMessage } from '../../lib/ports/tick-queue.js';
import { documentWith } from '../support/fixtures.js';
import { sqsEvent, startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';

const api = { id: 'tester', via: 'api' } as const;

describe('tick protocol: duplicates, stale seq, lost ticks, poison messages', () => {
  let engine: EngineHarness;
  beforeAll(async () => { engine = await startEngineHarness({ timeFactor: 1 }); });
  afterAll(async () => engine?.stop());

  it('the same tick delivered twice yields one decision and one audit entry; a stale seq is dropped', async () => {
    const doc = documentWith({ targetDeployment: 'dup', strategy: { type: 'Linear', steps: [{ weight: 20, pause: '1h' }, { weight: 100 }] } }, { name: 'dup' });
    const started = await startRollout(engine.deps, { document: doc, actor: api });
    await engine.cluster.ensureCanary({ id: started.id, spec: started.spec }, 2); // the canary is ready: tick 0 will apply step 1
    const tick0: TickMessage = { rolloutId: started.id, seq: 0, wakeAt: started.nextTickAt! };
    const before = await engine.deps.audit.events(started.id);
    await engine.deliverTick(sqsEvent(tick0, tick0));
    const after = await engine.store.get(started.id);
    const events = await engine.deps.audit.events(started.id);
    expect(after).toMatchObject({ phase: 'Progressing', canaryWeight: 20, tickSeq: 1, version: 2 });
    expect(events.slice(before.length).map((e) => e.type)).toEqual(['CanaryReady', 'StepAdvanced']);

    const response = await engine.deliverTick(sqsEvent(tick0));
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await engine.store.get(started.id)).toMatchObject({ tickSeq: 1, version: 2 });
    expect(await engine.deps.audit.events(started.id)).toHaveLength(events.length);
  });

  it('a delay beyond 900 s is a chain of wake-ups that changes nothing', async () => {
    const doc = documentWith({ targetDeployment: 'longwait', strategy: { type: 'Linear', steps: [{ weight: 20, pause: '1h' }, { weight: 100 }] } }, { name: 'longwait' });
    const started = await startRollout(engine.deps, { document: doc, actor: api });
    await engine.cluster.ensureCanary({ id: started.id, spec: started.spec }, 2);
    await engine.deliverTick(sqsEvent({ rolloutId: started.id, seq: 0, wakeAt: started.nextTickAt! }));
    const waiting = await engine.store.get(started.id);
    const sent = engine.queue.sent.filter((s) => s.message.rolloutId === started.id).at(-1);
    expect(sent?.delaySeconds).toBeGreaterThan(0);
    // Deliver the next tick long before its due time: it must re-enqueue itself, not decide.
    engine.queue.sent.length = 0;
    await engine.deliverTick(sqsEvent({ rolloutId: started.id, seq: waiting!.tickSeq, wakeAt: waiting!.nextTickAt! }));
    expect(await engine.store.get(started.id)).toMatchObject({ version: waiting!.version });
    expect(engine.queue.sent).toHaveLength(1);
    expect(engine.queue.sent[0]?.delaySeconds).toBeLessThanOrEqual(900);
  });

  // Crashes at every side-effect boundary (between save and enqueue included) are in test/faults/crash-points.test.ts.
  it('a poison tick in the DLQ rolls its rollout back with reason PoisonMessage', async () => {
    await engine.startPollers();
    const doc = documentWith({ targetDeployment: 'poison' }, { name: 'poison' });
    const started = await startRollout(engine.deps, { document: doc, actor: api });
    const realObserve = engine.cluster.observe.bind(engine.cluster);
    engine.cluster.observe = async (rollout) => {
      if (rollout.spec.targetDeployment === 'poison') throw new Error('apiserver exploded');
      return realObserve(rollout);
    };
    const done = await waitUntil('poison rollout to end', async () => {
      const s = await engine.store.get(started.id);
      return s?.phase === 'Failed' || s?.phase === 'RollingBack' ? s : undefined;
    }, 60_000);
    expect(done.failure?.reason).toBe('PoisonMessage');
  });
});
