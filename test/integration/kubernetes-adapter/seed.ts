/**
 * Seeding for the adapter's integration tests, done with the ADMIN kubeconfig (the engine's token may not
 * create namespaces or route objects): a target Deployment with a sidecar, its Service and one route object.
 */
import {
  AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, KubernetesObjectApi, NetworkingV1Api, type KubernetesObject,
} from '@kubernetes/client-node';
import { parseCanaryDeployment, type RolloutSpec } from '../../../lib/domain/spec.js';

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
  };
}
export type Admin = ReturnType<typeof adminClients>;

export const TARGET = 'web';
export const STABLE_IMAGE = 'demo:v1';

/** Namespace, target Deployment (sidecar first, so `spec.container` matters), Service, route object. */
export function manifests(namespace: string, provider: Provider, routeName = TARGET): KubernetesObject[] {
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
          metadata: { labels: { app: TARGET, version: 'v1' } },
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
