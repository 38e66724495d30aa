/**
 * Issue 12, point 7: the engine knows what is its own. A `<target>-canary` Deployment, canary Service or
 * `<ingress>-canary` Ingress without the `codedance.io/rollout-id` annotation is a user's: never adopted,
 * changed or deleted, and the rollout fails naming the fix. A leftover canary of an earlier rollout is
 * rebuilt from the current target and image, never reused with its old template.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalClusters } from '../../../infra/local/kubernetes/launcher.js';
import type { KubernetesClusterRegistry } from '../../../lib/adapters/kubernetes/registry.js';
import { manifests, rolloutOf, seed, specFor, STABLE_IMAGE, TARGET, targetReady, type Admin, type Provider , startAdapterCluster } from './seed.js';

let local: LocalClusters | undefined;
let admin: Admin;
let registry: KubernetesClusterRegistry;

beforeAll(async () => { ({ local, admin, registry } = await startAdapterCluster()); }, 900_000);
afterAll(async () => { await local?.stop(); });

const CANARY_SELECTOR = { app: TARGET, version: 'canary', 'codedance.io/rollout-role': 'canary' };

/** A `web-canary` Deployment as someone else wrote it; `annotations` decide whose it looks like. */
const canaryDeployment = (namespace: string, annotations: Record<string, string> = {}, image = 'someone:v9'): KubernetesObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `${TARGET}-canary`, namespace, annotations },
  spec: {
    replicas: 1, selector: { matchLabels: CANARY_SELECTOR },
    template: { metadata: { labels: { ...CANARY_SELECTOR, generation: 'old' } }, spec: { containers: [{ name: 'app', image, env: [{ name: 'OLD', value: '1' }] }] } },
  },
} as KubernetesObject);

const canaryService = (namespace: string, annotations: Record<string, string> = {}): KubernetesObject => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name: `${TARGET}-canary`, namespace, annotations },
  spec: { selector: { app: 'something-else' }, ports: [{ port: 81 }] },
} as KubernetesObject);

const canaryIngress = (namespace: string): KubernetesObject => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: `${TARGET}-canary`, namespace },
  spec: { ingressClassName: 'nginx', rules: [{ host: 'canary.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'other', port: { number: 80 } } } }] } }] },
} as KubernetesObject);

async function prepare(namespace: string, provider: Provider, extra: KubernetesObject[]) {
  await seed(admin, [...manifests(namespace, provider, TARGET, { versionLabel: false }), ...extra]);
  await targetReady(admin, namespace);
  return registry.get('adapter');
}

const version = (o: { metadata?: { uid?: string; resourceVersion?: string } }) => [o.metadata?.uid, o.metadata?.resourceVersion];

describe('objects Codedance did not create', () => {
  it('a foreign canary Deployment: ensureCanary fails naming it and the fix, touches nothing; observe lists it; deleteCanary leaves it', async () => {
    // Prepare
    const namespace = 'foreign-deployment';
    const port = await prepare(namespace, 'istio', [canaryDeployment(namespace)]);
    const rollout = rolloutOf(specFor(namespace, 'istio'), 'ro_foreign1');
    const before = await admin.apps.readNamespacedDeployment({ name: 'web-canary', namespace });

    // Act
    const attempt = await port.ensureCanary(rollout, 2).then(() => undefined, (err: unknown) => err);
    const seen = await port.observe(rollout);
    await port.deleteCanary(rollout);

    // Assess
    expect(attempt).toMatchObject({ failure: 'Foreign', permanent: true });
    expect(String(attempt)).toContain(`Deployment ${namespace}/web-canary exists but was not created by Codedance`);
    expect(String(attempt)).toContain('rename or delete it');
    expect(seen.foreign).toEqual([`Deployment ${namespace}/web-canary (not created by Codedance)`]);
    expect(seen.canary.exists).toBe(false);
    expect(seen.stableNarrowed).toBe(false); // refused before narrowing anything
    expect(version(await admin.apps.readNamespacedDeployment({ name: 'web-canary', namespace }))).toEqual(version(before));
  });

  it('a foreign canary Service or canary Ingress (nginx): a weight fails naming it, back to 0 does not; observe lists both; deleteCanary leaves both', async () => {
    // Prepare
    const namespace = 'foreign-nginx';
    const port = await prepare(namespace, 'nginx', [canaryService(namespace), canaryIngress(namespace)]);
    const rollout = rolloutOf(specFor(namespace, 'nginx'), 'ro_foreign2');
    const ownService = rolloutOf(specFor(namespace, 'nginx', { trafficRouting: { canaryService: 'web-canary-svc' } }), 'ro_foreign2');
    const [service, ingress] = [await admin.core.readNamespacedService({ name: 'web-canary', namespace }), await admin.networking.readNamespacedIngress({ name: 'web-canary', namespace })];

    // Act
    await port.ensureCanary(rollout, 1);
    const serviceAttempt = await port.setCanaryWeight(rollout, 30).then(() => undefined, (err: unknown) => err);
    const ingressAttempt = await port.setCanaryWeight(ownService, 30).then(() => undefined, (err: unknown) => err);
    const seen = await port.observe(rollout);
    await port.setCanaryWeight(rollout, 0); // back to stable (a rollback) needs neither: it succeeds
    await port.setCanaryWeight(ownService, 0);
    await port.deleteCanary(rollout);
    await port.deleteCanary(ownService);

    // Assess
    expect(serviceAttempt).toMatchObject({ failure: 'Foreign', permanent: true });
    expect(String(serviceAttempt)).toContain(`Service ${namespace}/web-canary exists but was not created by Codedance`);
    expect(String(serviceAttempt)).toContain('set spec.trafficRouting.canaryService to another name');
    expect(ingressAttempt).toMatchObject({ failure: 'Foreign', permanent: true });
    expect(String(ingressAttempt)).toContain(`Ingress ${namespace}/web-canary exists but was not created by Codedance`);
    expect(seen.foreign).toEqual([`Ingress ${namespace}/web-canary (not created by Codedance)`, `Service ${namespace}/web-canary (not created by Codedance)`]);
    expect(seen.weight).toBe(0);
    expect(version(await admin.core.readNamespacedService({ name: 'web-canary', namespace }))).toEqual(version(service));
    expect(version(await admin.networking.readNamespacedIngress({ name: 'web-canary', namespace }))).toEqual(version(ingress));
    expect((await port.observe(rollout)).canary.exists).toBe(false);
    expect((await admin.core.readNamespacedService({ name: TARGET, namespace })).spec?.selector).toEqual({ app: TARGET });
  });
});

describe('leftovers of an earlier rollout', () => {
  it('a leftover canary Deployment and Service are rebuilt from the current target and image', async () => {
    // Prepare: what an earlier rollout (ro_old, image demo:v0) left behind
    const namespace = 'leftover';
    const old = { 'codedance.io/rollout-id': 'ro_old' };
    const port = await prepare(namespace, 'nginx', [canaryDeployment(namespace, old, 'demo:v0'), canaryService(namespace, old)]);
    const rollout = rolloutOf(specFor(namespace, 'nginx'), 'ro_new');
    const before = await admin.apps.readNamespacedDeployment({ name: 'web-canary', namespace });
    const seenBefore = await port.observe(rollout);

    // Act
    await port.ensureCanary(rollout, 2);
    await port.setCanaryWeight(rollout, 10);

    // Assess
    expect(seenBefore.canary.exists).toBe(false); // not this rollout's...
    expect(seenBefore.foreign ?? []).toEqual([]); // ...but not foreign either
    const rebuilt: V1Deployment = await admin.apps.readNamespacedDeployment({ name: 'web-canary', namespace });
    const target = await admin.apps.readNamespacedDeployment({ name: TARGET, namespace });
    expect(rebuilt.metadata?.uid).not.toBe(before.metadata?.uid);
    expect(rebuilt.metadata?.annotations?.['codedance.io/rollout-id']).toBe('ro_new');
    expect(rebuilt.spec?.replicas).toBe(2);
    expect(rebuilt.spec?.template.metadata?.labels).toEqual({ ...target.spec?.template.metadata?.labels, ...CANARY_SELECTOR });
    expect(rebuilt.spec?.template.spec?.containers.map((c) => [c.name, c.image, c.env])).toEqual([['proxy', 'envoy:1.30', undefined], ['app', 'demo:v2', undefined]]);
    expect(target.spec?.template.spec?.containers[1]?.image).toBe(STABLE_IMAGE);
    const service = await admin.core.readNamespacedService({ name: 'web-canary', namespace });
    expect(service.metadata?.annotations?.['codedance.io/rollout-id']).toBe('ro_new');
    expect(service.spec?.selector).toEqual(CANARY_SELECTOR);
    expect((await port.observe(rollout)).canary.exists).toBe(true);
    await port.deleteCanary(rollout);
    expect((await port.observe(rollout)).canary.exists).toBe(false);
  });
});
