/**
 * Issue 12, point 1: stable traffic must reach only stable pods. Canary pods carry the target's labels, so
 * a stable Service selecting `app: web` (or an Istio `stable` subset without a version label) picks them
 * too unless the engine narrows stable selection. Checked the way a proxy sees it: the pods named by the
 * EndpointSlices the controller-manager computes, on a target shaped as users write it (no `version` label).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalClusters } from '../../../infra/local/kubernetes/launcher.js';
import type { KubernetesClusterRegistry } from '../../../lib/adapters/kubernetes/registry.js';
import { endpointPods, matching, podsByRole } from './endpoints.js';
import { manifests, rolloutOf, seed, specFor, TARGET, targetReady, type Admin, type Provider , startAdapterCluster } from './seed.js';

let local: LocalClusters | undefined;
let admin: Admin;
let registry: KubernetesClusterRegistry;

beforeAll(async () => { ({ local, admin, registry } = await startAdapterCluster()); }, 900_000);
afterAll(async () => { await local?.stop(); });

const waitFor = <T>(probe: () => Promise<T>) => vi.waitFor(probe, { timeout: 60_000, interval: 500 });
type DestinationRule = { metadata: { annotations?: Record<string, string> }; spec: { subsets: Array<{ name: string; labels?: Record<string, string> }> } };
const readDr = (namespace: string) => admin.custom.getNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace, plural: 'destinationrules', name: TARGET }) as Promise<DestinationRule>;
const subsetLabels = (dr: DestinationRule, name: string) => dr.spec.subsets.find((s) => s.name === name)?.labels ?? {};

/** The user's own DestinationRule: a `stable` subset by app label only, and a subset the engine must not touch. */
const userDestinationRule = (namespace: string) => ({
  apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: TARGET, namespace },
  spec: { host: TARGET, subsets: [{ name: 'stable', labels: { app: TARGET } }, { name: 'legacy', labels: { app: TARGET, track: 'legacy' } }] },
});

async function prepare(namespace: string, provider: Provider) {
  await seed(admin, [...manifests(namespace, provider, TARGET, { versionLabel: false }), ...(provider === 'istio' ? [userDestinationRule(namespace)] : [])]);
  await targetReady(admin, namespace);
  const rollout = rolloutOf(specFor(namespace, provider), `ro_sel_${provider.toLowerCase()}`);
  return { rollout, port: registry.get('adapter') };
}

describe.each(['istio', 'nginx', 'gatewayApi'] as const)('stable selection with %s', (provider) => {
  it('stable traffic reaches only stable pods while a canary runs, and everything is as before after deleteCanary', async () => {
    // Prepare
    const namespace = `sel-${provider.toLowerCase()}`;
    const { rollout, port } = await prepare(namespace, provider);
    const serviceBefore = await admin.core.readNamespacedService({ name: TARGET, namespace });
    const drBefore = provider === 'istio' ? await readDr(namespace) : undefined;

    // Act
    await port.ensureCanary(rollout, 2);
    await port.setCanaryWeight(rollout, 30);
    await waitFor(async () => expect((await port.observe(rollout)).canary).toMatchObject({ exists: true, available: true }));

    // Assess: what each Service really selects, once the EndpointSlice controller caught up
    await waitFor(async () => {
      const pods = await podsByRole(admin, namespace);
      expect(pods.stable).toHaveLength(2);
      expect(pods.canary).toHaveLength(2);
      const stableEndpoints = await endpointPods(admin, namespace, TARGET);
      if (provider === 'istio') {
        // Istio subsets filter the host Service's endpoints by pod labels: the Service keeps every pod.
        const dr = await readDr(namespace);
        expect(stableEndpoints).toEqual([...pods.stable, ...pods.canary].sort());
        expect(matching(pods.all, stableEndpoints, subsetLabels(dr, 'stable'))).toEqual(pods.stable);
        expect(matching(pods.all, stableEndpoints, subsetLabels(dr, 'canary'))).toEqual(pods.canary);
      } else {
        expect(stableEndpoints).toEqual(pods.stable);
        expect(await endpointPods(admin, namespace, 'web-canary')).toEqual(pods.canary);
      }
    });
    expect((await port.observe(rollout)).stableNarrowed).toBe(true);

    // Act / Assess: deleteCanary puts the user's objects back exactly, the engine's annotations gone
    await port.deleteCanary(rollout);
    const serviceAfter = await admin.core.readNamespacedService({ name: TARGET, namespace });
    expect(serviceAfter.spec?.selector).toEqual(serviceBefore.spec?.selector);
    expect(serviceAfter.metadata?.annotations).toEqual(serviceBefore.metadata?.annotations);
    if (drBefore) {
      const drAfter = await readDr(namespace);
      expect(subsetLabels(drAfter, 'stable')).toEqual(subsetLabels(drBefore, 'stable'));
      expect(drAfter.spec.subsets.find((s) => s.name === 'legacy')).toEqual(drBefore.spec.subsets.find((s) => s.name === 'legacy'));
      expect(drAfter.metadata.annotations).toEqual(drBefore.metadata.annotations);
    }
    expect((await port.observe(rollout)).stableNarrowed).toBe(false);
    await waitFor(async () => {
      const pods = await podsByRole(admin, namespace);
      expect(pods.canary).toEqual([]);
      expect(await endpointPods(admin, namespace, TARGET)).toEqual(pods.stable);
    });
  });
});

describe('stable selection follows the target', () => {
  it('after a promotion, setCanaryWeight re-points stable selection at the target\'s new ReplicaSet', async () => {
    // Prepare
    const namespace = 'sel-promotion';
    const { rollout, port } = await prepare(namespace, 'nginx');
    await port.ensureCanary(rollout, 1);
    await port.setCanaryWeight(rollout, 100);

    // Act: promote, wait for the target's own rollout, move traffic back to it
    await port.setStableImage(rollout, rollout.spec.canaryImage);
    await waitFor(async () => expect((await port.observe(rollout)).stable).toMatchObject({ image: rollout.spec.canaryImage, available: true }));
    await port.setCanaryWeight(rollout, 0);

    // Assess: the stable Service selects the new stable pods, none of the old and no canary pod
    await waitFor(async () => {
      const pods = await podsByRole(admin, namespace);
      const promoted = pods.all.filter((p) => p.metadata?.labels?.version !== 'canary'
        && p.spec?.containers.some((c) => c.image === rollout.spec.canaryImage)).map((p) => p.metadata?.name).sort();
      expect(promoted).toHaveLength(2);
      expect(pods.stable).toEqual(promoted);
      expect(await endpointPods(admin, namespace, TARGET)).toEqual(promoted);
    });
    await port.deleteCanary(rollout);
    const service = await admin.core.readNamespacedService({ name: TARGET, namespace });
    expect(service.spec?.selector).toEqual({ app: TARGET });
  });
});
