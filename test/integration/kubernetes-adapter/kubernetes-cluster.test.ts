/**
 * The Kubernetes ClusterPort against a real local control plane (kube-apiserver, controller-manager,
 * scheduler, kwok). Objects are seeded with the admin kubeconfig; the adapter runs with the engine's token,
 * so every call goes through the ClusterRole in infra/k8s/engine-rbac.yaml.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startClusters, type LocalCluster, type LocalClusters } from '../../../infra/local/kubernetes/launcher.js';
import { connect, createKubeClients } from '../../../lib/adapters/kubernetes/client.js';
import { KubernetesCluster } from '../../../lib/adapters/kubernetes/cluster.js';
import { KubernetesApiError } from '../../../lib/adapters/kubernetes/errors.js';
import { clusterRegistryConfigSchema, createClusterRegistry, type KubernetesClusterRegistry } from '../../../lib/adapters/kubernetes/registry.js';
import { describeClusterPortContract } from '../../contract/cluster-port.contract.js';
import { adminClients, dropNamespace, manifests, seed, specFor, type Admin, type Provider } from './seed.js';

let local: LocalClusters | undefined;
let cluster: LocalCluster;
let admin: Admin;
let registry: KubernetesClusterRegistry;

beforeAll(async () => {
  local = await startClusters({ names: ['adapter'], nodes: 2 });
  const [first] = local.clusters;
  if (!first) throw new Error('no cluster started');
  cluster = first;
  admin = adminClients(cluster.kubeconfigPath);
  // Token mode with a secret name, as in production (SSM / Secrets Manager resolve it).
  const configs = clusterRegistryConfigSchema.parse([{ name: 'adapter', token: { server: cluster.server, caData: cluster.caData, tokenSecret: 'codedance/adapter-token' } }]);
  registry = createClusterRegistry(configs, async (name) => {
    if (name !== 'codedance/adapter-token') throw new Error(`no secret ${name}`);
    return cluster.engineToken;
  });
}, 900_000);

afterAll(async () => {
  await local?.stop();
});

const waitFor = <T>(probe: () => Promise<T>) => vi.waitFor(probe, { timeout: 90_000, interval: 500 });
const providers: Provider[] = ['istio', 'nginx', 'gatewayApi'];

for (const provider of providers) {
  describeClusterPortContract(`Kubernetes (${provider})`, async () => {
    const namespace = `contract-${provider.toLowerCase()}`;
    return {
      port: registry.get('adapter'),
      spec: specFor(namespace, provider),
      seedTarget: () => seed(admin, manifests(namespace, provider)),
      cleanup: () => dropNamespace(admin, namespace),
    };
  });
}

describe('Kubernetes ClusterPort: crash signals', () => {
  it('a crash-looping canary shows a CrashSignal and is not available', async () => {
    // Prepare: kwok crash-loops any pod whose image tag contains "crash"
    const namespace = 'crash';
    await seed(admin, manifests(namespace, 'istio'));
    const spec = specFor(namespace, 'istio', { canaryVersion: 'demo:v2-crash' });
    const port = registry.get('adapter');

    // Act
    await port.ensureCanary(spec);

    // Assess
    await waitFor(async () => {
      const seen = await port.observe(spec);
      expect(seen.canary).toMatchObject({ exists: true, available: false, crash: { reason: 'CrashLoopBackOff' } });
      expect(seen.canary.crash?.pod).toMatch(/^web-canary-/);
      expect(seen.canary.crash?.restarts).toBeGreaterThanOrEqual(1);
    });
    await port.deleteCanary(spec);
    await dropNamespace(admin, namespace);
  });
});

describe('Kubernetes ClusterPort: typed errors', () => {
  it('a missing VirtualService is a permanent error naming it and the fix', async () => {
    // Prepare
    const namespace = 'missing-vs';
    await seed(admin, manifests(namespace, 'istio').filter((m) => m.kind !== 'VirtualService'));
    const spec = specFor(namespace, 'istio', { trafficRouting: { istio: { virtualService: 'absent' } } });
    const port = registry.get('adapter');

    // Act
    const write = await port.setCanaryWeight(spec, 10).catch((err: unknown) => err);
    const read = await port.observe(spec).catch((err: unknown) => err);

    // Assess
    const expected = { failure: 'NotFound', permanent: true, transient: false };
    expect(write).toBeInstanceOf(KubernetesApiError);
    expect(write).toMatchObject(expected);
    expect(String(write)).toContain('VirtualService missing-vs/absent not found: create it or set spec.trafficRouting.istio.virtualService');
    expect(read).toMatchObject(expected);
    await port.deleteCanary(spec); // a missing route object does not block the cleanup
    await dropNamespace(admin, namespace);
  });

  it('a user without the role gets a permanent Forbidden naming the verb and resource', async () => {
    // Prepare: a kubeconfig whose admin token impersonates (`as:`) a user no role is bound to
    const dir = mkdtempSync(join(tmpdir(), 'codedance-kubeconfig-'));
    const path = join(dir, 'nobody.kubeconfig');
    writeFileSync(path, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
      clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': Buffer.from(cluster.caData).toString('base64') } }],
      users: [{ name: 'nobody', user: { token: cluster.adminToken, as: 'nobody' } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: 'nobody' } }],
    }));
    const port = new KubernetesCluster(async () => createKubeClients('adapter', await connect({ kubeconfig: { path } })));

    // Act
    const attempt = port.ensureCanary(specFor('default', 'istio'));

    // Assess
    await expect(attempt).rejects.toMatchObject({ failure: 'Forbidden', permanent: true });
    await expect(attempt).rejects.toThrow(`forbidden: the engine's ClusterRole lacks "get" on deployments.apps`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a wrong token is a permanent Unauthorized error', async () => {
    const port = new KubernetesCluster(async () => createKubeClients('adapter', await connect({ token: { server: cluster.server, caData: cluster.caData, token: 'wrong' } })));
    await expect(port.observe(specFor('default', 'nginx'))).rejects.toMatchObject({ failure: 'Unauthorized', permanent: true });
  });

  it('an unreachable apiserver is a transient error', async () => {
    const port = new KubernetesCluster(async () => createKubeClients('adapter', await connect({ token: { server: 'https://127.0.0.1:1', token: 't' } }, { timeoutMs: 2000 })));
    const attempt = port.observe(specFor('default', 'istio'));
    await expect(attempt).rejects.toMatchObject({ failure: 'Unavailable', permanent: false, transient: true });
    await expect(attempt).rejects.toThrow(/apiserver unreachable/);
  });

  it('an unknown cluster names the registered ones', () => {
    expect(() => registry.get('nope')).toThrow('Cluster "nope" is not registered');
  });
});
