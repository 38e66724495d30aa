/**
 * The Kubernetes ClusterPort against a real local control plane (kube-apiserver, controller-manager,
 * scheduler, kwok): crash signals, hand edits decide() must notice, and typed errors. Objects are seeded
 * with the admin kubeconfig; the adapter runs with the engine's token, so every call goes through the
 * ClusterRole in infra/k8s/engine-rbac.yaml. The ClusterPort contract runs in
 * test/contract/kubernetes-cluster.contract.test.ts.
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
import { adminClients, dropNamespace, manifests, rolloutOf, seed, specFor, TARGET, targetReady, type Admin } from './seed.js';

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

describe('Kubernetes ClusterPort: crash signals', () => {
  it('a crash-looping canary shows a CrashSignal and is not available', async () => {
    // Prepare: kwok crash-loops any pod whose image tag contains "crash"
    const namespace = 'crash';
    await seed(admin, manifests(namespace, 'istio'));
    await targetReady(admin, namespace);
    const rollout = rolloutOf(specFor(namespace, 'istio', { canaryVersion: 'demo:v2-crash' }));
    const port = registry.get('adapter');

    // Act
    await port.ensureCanary(rollout, 2);

    // Assess
    await waitFor(async () => {
      const seen = await port.observe(rollout);
      expect(seen.canary).toMatchObject({ exists: true, available: false, crash: { reason: 'CrashLoopBackOff' } });
      expect(seen.canary.crash?.pod).toMatch(/^web-canary-/);
      expect(seen.canary.crash?.restarts).toBeGreaterThanOrEqual(1);
    });
    await port.deleteCanary(rollout);
    await dropNamespace(admin, namespace);
  });
});

describe('Kubernetes ClusterPort: what decide() needs to notice hand edits', () => {
  it('a canary deleted by hand, a target template changed by hand, and who last wrote the image', async () => {
    // Prepare
    const namespace = 'hand-edits';
    await seed(admin, manifests(namespace, 'nginx', TARGET, { versionLabel: false }));
    await targetReady(admin, namespace);
    const rollout = rolloutOf(specFor(namespace, 'nginx'));
    const port = registry.get('adapter');
    await port.ensureCanary(rollout, 1);
    const before = await port.observe(rollout);

    // Act: someone deletes the canary and edits the target's template; then the engine promotes
    await admin.apps.deleteNamespacedDeployment({ name: 'web-canary', namespace });
    await admin.apps.patchNamespacedDeployment({ name: TARGET, namespace, body: [{ op: 'add', path: '/spec/template/metadata/annotations', value: { edited: 'by-hand' } }] });
    const edited = await port.observe(rollout);
    await port.setStableImage(rollout, rollout.spec.canaryImage);
    const promoted = await port.observe(rollout);

    // Assess
    expect(before.canary).toMatchObject({ exists: true, replicas: 1 });
    expect(before.stable).toMatchObject({ exists: true, image: 'demo:v1', replicas: 2 });
    expect(before.stable.templateHash).toMatch(/^[0-9a-f]{16}$/);
    expect(before.stable.imageManager).toBeDefined();
    expect(before.stable.imageManager).not.toBe('codedance');
    expect(edited.canary.exists).toBe(false);
    expect(edited.stable.templateHash).not.toBe(before.stable.templateHash);
    expect(promoted.stable).toMatchObject({ image: rollout.spec.canaryImage, imageManager: 'codedance' });
    await port.deleteCanary(rollout);
    await dropNamespace(admin, namespace);
  });

  it('a target whose own rollout cannot finish reports the Deployment condition', async () => {
    // Prepare: a 1 s progress deadline and an image kwok crash-loops
    const namespace = 'target-fails';
    await seed(admin, manifests(namespace, 'nginx', TARGET, { versionLabel: false }));
    await targetReady(admin, namespace);
    await admin.apps.patchNamespacedDeployment({ name: TARGET, namespace, body: [{ op: 'add', path: '/spec/progressDeadlineSeconds', value: 1 }] });
    const rollout = rolloutOf(specFor(namespace, 'nginx', { canaryVersion: 'demo:v2-crash' }));
    const port = registry.get('adapter');

    // Act
    await port.setStableImage(rollout, rollout.spec.canaryImage);

    // Assess
    await waitFor(async () => expect((await port.observe(rollout)).stable.failed).toMatch(/^ProgressDeadlineExceeded: /));
    expect((await port.observe(rollout)).stable.available).toBe(false);
    await dropNamespace(admin, namespace);
  });
});

describe('Kubernetes ClusterPort: typed errors', () => {
  it('a VirtualService that does not exist: a weight is a permanent error naming it and the fix; observe reports it', async () => {
    // Prepare
    const namespace = 'missing-vs';
    await seed(admin, manifests(namespace, 'istio').filter((m) => m.kind !== 'VirtualService'));
    await targetReady(admin, namespace);
    const rollout = rolloutOf(specFor(namespace, 'istio', { trafficRouting: { istio: { virtualService: 'absent' } } }));
    const port = registry.get('adapter');

    // Act
    const write = await port.setCanaryWeight(rollout, 10).catch((err: unknown) => err);
    const seen = await port.observe(rollout);

    // Assess
    expect(write).toBeInstanceOf(KubernetesApiError);
    expect(write).toMatchObject({ failure: 'NotFound', permanent: true, transient: false });
    expect(String(write)).toContain('VirtualService missing-vs/absent not found: create it or set spec.trafficRouting.istio.virtualService');
    expect(seen).toMatchObject({ missing: ['VirtualService missing-vs/absent'], weight: undefined });
    await port.deleteCanary(rollout); // a missing route object does not block the cleanup
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
    const attempt = port.ensureCanary(rolloutOf(specFor('default', 'istio')), 1);

    // Assess
    await expect(attempt).rejects.toMatchObject({ failure: 'Forbidden', permanent: true });
    await expect(attempt).rejects.toThrow(`forbidden: the engine's ClusterRole lacks "get" on deployments.apps`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a wrong token is a permanent Unauthorized error', async () => {
    const port = new KubernetesCluster(async () => createKubeClients('adapter', await connect({ token: { server: cluster.server, caData: cluster.caData, token: 'wrong' } })));
    await expect(port.observe(rolloutOf(specFor('default', 'nginx')))).rejects.toMatchObject({ failure: 'Unauthorized', permanent: true });
  });

  it('an unreachable apiserver is a transient error', async () => {
    const port = new KubernetesCluster(async () => createKubeClients('adapter', await connect({ token: { server: 'https://127.0.0.1:1', token: 't' } }, { timeoutMs: 2000 })));
    const attempt = port.observe(rolloutOf(specFor('default', 'istio')));
    await expect(attempt).rejects.toMatchObject({ failure: 'Unavailable', permanent: false, transient: true });
    await expect(attempt).rejects.toThrow(/apiserver unreachable/);
  });

  it('an unknown cluster names the registered ones', () => {
    expect(() => registry.get('nope')).toThrow('Cluster "nope" is not registered');
  });
});
