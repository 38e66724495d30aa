/**
 * Issue 12, point 5 (adapter side): a missing target, route object or CRD is a fact, not an error. observe
 * reports it in `missing` instead of throwing, and deleteCanary finishes without it, restoring the stable
 * selection from what the narrowed object itself recorded (the target is not needed for that).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalClusters } from '../../../infra/local/kubernetes/launcher.js';
import type { KubernetesClusterRegistry } from '../../../lib/adapters/kubernetes/registry.js';
import { manifests, rolloutOf, seed, specFor, TARGET, targetReady, type Admin, type Provider , startAdapterCluster } from './seed.js';

let local: LocalClusters | undefined;
let admin: Admin;
let registry: KubernetesClusterRegistry;

beforeAll(async () => { ({ local, admin, registry } = await startAdapterCluster()); }, 900_000);
afterAll(async () => { await local?.stop(); });

type Subsets = { metadata: { annotations?: Record<string, string> }; spec: { subsets: Array<{ name: string; labels?: Record<string, string> }> } };
const readDr = (namespace: string) => admin.custom.getNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace, plural: 'destinationrules', name: TARGET }) as Promise<Subsets>;

/** A rollout mid-flight: canary running at 30 %, stable selection narrowed. */
async function midRollout(namespace: string, provider: Provider, id: string) {
  await seed(admin, manifests(namespace, provider, TARGET, { versionLabel: false }));
  await targetReady(admin, namespace);
  const rollout = rolloutOf(specFor(namespace, provider), id);
  const port = registry.get('adapter');
  await port.ensureCanary(rollout, 1);
  await port.setCanaryWeight(rollout, 30);
  expect((await port.observe(rollout)).stableNarrowed).toBe(true);
  return { rollout, port };
}

describe('a target deleted mid-rollout', () => {
  it.each(['nginx', 'istio'] as const)('%s: observe reports it; deleteCanary finishes and restores stable selection without it', async (provider) => {
    // Prepare
    const namespace = `no-target-${provider}`;
    const { rollout, port } = await midRollout(namespace, provider, `ro_gone_${provider}`);
    await admin.apps.deleteNamespacedDeployment({ name: TARGET, namespace });

    // Act
    const seen = await port.observe(rollout);
    const promote = await port.setStableImage(rollout, rollout.spec.canaryImage).then(() => undefined, (err: unknown) => err);
    await port.setCanaryWeight(rollout, 0); // traffic back to stable is never wrong to ask for
    await port.deleteCanary(rollout);
    await port.deleteCanary(rollout);

    // Assess
    expect(seen.missing).toEqual([`Deployment ${namespace}/${TARGET}`]);
    expect(seen.stable).toEqual({ exists: false, available: false });
    expect(seen.canary.exists).toBe(true);
    expect(promote).toMatchObject({ failure: 'NotFound', permanent: true });
    const after = await port.observe(rollout);
    expect(after).toMatchObject({ canary: { exists: false }, stableNarrowed: false, weight: 0 });
    if (provider === 'nginx') {
      const service = await admin.core.readNamespacedService({ name: TARGET, namespace });
      expect(service.spec?.selector).toEqual({ app: TARGET });
      expect(service.metadata?.annotations).toBeUndefined();
    } else {
      const dr = await readDr(namespace);
      // The engine added the subset (no DestinationRule before): un-narrowed, kept, since routes still name it.
      expect(dr.spec.subsets.find((s) => s.name === 'stable')?.labels).toEqual({ app: TARGET });
      expect(dr.metadata.annotations).toBeUndefined();
    }
  });
});

describe('a route object deleted mid-rollout', () => {
  it('istio: observe reports the VirtualService missing; weight 0 and deleteCanary finish; a weight > 0 is a permanent NotFound', async () => {
    // Prepare
    const namespace = 'no-vs';
    const { rollout, port } = await midRollout(namespace, 'istio', 'ro_novs');
    await admin.custom.deleteNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace, plural: 'virtualservices', name: TARGET });

    // Act
    const seen = await port.observe(rollout);
    const write = await port.setCanaryWeight(rollout, 40).then(() => undefined, (err: unknown) => err);
    await port.setCanaryWeight(rollout, 0);
    await port.deleteCanary(rollout);

    // Assess
    expect(seen).toMatchObject({ missing: [`VirtualService ${namespace}/${TARGET}`], weight: undefined, canary: { exists: true }, stable: { exists: true } });
    expect(write).toMatchObject({ failure: 'NotFound', permanent: true });
    expect(String(write)).toContain(`VirtualService ${namespace}/${TARGET} not found: create it or set spec.trafficRouting.istio.virtualService`);
    expect(await port.observe(rollout)).toMatchObject({ canary: { exists: false }, stableNarrowed: false });
  });
});

describe('a CRD uninstalled mid-rollout (last: it changes the whole cluster)', () => {
  it('gatewayApi: observe reports the HTTPRoute missing; deleteCanary finishes and restores the stable Service', async () => {
    // Prepare
    const namespace = 'no-crd';
    const { rollout, port } = await midRollout(namespace, 'gatewayApi', 'ro_nocrd');
    await admin.objects.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'httproutes.gateway.networking.k8s.io' } });
    await expect.poll(() => port.observe(rollout).then((o) => o.missing), { timeout: 30_000 }).toEqual([`HTTPRoute ${namespace}/${TARGET}`]);

    // Act
    await port.deleteCanary(rollout);

    // Assess
    const after = await port.observe(rollout);
    expect(after).toMatchObject({ canary: { exists: false }, stableNarrowed: false, weight: undefined });
    expect((await admin.core.readNamespacedService({ name: TARGET, namespace })).spec?.selector).toEqual({ app: TARGET });
    await expect(admin.core.readNamespacedService({ name: 'web-canary', namespace })).rejects.toMatchObject({ code: 404 });
  });
});
