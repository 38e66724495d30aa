import { AppsV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusters, type LocalClusters } from '../../../infra/local/kubernetes/launcher.js';
import { createClusterRegistry } from '../../../lib/adapters/kubernetes/registry.js';
import { actOnRollout } from '../../../lib/app/act-on-rollout.js';
import { startRollout } from '../../../lib/app/start-rollout.js';
import type { RolloutState } from '../../../lib/domain/state.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../../support/engine-harness.js';
import { documentWith } from '../../support/fixtures.js';

/**
 * Every way out of a rollout, on the local control plane with the engine's least-privileged token,
 * against workloads shaped as users write them: a Deployment labelled only `app: <name>`, a Service
 * selecting `app`, a VirtualService that also routes another service. Each outcome is checked by
 * reading the cluster back (images, Deployments, routes), never by trusting what the engine wrote.
 */
const api = { id: 'tester', via: 'api' } as const;
const TIME_FACTOR = 10;
let local: LocalClusters;
let engine: EngineHarness;
let kc: KubeConfig;

const apps = () => kc.makeApiClient(AppsV1Api);
const custom = () => kc.makeApiClient(CustomObjectsApi);
const finished = (id: string) => async (): Promise<RolloutState | undefined> => {
  const s = await engine.store.get(id);
  return s && (s.phase === 'Completed' || s.phase === 'Failed') ? s : undefined;
};
const phaseIs = (id: string, phase: RolloutState['phase']) => async () => (await engine.store.get(id))?.phase === phase;
const image = async (ns: string, name: string) => (await apps().readNamespacedDeployment({ name, namespace: ns })).spec?.template.spec?.containers[0]?.image;
const exists = async (ns: string, name: string) => apps().readNamespacedDeployment({ name, namespace: ns }).then(() => true, (e: { code?: number }) => (e.code === 404 ? false : Promise.reject(e)));
const virtualService = async (ns: string, name: string) =>
  (await custom().getNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1beta1', namespace: ns, plural: 'virtualservices', name })) as { spec: { http: Array<Record<string, unknown>> } };

/** The user's shape: no `version` label anywhere, a VirtualService that also routes another service. */
async function seedUserApp(ns: string, app: string, opts: { progressDeadlineSeconds?: number } = {}): Promise<void> {
  const labels = { app };
  const objects: KubernetesObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: app, namespace: ns, labels }, spec: {
      replicas: 2, selector: { matchLabels: labels }, ...(opts.progressDeadlineSeconds ? { progressDeadlineSeconds: opts.progressDeadlineSeconds } : {}),
      template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: `${app}:v1`, ports: [{ containerPort: 8080 }] }] } },
    } } as KubernetesObject,
    { apiVersion: 'v1', kind: 'Service', metadata: { name: app, namespace: ns }, spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] } } as KubernetesObject,
    { apiVersion: 'networking.istio.io/v1beta1', kind: 'VirtualService', metadata: { name: app, namespace: ns }, spec: {
      hosts: [app, 'other.example.com'],
      http: [
        { name: 'reviews', match: [{ uri: { prefix: '/reviews' } }], route: [{ destination: { host: 'reviews', port: { number: 9080 } } }], timeout: '3s' },
        { route: [{ destination: { host: `${app}.${ns}.svc.cluster.local` } }] },
      ],
    } } as KubernetesObject,
  ];
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const o of objects) await client.create(o).catch((e: { code?: number }) => (e.code === 409 ? undefined : Promise.reject(e)));
  await waitUntil(`${ns}/${app} available`, async () => {
    const d = await apps().readNamespacedDeployment({ name: app, namespace: ns });
    return (d.status?.availableReplicas ?? 0) >= 2 && (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1);
  }, 120_000, 250);
}

const doc = (ns: string, app: string, spec: Record<string, unknown> = {}) => documentWith({
  cluster: 'local', targetDeployment: app, canaryVersion: `${app}:v2`,
  strategy: { type: 'Linear', steps: [{ weight: 20, pause: '30s' }, { weight: 100 }] },
  analysis: { interval: '10s' }, scaleDownDelay: '30s', progressDeadline: '10m', ...spec,
}, { name: app, namespace: ns });

describe('every way out leaves the cluster as it was (local control plane, real adapter)', () => {
  beforeAll(async () => {
    local = await startClusters({ names: ['local'] });
    kc = new KubeConfig();
    kc.loadFromFile(local.clusters[0]!.kubeconfigPath);
    const clusters = createClusterRegistry([{ name: 'local', kubeconfig: { path: local.clusters[0]!.engineKubeconfigPath } }]);
    engine = await startEngineHarness({ timeFactor: TIME_FACTOR, clusters });
    await engine.startPollers();
  }, 600_000);

  afterAll(async () => {
    await engine?.stop();
    await local?.stop();
  });

  it('completes touching only the target route, and deletes the canary only after the drain', async () => {
    await seedUserApp('drain', 'web');
    const before = await virtualService('drain', 'web');
    const started = await startRollout(engine.deps, { document: doc('drain', 'web'), actor: api });
    let trafficOffSeenAt = 0;
    let canaryGoneAt = 0;
    const watch = waitUntil('canary deleted', async () => {
      const vs = await virtualService('drain', 'web');
      expect(vs.spec.http[0]).toEqual(before.spec.http[0]); // another service's route, byte for byte
      const state = await engine.store.get(started.id);
      const canaryWeight = (vs.spec.http[1]?.route as Array<{ destination: { subset?: string }; weight?: number }> | undefined)?.find((d) => d.destination.subset === 'canary')?.weight ?? 0;
      if (!trafficOffSeenAt && state?.phase === 'Promoting' && canaryWeight === 0 && await image('drain', 'web') === 'web:v2') trafficOffSeenAt = Date.now();
      if (trafficOffSeenAt && !(await exists('drain', 'web-canary'))) canaryGoneAt = Date.now();
      return canaryGoneAt > 0;
    }, 180_000, 100);
    await watch;
    const done = await waitUntil('web to finish', finished(started.id), 60_000);

    expect(done.phase).toBe('Completed');
    expect(await image('drain', 'web')).toBe('web:v2');
    // 30 s of drain at 10x is 3 s of real time; allow for the poll interval.
    expect(canaryGoneAt - trafficOffSeenAt).toBeGreaterThanOrEqual(2_500);
    const after = await virtualService('drain', 'web');
    expect(after.spec.http[0]).toEqual(before.spec.http[0]);
  });

  it('an abort mid-promotion restores the previous image before it says stable', async () => {
    await seedUserApp('abortpromo', 'shop');
    // The new image runs as a canary but never becomes Ready as the target: promotion hangs.
    const started = await startRollout(engine.deps, { document: doc('abortpromo', 'shop', { canaryVersion: 'shop:v2-stablecrash' }), actor: api });
    await waitUntil('promoting', async () => (await phaseIs(started.id, 'Promoting')()) && (await image('abortpromo', 'shop')) === 'shop:v2-stablecrash', 120_000);
    await actOnRollout(engine.deps, started.id, { kind: 'abort', actor: api });
    const done = await waitUntil('shop to finish', finished(started.id), 120_000);

    expect(done.phase).toBe('Failed');
    expect(done.failure?.reason).toBe('Aborted');
    expect(await image('abortpromo', 'shop')).toBe('shop:v1');
    expect(await exists('abortpromo', 'shop-canary')).toBe(false);
    const events = await engine.store.events(started.id);
    expect(events.find((e) => e.type === 'RolledBack')?.data).toMatchObject({ restoredImage: 'shop:v1' });
  });

  it('a target that cannot finish its own rollout gives PromotionFailed naming the condition, and releases the lock', async () => {
    await seedUserApp('stuck', 'cart', { progressDeadlineSeconds: 2 });
    const started = await startRollout(engine.deps, { document: doc('stuck', 'cart', { canaryVersion: 'cart:v2-stablecrash' }), actor: api });
    const done = await waitUntil('cart to finish', finished(started.id), 180_000);

    expect(done.failure?.reason).toBe('PromotionFailed');
    expect(done.failure?.message).toMatch(/ProgressDeadlineExceeded/);
    expect(await image('stuck', 'cart')).toBe('cart:v1');
    expect(await exists('stuck', 'cart-canary')).toBe(false);
    // The lock went with the terminal write: the same target can be rolled out again at once.
    const again = await startRollout(engine.deps, { document: doc('stuck', 'cart', { canaryVersion: 'cart:v3' }), actor: api });
    expect(again.id).not.toBe(started.id);
    await actOnRollout(engine.deps, again.id, { kind: 'abort', actor: api });
    await waitUntil('cart v3 to end', finished(again.id), 120_000);
  });

  it('a missing target ends Failed on the first tick, naming it, with the lock released', async () => {
    await seedUserApp('ghosts', 'real');
    const started = await startRollout(engine.deps, { document: doc('ghosts', 'ghost'), actor: api });
    const done = await waitUntil('ghost to finish', finished(started.id), 60_000);

    expect(done.phase).toBe('Failed');
    expect(done.failure?.reason).toBe('ClusterError');
    expect(done.failure?.message).toMatch(/Deployment ghosts\/ghost.* not found/);
    expect(done.tickSeq).toBe(1);
    const again = await startRollout(engine.deps, { document: doc('ghosts', 'ghost'), actor: api });
    await waitUntil('second ghost to finish', finished(again.id), 60_000);
  });

  it('a canary deleted by hand rolls back with CanaryDeleted', async () => {
    await seedUserApp('byhand', 'api');
    const started = await startRollout(engine.deps, { document: doc('byhand', 'api', { strategy: { type: 'Linear', steps: [{ weight: 20, pause: '1h' }, { weight: 100 }] } }), actor: api });
    await waitUntil('step 1', async () => (await engine.store.get(started.id))?.canaryWeight === 20, 120_000);
    await apps().deleteNamespacedDeployment({ name: 'api-canary', namespace: 'byhand' });
    const done = await waitUntil('api to finish', finished(started.id), 120_000);

    expect(done.failure?.reason).toBe('CanaryDeleted');
    expect(await image('byhand', 'api')).toBe('api:v1');
    const vs = await virtualService('byhand', 'api');
    expect(JSON.stringify(vs.spec.http)).not.toMatch(/"subset":"canary","weight":[1-9]/);
  });

  it('a -canary Deployment Codedance did not create is left alone, and the rollout says so', async () => {
    await seedUserApp('foreign', 'pay');
    const theirs = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'pay-canary', namespace: 'foreign' }, spec: {
      replicas: 1, selector: { matchLabels: { app: 'pay-experiment' } },
      template: { metadata: { labels: { app: 'pay-experiment' } }, spec: { containers: [{ name: 'web', image: 'pay:experiment' }] } },
    } } as KubernetesObject;
    await KubernetesObjectApi.makeApiClient(kc).create(theirs);
    const started = await startRollout(engine.deps, { document: doc('foreign', 'pay'), actor: api });
    const done = await waitUntil('pay to finish', finished(started.id), 60_000);

    expect(done.phase).toBe('Failed');
    expect(done.failure?.message).toMatch(/not created by Codedance/);
    expect(await image('foreign', 'pay-canary')).toBe('pay:experiment');
  });
});
