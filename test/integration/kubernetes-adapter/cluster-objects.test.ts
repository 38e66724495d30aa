/**
 * What the adapter writes into a real apiserver, read back with the admin kubeconfig: the canary
 * Deployment, the traffic objects of each provider, the CanaryDeployment status. Repeated writes must not
 * change the objects (resourceVersion stays), and deleteCanary must leave only the user's objects.
 */
import { ApiException } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalClusters } from '../../../infra/local/kubernetes/launcher.js';
import type { KubernetesClusterRegistry } from '../../../lib/adapters/kubernetes/registry.js';
import { seed, manifests, rolloutOf, specFor, STABLE_IMAGE, targetReady, type Admin , startAdapterCluster } from './seed.js';

let local: LocalClusters | undefined;
let admin: Admin;
let registry: KubernetesClusterRegistry;

beforeAll(async () => { ({ local, admin, registry } = await startAdapterCluster()); }, 900_000);
afterAll(async () => { await local?.stop(); });

const custom = (group: string, version: string, plural: string, namespace: string, name: string) =>
  admin.custom.getNamespacedCustomObject({ group, version, namespace, plural, name }) as Promise<{ metadata: { resourceVersion: string }; spec: Record<string, unknown> }>;
const gone = async (read: Promise<unknown>) => read.then(() => false, (err: unknown) => err instanceof ApiException && err.code === 404);

describe('canary Deployment', () => {
  it('copies the target with the new image in the chosen container and its own selector', async () => {
    // Prepare
    await seed(admin, manifests('workload', 'istio'));
    await targetReady(admin, 'workload');
    const port = registry.get('adapter');
    const rollout = rolloutOf(specFor('workload', 'istio'));

    // Act
    await port.ensureCanary(rollout, 1);
    await port.ensureCanary({ ...rollout, spec: { ...rollout.spec, canaryImage: 'demo:v3' } }, 2); // this rollout's: new image, scaled

    // Assess
    const canary = await admin.apps.readNamespacedDeployment({ name: 'web-canary', namespace: 'workload' });
    const labels = { app: 'web', version: 'canary', 'codedance.io/rollout-role': 'canary' };
    expect(canary.spec?.selector.matchLabels).toEqual(labels);
    expect(canary.spec?.template.metadata?.labels).toEqual(labels);
    expect(canary.metadata?.annotations).toMatchObject({ 'codedance.io/rollout-id': rollout.id, 'codedance.io/rollout': 'web-rollout' });
    expect(canary.spec?.replicas).toBe(2);
    expect(canary.spec?.progressDeadlineSeconds).toBe(120);
    expect(canary.metadata?.ownerReferences).toBeUndefined();
    expect(canary.spec?.template.spec?.containers.map((c) => [c.name, c.image])).toEqual([['proxy', 'envoy:1.30'], ['app', 'demo:v3']]);
    const target = await admin.apps.readNamespacedDeployment({ name: 'web', namespace: 'workload' });
    expect(target.spec?.template.spec?.containers[1]?.image).toBe(STABLE_IMAGE);
  });
});

describe('Istio objects', () => {
  it('weights two subsets, adds the header route while active and keeps the DestinationRule in step', async () => {
    // Prepare
    await seed(admin, manifests('istio-objects', 'istio'));
    await targetReady(admin, 'istio-objects');
    const port = registry.get('adapter');
    const rollout = rolloutOf(specFor('istio-objects', 'istio', { trafficRouting: { match: { header: 'X-Canary' } } }));
    const vs = () => custom('networking.istio.io', 'v1', 'virtualservices', 'istio-objects', 'web');
    const dr = () => custom('networking.istio.io', 'v1', 'destinationrules', 'istio-objects', 'web');

    // Act
    await port.setCanaryWeight(rollout, 30);
    const [first, firstDr] = [await vs(), await dr()];
    await port.setCanaryWeight(rollout, 30);

    // Assess
    const dest = (subset: string, weight: number) => ({ destination: { host: 'web', port: { number: 80 }, subset }, weight });
    expect(first.spec.http).toEqual([
      { name: 'codedance-canary-match', timeout: '5s', match: [{ headers: { 'x-canary': { exact: 'always' } } }], route: [dest('canary', 100)] },
      { name: 'primary', timeout: '5s', route: [dest('stable', 70), dest('canary', 30)] },
    ]);
    // The stable subset is narrowed to the target's current ReplicaSet for the rollout's duration.
    const hash = firstDr.spec.subsets && (firstDr.spec.subsets as Array<{ labels: Record<string, string> }>)[0]?.labels['pod-template-hash'];
    expect(hash).toMatch(/^[a-z0-9]+$/);
    expect(firstDr.spec).toEqual({ host: 'web', subsets: [
      { name: 'stable', labels: { app: 'web', version: 'v1', 'pod-template-hash': hash } },
      { name: 'canary', labels: { app: 'web', version: 'canary', 'codedance.io/rollout-role': 'canary' } },
    ] });
    expect((await vs()).metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect((await dr()).metadata.resourceVersion).toBe(firstDr.metadata.resourceVersion);

    // Act / Assess: back to 0 drops the header route; deleteCanary leaves the user's objects at 100 % stable
    await port.deleteCanary(rollout);
    expect((await vs()).spec.http).toEqual([{ name: 'primary', timeout: '5s', route: [dest('stable', 100), dest('canary', 0)] }]);
    expect((await port.observe(rollout)).weight).toBe(0);
    expect((await dr()).spec.subsets).toEqual([
      { name: 'stable', labels: { app: 'web', version: 'v1' } },
      { name: 'canary', labels: { app: 'web', version: 'canary', 'codedance.io/rollout-role': 'canary' } },
    ]);
  });
});

describe('ingress-nginx objects', () => {
  it('adds a canary Ingress and Service for the stable paths only, and removes both on deleteCanary', async () => {
    // Prepare
    await seed(admin, manifests('nginx-objects', 'nginx'));
    await targetReady(admin, 'nginx-objects');
    const port = registry.get('adapter');
    const rollout = rolloutOf(specFor('nginx-objects', 'nginx', { trafficRouting: { match: { header: 'X-Canary', value: 'yes', cookie: 'canary' } } }));
    const ingress = () => admin.networking.readNamespacedIngress({ name: 'web-canary', namespace: 'nginx-objects' });
    const service = () => admin.core.readNamespacedService({ name: 'web-canary', namespace: 'nginx-objects' });

    // Act
    await port.setCanaryWeight(rollout, 30);
    const first = await ingress();
    await port.setCanaryWeight(rollout, 30);

    // Assess
    const a = 'nginx.ingress.kubernetes.io/';
    expect(first.metadata?.annotations).toMatchObject({ 'codedance.io/rollout-id': rollout.id, [`${a}canary`]: 'true', [`${a}canary-weight`]: '30', [`${a}canary-by-header`]: 'X-Canary', [`${a}canary-by-header-value`]: 'yes', [`${a}canary-by-cookie`]: 'canary' });
    expect(first.spec?.ingressClassName).toBe('nginx');
    expect(first.spec?.rules?.[0]?.http?.paths.map((p) => [p.path, p.backend.service?.name, p.backend.service?.port?.number])).toEqual([['/', 'web-canary', 80]]);
    expect((await ingress()).metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    const svc = await service();
    expect(svc.spec?.selector).toEqual({ app: 'web', version: 'canary', 'codedance.io/rollout-role': 'canary' });
    expect(svc.spec?.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual([['http', 80, 8080]]);

    // Act / Assess: weight 0 keeps the Ingress without header/cookie routing; deleteCanary removes both
    await port.setCanaryWeight(rollout, 0);
    expect(Object.keys((await ingress()).metadata?.annotations ?? {}).filter((k) => k.includes('canary-by'))).toEqual([]);
    await port.deleteCanary(rollout);
    expect(await gone(ingress())).toBe(true);
    expect(await gone(service())).toBe(true);
    expect((await port.observe(rollout)).weight).toBe(0);
  });
});

describe('Gateway API objects', () => {
  it('splits the rule between stable and canary Services and restores the single backend on deleteCanary', async () => {
    // Prepare
    await seed(admin, manifests('gateway-objects', 'gatewayApi'));
    await targetReady(admin, 'gateway-objects');
    const port = registry.get('adapter');
    const rollout = rolloutOf(specFor('gateway-objects', 'gatewayApi'));
    const route = () => custom('gateway.networking.k8s.io', 'v1', 'httproutes', 'gateway-objects', 'web');

    // Act
    await port.setCanaryWeight(rollout, 30);
    const first = await route();
    await port.setCanaryWeight(rollout, 30);

    // Assess
    const ref = (name: string, weight: number) => ({ group: '', kind: 'Service', name, port: 80, weight });
    expect(first.spec.rules).toEqual([{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [ref('web', 70), ref('web-canary', 30)] }]);
    expect((await route()).metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    await port.deleteCanary(rollout);
    expect(((await route()).spec.rules as Array<{ backendRefs: unknown }>)[0]?.backendRefs).toEqual([ref('web', 100)]);
    expect(await gone(admin.core.readNamespacedService({ name: 'web-canary', namespace: 'gateway-objects' }))).toBe(true);
  });
});

describe('CanaryDeployment status mirror', () => {
  it('patches the status subresource when the object exists and does nothing otherwise', async () => {
    // Prepare
    await seed(admin, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mirror' } },
      { apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'CanaryDeployment', metadata: { name: 'web-rollout', namespace: 'mirror' }, spec: { targetDeployment: 'web', canaryVersion: 'demo:v2' } } as never]);
    const status = { phase: 'Progressing', weight: 25, step: '3/6', health: 91.5, message: 'step 3 of 6', rolloutId: 'r-1' };

    // Act
    await registry.mirrorStatus(specFor('mirror', 'istio'), status);
    await registry.mirrorStatus(specFor('default', 'istio'), status); // no such CanaryDeployment

    // Assess
    const object = await admin.custom.getNamespacedCustomObject({ group: 'deploy.codedance.io', version: 'v1alpha1', namespace: 'mirror', plural: 'canarydeployments', name: 'web-rollout' }) as { status: unknown };
    expect(object.status).toMatchObject(status);
  });
});
