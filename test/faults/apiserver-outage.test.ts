import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actOnRollout } from '../../lib/app/act-on-rollout.js';
import type { TickMessage } from '../../lib/ports/tick-queue.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';
import { expectAuditIntact, expectConsistent, settleWithinOneSweeperPeriod, startShortRollout, TIME_FACTOR } from './fault-helpers.js';

/**
 * An apiserver outage longer than SQS's redelivery budget (3 receives of a 2 s visibility timeout). Failing
 * every receive would dead-letter the ticks, and the dead-letter consumer would roll the rollouts back as
 * PoisonMessage mid-flight: a half rollback caused by the network. Ticks are deferred instead, and every
 * rollout, including one that was rolling back, finishes once the apiserver is back.
 */
describe('an apiserver outage longer than the redelivery budget', () => {
  let engine: EngineHarness;
  const deferred: TickMessage[] = [];

  beforeAll(async () => {
    engine = await startEngineHarness({
      timeFactor: TIME_FACTOR, maxReceiveCount: 3,
      wrapQueue: (queue) => ({ schedule: async (message, delay) => { if (message.deferrals) deferred.push(message); await queue.schedule(message, delay); } }),
    });
    await engine.startPollers();
  });
  afterAll(async () => engine?.stop());

  it('defers ticks instead of dead-lettering them; rollouts and rollbacks finish once it is back', async () => {
    // Prepare: one rollout under way, one rolling back, when the apiserver goes away.
    const healthy = await startShortRollout(engine, 'outage-healthy', { strategy: { type: 'Linear', steps: [{ weight: 50, pause: '30s' }, { weight: 100, pause: '0s' }] } });
    const aborted = await startShortRollout(engine, 'outage-aborted', { strategy: { type: 'Linear', steps: [{ weight: 50, pause: '1h' }, { weight: 100, pause: '0s' }] } });
    await waitUntil('both at 50 %', async () => (await engine.store.get(healthy.id))?.canaryWeight === 50 && (await engine.store.get(aborted.id))?.canaryWeight === 50, 60_000);

    // Act: the apiserver is unreachable for 20 s, over three times the redelivery budget; one rollout is
    // aborted meanwhile, so its rollback meets the outage.
    engine.cluster.unreachable = true;
    await actOnRollout(engine.deps, aborted.id, { kind: 'abort', actor: { id: 'tester', via: 'api' } });
    await new Promise((r) => setTimeout(r, 20_000));
    engine.cluster.unreachable = false;
    const states = await settleWithinOneSweeperPeriod(engine, [healthy.id, aborted.id]);

    // Assess
    expect(deferred.length).toBeGreaterThan(0);
    expect(states.map((s) => s.failure?.reason ?? s.phase)).not.toContain('PoisonMessage');
    expect(states[0]).toMatchObject({ phase: 'Completed' });
    expect(states[1]).toMatchObject({ phase: 'Failed', failure: { reason: 'Aborted' } });
    for (const s of states) {
      await expectConsistent(engine, s, `${s.spec.targetDeployment}:v1`);
      await expectAuditIntact(engine, s.id);
    }
  });
});
