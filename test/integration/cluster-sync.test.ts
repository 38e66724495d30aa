import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolloutIdFor, syncAdmitted, syncAllClusters, syncCluster, syncObject } from '../../lib/app/sync-objects.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';
import { FakeCanaryObjects } from '../support/fake-canary-objects.js';
import { FakeCluster, fakeRegistry } from '../support/fake-cluster.js';
import { documentWith } from '../support/fixtures.js';

/**
 * The declarative door on the real handlers, DynamoDB Local and SQS: CanaryDeployment objects (an
 * in-memory stand-in for the apiserver's LIST) start, change and stop rollouts through the cluster sync.
 * The same flow against a real apiserver and kubectl is in test/integration/engine-on-kubernetes/.
 */
let engine: EngineHarness;
const cluster = new FakeCluster();
const objects = { default: new FakeCanaryObjects('default'), other: new FakeCanaryObjects('other') };
const objectsOf = (name: string) => objects[name as keyof typeof objects];

const doc = (name: string, spec: Record<string, unknown> = {}) => documentWith({
  targetDeployment: name, canaryVersion: `${name}:v2`, strategy: { type: 'Linear', steps: [{ weight: 50, pause: '30s' }, { weight: 100 }] },
  analysis: { interval: '5s' }, scaleDownDelay: '5s', ...spec,
}, { name, namespace: 'apps' }) as never;
const state = (id: string) => engine.store.get(id);
const terminal = (id: string) => async (): Promise<RolloutState | undefined> => {
  const s = await state(id);
  return s && (s.phase === 'Completed' || s.phase === 'Failed') ? s : undefined;
};
const activeFor = async (target: string) =>
  (await engine.store.listOverdue(new Date('9999-12-31T00:00:00Z'), 1000)).filter((s) => s.spec.targetDeployment === target && s.phase !== 'Completed' && s.phase !== 'Failed');

describe('cluster sync: CanaryDeployment objects drive rollouts', () => {
  beforeAll(async () => {
    engine = await startEngineHarness({ timeFactor: 20, clusters: fakeRegistry(cluster, ['default', 'other']) });
    engine.deps.canaryObjects = objectsOf;
    await engine.startPollers();
  }, 120_000);
  afterAll(async () => engine?.stop());

  it('a new object starts one rollout, with an id that only its generation can have; passes after that change nothing', async () => {
    const object = objects.default.apply(doc('alpha'));
    const first = await syncCluster(engine.deps, objects.default, 'default');
    const second = await syncCluster(engine.deps, objects.default, 'default');

    expect(first.started).toEqual(['apps/alpha']);
    expect(second.started).toEqual([]);
    const id = rolloutIdFor('default', object.uid, 1);
    expect(await state(id)).toMatchObject({ source: { uid: object.uid, generation: 1 }, spec: { cluster: 'default', namespace: 'apps' } });
    expect((await waitUntil('alpha done', terminal(id), 90_000)).phase).toBe('Completed');
  });

  it('push and sync racing (webhook, two passes, a redelivered push) start exactly one rollout', async () => {
    const object = objects.default.apply(doc('race'));
    const reports = await Promise.all([
      syncAdmitted(engine.deps, objects.default, { object }),
      syncCluster(engine.deps, objects.default, 'default'),
      syncCluster(engine.deps, objects.default, 'default'),
      syncAdmitted(engine.deps, objects.default, { object }),
      syncObject(engine.deps, objects.default, 'default', 'apps', 'race'),
    ]);

    expect(reports.flatMap((r) => r.started)).toEqual(['apps/race']);
    expect((await activeFor('race')).map((s) => s.id)).toEqual([rolloutIdFor('default', object.uid, 1)]);
  });

  it('a new generation mid-rollout ends the old rollout first, then the new one starts; one active at a time', async () => {
    const first = objects.default.apply(doc('beta', { strategy: { type: 'Linear', steps: [{ weight: 50, pause: '1h' }, { weight: 100 }] } }));
    await syncCluster(engine.deps, objects.default, 'default');
    const oldId = rolloutIdFor('default', first.uid, 1);
    await waitUntil('beta at 50 %', async () => (await state(oldId))?.canaryWeight === 50, 60_000);
    let mostActive = 0;
    const watching = setInterval(() => { void activeFor('beta').then((a) => { mostActive = Math.max(mostActive, a.length); }); }, 100);

    const second = objects.default.apply(doc('beta', { canaryVersion: 'beta:v3' }));
    const report = await syncCluster(engine.deps, objects.default, 'default');
    const newId = rolloutIdFor('default', second.uid, 2);
    const old = await waitUntil('old beta ended', terminal(oldId), 60_000);
    const next = await waitUntil('new beta done', terminal(newId), 120_000);
    clearInterval(watching);

    expect(report.ended).toEqual([oldId]);
    expect(report.waiting).toEqual(['apps/beta']);
    expect(old).toMatchObject({ phase: 'Failed', failure: { reason: 'Aborted' } });
    expect(next).toMatchObject({ phase: 'Completed', spec: { canaryImage: 'beta:v3' } });
    expect(mostActive).toBe(1);
    const aborted = (await engine.deps.audit.events(oldId)).find((e) => e.type === 'Aborted');
    expect(aborted?.data?.comment).toMatch(/generation 2 replaces 1/);
    const started = (await engine.deps.audit.events(newId)).find((e) => e.type === 'RolloutStarted');
    expect(started?.data?.source).toMatchObject({ generation: 2 });
  });

  it('deleting the object aborts its rollout: traffic back to stable, canary gone', async () => {
    const object = objects.default.apply(doc('gamma', { strategy: { type: 'Linear', steps: [{ weight: 50, pause: '1h' }, { weight: 100 }] } }));
    await syncCluster(engine.deps, objects.default, 'default');
    const id = rolloutIdFor('default', object.uid, 1);
    await waitUntil('gamma at 50 %', async () => (await state(id))?.canaryWeight === 50, 60_000);

    objects.default.remove('apps', 'gamma');
    const report = await syncCluster(engine.deps, objects.default, 'default');
    const done = await waitUntil('gamma ended', terminal(id), 60_000);

    expect(report.ended).toEqual([id]);
    expect(done).toMatchObject({ phase: 'Failed', failure: { reason: 'Aborted' } });
    expect(cluster.workload(done.spec)).toMatchObject({ weight: 0 });
    expect(cluster.workload(done.spec).canary).toBeUndefined();
  });

  it('an invalid object starts nothing; its status says InvalidSpec with the field paths, one Event per generation', async () => {
    objects.default.apply(doc('delta', { strategy: { type: 'Linear', steps: [{ weight: 60 }, { weight: 30 }] } }));
    const first = await syncCluster(engine.deps, objects.default, 'default');
    await syncCluster(engine.deps, objects.default, 'default');

    expect(first.invalid).toEqual(['apps/delta']);
    expect(await activeFor('delta')).toEqual([]);
    const status = objects.default.statuses.get('apps/delta');
    expect(status?.conditions.find((c) => c.type === 'Failed')).toMatchObject({ status: 'True', reason: 'InvalidSpec' });
    expect(status?.message).toMatch(/spec\.strategy\.steps\[1\]\.weight/);
    expect(objects.default.events.filter((e) => e.name === 'delta' && e.reason === 'InvalidSpec')).toHaveLength(1);
  });

  it('an object the engine created for an HTTP rollout is adopted, never started twice', async () => {
    await objects.default.create(doc('epsilon'), 'ro_from_http');
    const report = await syncCluster(engine.deps, objects.default, 'default');

    expect(report.started).toEqual([]);
    expect(await activeFor('epsilon')).toEqual([]);
  });

  it('one cluster that cannot be listed does not stop another cluster\'s rollout', async () => {
    objects.default.failList = new Error('apiserver unreachable: connect ECONNREFUSED');
    const object = objects.other.apply(doc('zeta'));
    const reports = await syncAllClusters(engine.deps);
    objects.default.failList = undefined;

    expect(reports.find((r) => r.cluster === 'default')?.error).toMatch(/ECONNREFUSED/);
    expect(reports.find((r) => r.cluster === 'other')?.started).toEqual(['apps/zeta']);
    expect(await state(rolloutIdFor('other', object.uid, 1))).toBeDefined();
  });
});
