import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoApp } from '../../../infra/local/demo/seed.js';
import type { DemoProvider } from '../../../infra/local/demo/weights.js';
import { startClusters, type LocalClusters } from '../../../infra/local/kubernetes/launcher.js';
import { createClusterRegistry } from '../../../lib/adapters/kubernetes/registry.js';
import { startRollout } from '../../../lib/app/start-rollout.js';
import type { RolloutState } from '../../../lib/domain/state.js';
import { mirroredStatus } from '../../../lib/ports/status-mirror.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../../support/engine-harness.js';
import { documentWith, exampleDocument } from '../../support/fixtures.js';
import { recordCanaryWeights } from '../../support/traffic-recorder.js';

/**
 * The engine, with its least-privileged token, driving real Deployments and traffic objects on the
 * local control plane (kube-apiserver, controller-manager, scheduler, kwok). Metrics are the only fake.
 */
const api = { id: 'tester', via: 'api' } as const;
let local: LocalClusters;
let engine: EngineHarness;
let readonlyToken = '';

const cluster = (name: string) => local.clusters.find((c) => c.name === name)!;
const apps = (name: string) => { const kc = new KubeConfig(); kc.loadFromFile(cluster(name).kubeconfigPath); return kc.makeApiClient(AppsV1Api); };
const custom = (name: string) => { const kc = new KubeConfig(); kc.loadFromFile(cluster(name).kubeconfigPath); return kc.makeApiClient(CustomObjectsApi); };
const core = (name: string) => { const kc = new KubeConfig(); kc.loadFromFile(cluster(name).kubeconfigPath); return kc.makeApiClient(CoreV1Api); };

const finished = (id: string) => async (): Promise<RolloutState | undefined> => {
  const s = await engine.store.get(id);
  return s && (s.phase === 'Completed' || s.phase === 'Failed') ? s : undefined;
};

async function tokenWithoutCreate(): Promise<string> {
  // A second identity that may read (and narrow the stable subset) but not create Deployments, to prove RBAC refusals are reported.
  const kc = new KubeConfig();
  kc.loadFromFile(cluster('east').kubeconfigPath);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await core('east').createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'reader' } } });
  await rbac.createClusterRole({ body: { metadata: { name: 'reader' }, rules: [{ apiGroups: ['apps', ''], resources: ['deployments', 'replicasets', 'pods', 'services'], verbs: ['get', 'list', 'watch'] }, { apiGroups: ['networking.istio.io'], resources: ['virtualservices'], verbs: ['get', 'list'] }, { apiGroups: ['networking.istio.io'], resources: ['destinationrules'], verbs: ['get', 'list', 'create', 'update'] }] } });
  await rbac.createClusterRoleBinding({ body: { metadata: { name: 'reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'default' }] } });
  const issued = await core('east').createNamespacedServiceAccountToken({ name: 'reader', namespace: 'default', body: { spec: { expirationSeconds: 3600 } } });
  return issued.status?.token ?? '';
}

describe('the engine on a real Kubernetes control plane', () => {
  beforeAll(async () => {
    local = await startClusters({ names: ['east', 'west'] });
    readonlyToken = await tokenWithoutCreate();
    const engineCluster = (name: string) => ({ name, kubeconfig: { path: cluster(name).engineKubeconfigPath } });
    const clusters = createClusterRegistry([
      engineCluster('east'), engineCluster('west'),
      { name: 'east-reader', token: { server: cluster('east').server, caData: cluster('east').caData, token: readonlyToken } },
    ]);
    // 1 real second = 2 simulated minutes: myapp's 5m and 10m pauses take seconds.
    engine = await startEngineHarness({ timeFactor: 120, clusters });
    engine.deps.statusMirror = { mirror: (state) => clusters.mirrorStatus(state.spec, mirroredStatus(state)) };
    await engine.startPollers();
  }, 600_000);

  afterAll(async () => {
    await engine?.stop();
    await local?.stop();
  });

  it.each<[DemoProvider, string]>([['istio', 'myapp'], ['nginx', 'shop'], ['gatewayApi', 'cart']])('walks the %s weights 10 → 50 → 100 and promotes', async (provider, app) => {
    await seedDemoApp({ kubeconfigPath: cluster('east').kubeconfigPath, namespace: 'production', app, image: `${app}:v1`, provider, replicas: 2 });
    const recorder = recordCanaryWeights(cluster('east').kubeconfigPath, 'production', app, provider);
    const base = exampleDocument('myapp');
    const doc = provider === 'istio' ? documentWith({ cluster: 'east' }) : documentWith({ cluster: 'east', targetDeployment: app, canaryVersion: `${app}:v2.0.0`, trafficRouting: { provider } }, { name: app });
    // kubectl apply of the same document: the engine mirrors its progress into the object's status.
    await custom('east').createNamespacedCustomObject({ group: 'deploy.codedance.io', version: 'v1alpha1', namespace: 'production', plural: 'canarydeployments', body: { ...(doc as object), metadata: { name: provider === 'istio' ? 'myapp' : app, namespace: 'production' } } });
    void base;
    const started = await startRollout(engine.deps, { document: doc, actor: api });
    const sawReadyCanary = waitUntil('canary pods Ready', async () => {
      const pods = await core('east').listNamespacedPod({ namespace: 'production', labelSelector: `app=${app},version=canary` });
      return pods.items.length > 0 && pods.items.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }, 120_000, 100);
    const done = await waitUntil(`${app} to finish`, finished(started.id), 180_000);
    await recorder.stop();
    expect(await sawReadyCanary).toBe(true);
    expect(done.phase).toBe('Completed');
    expect(recorder.walk.filter((w) => w > 0)).toEqual([10, 50, 100]);
    expect(await recorder.current()).toBe(0);
    const target = await apps('east').readNamespacedDeployment({ name: app, namespace: 'production' });
    expect(target.spec?.template.spec?.containers[0]?.image).toBe(`${app}:v2.0.0`);
    await expect(apps('east').readNamespacedDeployment({ name: `${app}-canary`, namespace: 'production' })).rejects.toMatchObject({ code: 404 });
    const mirrored = await custom('east').getNamespacedCustomObject({ group: 'deploy.codedance.io', version: 'v1alpha1', namespace: 'production', plural: 'canarydeployments', name: app });
    expect(mirrored).toMatchObject({ status: { phase: 'Completed', weight: 0, step: '3/3', rolloutId: started.id, health: 100 } });
  });

  it('rolls back a crash-looping canary: 100% stable, canary deleted, reason naming the pod', async () => {
    await seedDemoApp({ kubeconfigPath: cluster('east').kubeconfigPath, namespace: 'production', app: 'crashy', image: 'crashy:v1', provider: 'istio' });
    const doc = documentWith({ cluster: 'east', targetDeployment: 'crashy', canaryVersion: 'crashy:v2-crash' }, { name: 'crashy' });
    const started = await startRollout(engine.deps, { document: doc, actor: api });
    const done = await waitUntil('crashy to fail', finished(started.id), 180_000);
    expect(done.phase).toBe('Failed');
    expect(done.failure?.reason).toBe('PodCrash');
    expect(done.failure?.message).toMatch(/crashy-canary-[a-z0-9-]+ is CrashLoopBackOff/);
    expect(await recordCanaryWeights(cluster('east').kubeconfigPath, 'production', 'crashy', 'istio').current()).toBe(0);
    await expect(apps('east').readNamespacedDeployment({ name: 'crashy-canary', namespace: 'production' })).rejects.toMatchObject({ code: 404 });
  });

  it('runs rollouts in two clusters at once; neither sees the other', async () => {
    for (const name of ['east', 'west']) await seedDemoApp({ kubeconfigPath: cluster(name).kubeconfigPath, namespace: 'twin', app: 'twin', image: 'twin:v1', provider: 'istio' });
    const doc = (name: string, image: string) => documentWith({ cluster: name, targetDeployment: 'twin', canaryVersion: image, strategy: { type: 'Linear', steps: [{ weight: 30, pause: '1m' }, { weight: 100 }] } }, { name: 'twin', namespace: 'twin' });
    const [east, west] = await Promise.all([startRollout(engine.deps, { document: doc('east', 'twin:v2-east'), actor: api }), startRollout(engine.deps, { document: doc('west', 'twin:v2-west'), actor: api })]);
    const [eastDone, westDone] = await Promise.all([waitUntil('east', finished(east!.id), 180_000), waitUntil('west', finished(west!.id), 180_000)]);
    expect([eastDone.phase, westDone.phase]).toEqual(['Completed', 'Completed']);
    const image = async (name: string) => (await apps(name).readNamespacedDeployment({ name: 'twin', namespace: 'twin' })).spec?.template.spec?.containers[0]?.image;
    expect(await image('east')).toBe('twin:v2-east');
    expect(await image('west')).toBe('twin:v2-west');
  });

  it('a forbidden verb fails the rollout with the RBAC reason', async () => {
    await seedDemoApp({ kubeconfigPath: cluster('east').kubeconfigPath, namespace: 'locked', app: 'locked', image: 'locked:v1', provider: 'istio' });
    const doc = documentWith({ cluster: 'east-reader', targetDeployment: 'locked', canaryVersion: 'locked:v2' }, { name: 'locked', namespace: 'locked' });
    const started = await startRollout(engine.deps, { document: doc, actor: api });
    const done = await waitUntil('locked to fail', finished(started.id), 120_000);
    expect(done.failure?.reason).toBe('ClusterError');
    expect(done.failure?.message).toMatch(/forbidden/i);
    expect(done.failure?.message).toMatch(/create/);
    // The stable subset narrowed before the refused create is restored on the way out.
    const dr = await custom('east').getNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1beta1', namespace: 'locked', plural: 'destinationrules', name: 'locked' }) as { metadata: { annotations?: Record<string, string> }; spec: { subsets: Array<{ name: string; labels?: Record<string, string> }> } };
    expect(dr.spec.subsets.find((x) => x.name === 'stable')?.labels).toEqual({ version: 'stable' });
    expect(dr.metadata.annotations?.['codedance.io/narrowed-by']).toBeUndefined();
  });

  it('a missing VirtualService fails the rollout naming it and the fix', async () => {
    await seedDemoApp({ kubeconfigPath: cluster('west').kubeconfigPath, namespace: 'noroute', app: 'noroute', image: 'noroute:v1', provider: 'istio' });
    const doc = documentWith({ cluster: 'west', targetDeployment: 'noroute', canaryVersion: 'noroute:v2', trafficRouting: { istio: { virtualService: 'does-not-exist' } } }, { name: 'noroute', namespace: 'noroute' });
    const started = await startRollout(engine.deps, { document: doc, actor: api });
    const done = await waitUntil('noroute to fail', finished(started.id), 120_000);
    expect(done.failure?.reason).toBe('ClusterError');
    expect(done.failure?.message).toMatch(/VirtualService noroute\/does-not-exist/);
  });
});
