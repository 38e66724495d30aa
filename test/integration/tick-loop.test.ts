import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actOnRollout } from '../../lib/app/act-on-rollout.js';
import { ConflictError } from '../../lib/app/errors.js';
import { startRollout } from '../../lib/app/start-rollout.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { documentWith, exampleDocument } from '../support/fixtures.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';

const api = { id: 'tester', via: 'api' } as const;

describe('tick loop on DynamoDB Local and local-aws-sqs', () => {
  let engine: EngineHarness;

  beforeAll(async () => {
    // 1 real second = 2 simulated minutes: myapp's 5m + 10m pauses take about 8 s.
    engine = await startEngineHarness({ timeFactor: 120 });
    await engine.startPollers();
  });
  afterAll(async () => engine?.stop());

  const finished = (id: string) => async (): Promise<RolloutState | undefined> => {
    const state = await engine.store.get(id);
    return state && (state.phase === 'Completed' || state.phase === 'Failed') ? state : undefined;
  };

  it('walks examples/myapp.yaml through every step to Completed', async () => {
    const started = await startRollout(engine.deps, { document: exampleDocument('myapp'), actor: api });
    const done = await waitUntil('myapp to finish', finished(started.id), 90_000);
    expect(done.phase).toBe('Completed');
    expect(engine.cluster.weightHistory.get('production/myapp')).toEqual([10, 50, 100, 0]);
    const workload = engine.cluster.workloads.get('production/myapp');
    expect(workload?.stableImage).toBe('myapp:v2.0.0');
    expect(workload?.canary).toBeUndefined();
    const events = await engine.deps.audit.events(started.id);
    const steps = events.filter((e) => e.type === 'StepAdvanced').map((e) => e.data?.weight);
    expect(steps).toEqual([10, 50, 100]);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['RolloutStarted', 'CanaryReady', 'Analysis', 'PromotionStarted', 'Completed']));
    expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1));
  });

  it('rolls back a canary that is worse than stable, with the p-values in the audit', async () => {
    const doc = documentWith({ targetDeployment: 'judged', metrics: { errorRate: { threshold: 5 } }, analysis: { compareWithStable: { confidence: 0.95 } } }, { name: 'judged' });
    engine.metrics.setComparison('judged', {
      canary: { requests: 2000, errors: 60, latencySeries: [40, 41, 42, 40, 43, 41] },
      stable: { requests: 2000, errors: 2, latencySeries: [40, 42, 41, 43, 40, 42] },
    });
    const started = await startRollout(engine.deps, { document: doc, actor: api });
    const done = await waitUntil('judged to be rolled back', finished(started.id), 60_000);
    expect(done.failure?.reason).toBe('MetricsFailed');
    expect(done.failure?.message).toMatch(/worse than stable: canary error rate 3% vs stable 0.1%/);
    const analysis = (await engine.deps.audit.events(started.id)).find((e) => e.type === 'Analysis' && e.data?.verdict === 'fail');
    expect(analysis?.data?.comparison).toMatchObject({ verdict: 'worse', errorRate: { significant: true } });
    expect((analysis?.data?.comparison as { errorRate: { pValue: number } }).errorRate.pValue).toBeLessThan(0.001);
  });

  it('holds the target: a second rollout of it is refused naming the active one', async () => {
    const doc = documentWith({ targetDeployment: 'held' }, { name: 'held' });
    const first = await startRollout(engine.deps, { document: doc, actor: api });
    await expect(startRollout(engine.deps, { document: doc, actor: api })).rejects.toMatchObject({ status: 409, activeRolloutId: first.id });
    await actOnRollout(engine.deps, first.id, { kind: 'abort', actor: api });
    await waitUntil('held to be rolled back', finished(first.id));
    const again = await startRollout(engine.deps, { document: doc, actor: api });
    expect(again.id).not.toBe(first.id);
  });

  it('two concurrent aborts give one transition; the other caller is told why', async () => {
    const doc = documentWith({ targetDeployment: 'racer' }, { name: 'racer' });
    const started = await startRollout(engine.deps, { document: doc, actor: api });
    const results = await Promise.allSettled([
      actOnRollout(engine.deps, started.id, { kind: 'abort', actor: { id: 'alice', via: 'api' } }),
      actOnRollout(engine.deps, started.id, { kind: 'abort', actor: { id: 'bob', via: 'slack' } }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.reason).toBeInstanceOf(ConflictError);
    expect(String(lost[0]?.reason.message)).toMatch(/Aborted: aborted by (alice|bob)/);
    const done = await waitUntil('racer to be rolled back', finished(started.id));
    expect(done.failure?.reason).toBe('Aborted');
    const aborts = (await engine.deps.audit.events(started.id)).filter((e) => e.type === 'Aborted');
    expect(aborts).toHaveLength(1);
  });
});
