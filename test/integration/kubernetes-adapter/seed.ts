/**
 * Seeding for the adapter's integration tests, done with the ADMIN kubeconfig (the engine's token may not
 * create namespaces or route objects): a target Deployment with a sidecar, its Service and one route object.
 */
import {
  AppsV1Api, CoreV1Api, CustomObjectsApi, DiscoveryV1Api, KubeConfig, KubernetesObjectApi, NetworkingV1Api, type KubernetesObject,
} from '@kubernetes/client-node';
import { expect, vi } from 'vitest';
import { startClusters, type LocalClusters } from '../../../infra/local/kubernetes/launcher.js';
import { createClusterRegistry, type KubernetesClusterRegistry } from '../../../lib/adapters/kubernetes/registry.js';
import { parseCanaryDeployment, type RolloutSpec } from '../../../lib/domain/spec.js';
import type { RolloutRef } from '../../../lib/ports/cluster.js';

export type Provider = RolloutSpec['trafficRouting']['provider'];

export function adminClients(kubeconfigPath: string) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return {
    kc,
    objects: KubernetesObjectApi.makeApiClient(kc),
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    discovery: kc.makeApiClient(DiscoveryV1Api),
  };
}
export type Admin = ReturnType<typeof adminClients>;

export const TARGET = 'web';
export const STABLE_IMAGE = 'demo:v1';

/**
 * Namespace, target Deployment (sidecar first, so `spec.container` matters), Service, route object.
 * `versionLabel: false` is the shape most users write and the one that exposes canary pods to stable
 * selection: pods labelled only `app: web`, a Service selecting just `app: web`, no `version` label.
 */
export function manifests(namespace: string, provider: Provider, routeName = TARGET, opts: { versionLabel?: boolean } = {}): KubernetesObject[] {
  const meta = (name: string) => ({ name, namespace });
  const route: Record<Provider, KubernetesObject & { spec: unknown }> = {
    istio: {
      apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta(routeName),
      spec: { hosts: [TARGET], http: [{ name: 'primary', timeout: '5s', route: [{ destination: { host: TARGET, port: { number: 80 } } }] }] },
    },
    nginx: {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta(routeName),
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: 'web.example.com', http: { paths: [
          { path: '/', pathType: 'Prefix', backend: { service: { name: TARGET, port: { number: 80 } } } },
          { path: '/other', pathType: 'Prefix', backend: { service: { name: 'other', port: { number: 80 } } } },
        ] } }],
      },
    },
    gatewayApi: {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta(routeName),
      spec: { parentRefs: [{ name: 'gateway' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], backendRefs: [{ name: TARGET, port: 80 }] }] },
    },
  };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { ...meta(TARGET), labels: { app: TARGET } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: TARGET } },
        template: {
          metadata: { labels: { app: TARGET, ...(opts.versionLabel === false ? {} : { version: 'v1' }) } },
          spec: { containers: [{ name: 'proxy', image: 'envoy:1.30' }, { name: 'app', image: STABLE_IMAGE, ports: [{ containerPort: 8080 }] }] },
        },
      },
    } as KubernetesObject,
    {
      apiVersion: 'v1', kind: 'Service', metadata: meta(TARGET),
      spec: { selector: { app: TARGET }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    } as KubernetesObject,
    route[provider],
  ];
}

export async function seed(admin: Admin, objects: KubernetesObject[]): Promise<void> {
  for (const o of objects) await admin.objects.create(o);
}

/**
 * Until the deployment controller has made the target's ReplicaSet (and its pods are Ready), the engine
 * cannot narrow stable selection to it: ensureCanary would fail with a transient error.
 */
export async function targetReady(admin: Admin, namespace: string, name = TARGET): Promise<void> {
  await vi.waitFor(async () => {
    const d = await admin.apps.readNamespacedDeployment({ name, namespace });
    expect(d.metadata?.annotations?.['deployment.kubernetes.io/revision']).toBeDefined();
    expect(d.status?.observedGeneration).toBe(d.metadata?.generation);
    expect(d.status?.availableReplicas ?? 0).toBe(d.spec?.replicas);
    expect(d.status?.replicas).toBe(d.spec?.replicas);
  }, { timeout: 90_000, interval: 250 });
}

/** Namespaces go away in the background (namespace controller); tests use a fresh one each. */
export async function dropNamespace(admin: Admin, namespace: string): Promise<void> {
  await admin.core.deleteNamespace({ name: namespace }).catch(() => undefined);
}

export function specFor(namespace: string, provider: Provider, extra: { canaryVersion?: string; trafficRouting?: Record<string, unknown> } = {}): RolloutSpec {
  return parseCanaryDeployment({
    apiVersion: 'deploy.codedance.io/v1alpha1',
    kind: 'CanaryDeployment',
    metadata: { name: 'web-rollout', namespace },
    spec: {
      cluster: 'adapter',
      targetDeployment: TARGET,
      container: 'app',
      canaryVersion: extra.canaryVersion ?? 'demo:v2',
      progressDeadline: '2m',
      trafficRouting: { provider, ...extra.trafficRouting },
    },
  }).spec;
}

/** A rollout of `spec` with an id, as the engine passes it to every ClusterPort call. */
export const rolloutOf = (spec: RolloutSpec, id = 'ro_test1'): RolloutRef => ({ id, spec });

/** One local cluster for an adapter test file, with the admin's clients and the engine's registry. */
export async function startAdapterCluster(): Promise<{ local: LocalClusters; admin: Admin; registry: KubernetesClusterRegistry }> {
  const local = await startClusters({ names: ['adapter'], nodes: 2 });
  const [cluster] = local.clusters;
  if (!cluster) throw new Error('no cluster started');
  const registry = createClusterRegistry([{ name: 'adapter', kubeconfig: { path: cluster.engineKubeconfigPath } }]);
  return { local, admin: adminClients(cluster.kubeconfigPath), registry };
}
