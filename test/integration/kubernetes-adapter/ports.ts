/**
 * Kubernetes ClusterPorts for tests that need more than the registry gives: one whose next write meets a
 * real concurrent writer (a 409 from the apiserver, not a mock), and one acting as an identity that may
 * only read (RBAC refuses its writes). Both talk to the real local control plane.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { vi } from 'vitest';
import type { LocalCluster } from '../../../infra/local/kubernetes/launcher.js';
import { connect, createKubeClients, type KubeClients } from '../../../lib/adapters/kubernetes/client.js';
import { KubernetesCluster } from '../../../lib/adapters/kubernetes/cluster.js';
import type { Admin } from './seed.js';

const tokenClients = async (cluster: LocalCluster, token: string): Promise<KubeClients> =>
  createKubeClients(cluster.name, await connect({ token: { server: cluster.server, caData: cluster.caData, token } }));

type Meta = { metadata?: { annotations?: Record<string, string> } };
const touched = <T>(object: T, n: number): T => {
  const o = object as T & Meta;
  return { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata?.annotations, 'test.codedance.io/concurrent-write': String(n) } } };
};

/**
 * The engine's port (its RBAC-limited token) whose next replace, once armed, is preceded by an admin write
 * to the same object: the engine's write then carries a stale resourceVersion and the apiserver answers 409.
 */
export async function portWithConcurrentWriter(cluster: LocalCluster): Promise<{ port: KubernetesCluster; arm(): void; writes(): number }> {
  const [engine, admin] = await Promise.all([tokenClients(cluster, cluster.engineToken), tokenClients(cluster, cluster.adminToken)]);
  let armed = false;
  let writes = 0;
  const interfere = async (write: () => Promise<unknown>) => {
    if (!armed) return;
    armed = false;
    writes++;
    await write();
  };
  const kinds = ['deployments', 'services', 'ingresses'] as const;
  const wrapped: KubeClients = { ...engine, custom: { ...engine.custom } };
  for (const kind of kinds) {
    const own = engine[kind] as KubeClients['services'];
    const other = admin[kind] as KubeClients['services'];
    (wrapped as unknown as Record<string, unknown>)[kind] = {
      ...own,
      replace: async (p: Parameters<typeof own.replace>[0]) => {
        await interfere(async () => other.replace({ ...p, body: touched(await other.read(p), writes) }));
        return own.replace(p);
      },
    };
  }
  wrapped.custom.replace = async (p) => {
    await interfere(async () => admin.custom.replace({ ...p, body: touched(await admin.custom.read(p), writes) }));
    return engine.custom.replace(p);
  };
  return { port: new KubernetesCluster(async () => wrapped), arm: () => { armed = true; }, writes: () => writes };
}

export const READ_ONLY_USER = 'contract-read-only';

/**
 * A port acting as a user bound to a ClusterRole that may get/list/watch everything and change nothing:
 * the admin token impersonates it (`as:`), as `kubectl --as` does.
 */
export async function readOnlyPort(cluster: LocalCluster, admin: Admin): Promise<KubernetesCluster> {
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: READ_ONLY_USER }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] }] };
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: READ_ONLY_USER },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: READ_ONLY_USER },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: READ_ONLY_USER }],
  };
  for (const o of [role, binding]) await admin.objects.create(o).catch((err: unknown) => { if (!String(err).includes('AlreadyExists') && (err as { code?: number }).code !== 409) throw err; });
  const path = join(mkdtempSync(join(tmpdir(), 'codedance-kubeconfig-')), 'read-only.kubeconfig');
  writeFileSync(path, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'c', cluster: { server: cluster.server, 'certificate-authority-data': Buffer.from(cluster.caData).toString('base64') } }],
    users: [{ name: READ_ONLY_USER, user: { token: cluster.adminToken, as: READ_ONLY_USER } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: READ_ONLY_USER } }],
  }));
  const kube = createKubeClients(cluster.name, await connect({ kubeconfig: { path } }));
  // The binding is served from an informer cache: wait until the identity can really read.
  await vi.waitFor(() => kube.deployments.list({ namespace: 'default' }), { timeout: 30_000, interval: 250 });
  return new KubernetesCluster(async () => kube);
}
