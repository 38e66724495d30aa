/**
 * The ClusterPort contract against the real Kubernetes adapter on a local control plane (kube-apiserver,
 * controller-manager, scheduler, kwok), once per traffic provider. The adapter runs with the engine's
 * RBAC-limited token; objects are seeded and removed behind its back with the admin kubeconfig. The target
 * is shaped as most users write it (no `version` label), the case where canary pods match stable selection.
 * The in-memory fake runs the same contract in fake-cluster.test.ts.
 */
import { afterAll, beforeAll, expect, onTestFinished } from 'vitest';
import { startClusters, type LocalCluster, type LocalClusters } from '../../infra/local/kubernetes/launcher.js';
import type { KubernetesCluster } from '../../lib/adapters/kubernetes/cluster.js';
import { portWithConcurrentWriter, readOnlyPort } from '../integration/kubernetes-adapter/ports.js';
import { adminClients, dropNamespace, manifests, rolloutOf, seed, specFor, TARGET, targetReady, type Admin, type Provider } from '../integration/kubernetes-adapter/seed.js';
import { describeClusterPortContract } from './cluster-port.contract.js';

let local: LocalClusters | undefined;
let cluster: LocalCluster;
let admin: Admin;
let readOnly: KubernetesCluster | undefined;

beforeAll(async () => {
  local = await startClusters({ names: ['contract'], nodes: 2 });
  const [first] = local.clusters;
  if (!first) throw new Error('no cluster started');
  cluster = first;
  admin = adminClients(cluster.kubeconfigPath);
}, 900_000);

afterAll(async () => {
  await local?.stop();
});

/** Deletes the provider's route object as a person would (kubectl delete). */
async function removeRoute(provider: Provider, namespace: string): Promise<void> {
  if (provider === 'nginx') {
    await admin.networking.deleteNamespacedIngress({ name: TARGET, namespace });
    return;
  }
  const [group, plural] = provider === 'istio' ? ['networking.istio.io', 'virtualservices'] : ['gateway.networking.k8s.io', 'httproutes'];
  await admin.custom.deleteNamespacedCustomObject({ group, version: 'v1', namespace, plural, name: TARGET });
}

for (const provider of ['istio', 'nginx', 'gatewayApi'] as const) {
  describeClusterPortContract(`Kubernetes (${provider})`, async () => {
    const namespace = `contract-${provider.toLowerCase()}`;
    const { port, arm, writes } = await portWithConcurrentWriter(cluster);
    return {
      port,
      rollout: rolloutOf(specFor(namespace, provider), `ro_contract_${provider.toLowerCase()}`),
      seedTarget: async () => {
        await seed(admin, manifests(namespace, provider, TARGET, { versionLabel: false }));
        await targetReady(admin, namespace);
      },
      cleanup: () => dropNamespace(admin, namespace),
      injectConflict: () => {
        const before = writes();
        arm();
        // The concurrent write happens inside the port's next replace: make sure the case really met one.
        onTestFinished(() => { expect(writes(), 'the armed concurrent write happened').toBe(before + 1); });
      },
      forbidden: async () => (readOnly ??= await readOnlyPort(cluster, admin)),
      removeTrafficObject: () => removeRoute(provider, namespace),
      removeTarget: async () => {
        await admin.apps.deleteNamespacedDeployment({ name: TARGET, namespace });
        await expect.poll(() => admin.apps.readNamespacedDeployment({ name: TARGET, namespace }).then(() => 'there', () => 'gone'), { timeout: 30_000 }).toBe('gone');
      },
    };
  });
}
