/**
 * The local demo's stand-in data plane against a real local apiserver: the router reads the weights the
 * engine writes (Istio VirtualService, ingress-nginx canary Ingress, Gateway API HTTPRoute) and the canary
 * Deployment's image, splits live traffic accordingly, and the canary's /metrics reflect its image's faults.
 * Needs the Kubernetes binaries built once (`npm run cluster -- build`).
 */
import { AppsV1Api, CustomObjectsApi, KubeConfig, NetworkingV1Api, type V1Deployment } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startDemoWorkload, type DemoWorkload } from '../../../infra/local/demo/demo-stack.js';
import { startDemoRouter, type DemoRouter } from '../../../infra/local/demo/router.js';
import { seedDemoApp } from '../../../infra/local/demo/seed.js';
import type { DemoProvider } from '../../../infra/local/demo/weights.js';
import { startClusters, type LocalClusters } from '../../../infra/local/kubernetes/launcher.js';
import { createClusterRegistry } from '../../../lib/adapters/kubernetes/registry.js';
import { parseCanaryDeployment } from '../../../lib/domain/spec.js';

const MINUTE = 60_000;
const APP = 'myapp';

let local: LocalClusters | undefined;
let kubeconfigPath: string;
let engineKubeconfigPath: string;
let k8s: { apps: AppsV1Api; custom: CustomObjectsApi; networking: NetworkingV1Api };
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  local = await startClusters({ names: ['demo'], nodes: 2 });
  const [cluster] = local.clusters;
  if (!cluster) throw new Error('no cluster started');
  ({ kubeconfigPath, engineKubeconfigPath } = cluster);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  k8s = { apps: kc.makeApiClient(AppsV1Api), custom: kc.makeApiClient(CustomObjectsApi), networking: kc.makeApiClient(NetworkingV1Api) };
}, 15 * MINUTE);

afterAll(async () => {
  for (const stop of cleanups.reverse()) await stop();
  await local?.stop();
}, 2 * MINUTE);

const waitFor = <T>(assertion: () => T | Promise<T>, timeout = 30_000) => vi.waitFor(assertion, { timeout, interval: 200 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The canary Deployment as the engine creates it: the target's pods with `version: canary` and a new image. */
const canaryDeployment = (namespace: string, image: string): V1Deployment => {
  const labels = { app: APP, version: 'canary', 'codedance.io/rollout-role': 'canary' };
  return {
    metadata: { name: `${APP}-canary`, namespace, labels },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image }] } } },
  };
};

const istio = (namespace: string) => ({ group: 'networking.istio.io', version: 'v1', namespace, plural: 'virtualservices', name: APP });
async function setVirtualServiceWeight(namespace: string, canary: number): Promise<void> {
  const vs = await k8s.custom.getNamespacedCustomObject(istio(namespace)) as { spec: Record<string, unknown> };
  const route = [{ destination: { host: APP, subset: 'stable' }, weight: 100 - canary }, { destination: { host: APP, subset: 'canary' }, weight: canary }];
  await k8s.custom.replaceNamespacedCustomObject({ ...istio(namespace), body: { ...vs, spec: { ...vs.spec, http: [{ name: 'primary', route }] } } });
}

/** `http_requests_total` of one /metrics page, by status. */
async function requestsByStatus(target: string): Promise<Record<string, number>> {
  const text = await (await fetch(`http://${target}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^http_requests_total\{[^}]*status="(\d+)"\} (\d+)$/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

describe('demo workload behind an Istio VirtualService', () => {
  let demo: DemoWorkload;

  it('splits live traffic by the weight the engine wrote and shows the faulty canary in its metrics', async () => {
    // Prepare
    demo = await startDemoWorkload({ kubeconfigPath, namespace: 'production', app: APP, provider: 'istio', rps: 40, pollMs: 250 });
    cleanups.push(() => demo.stop());
    const targets = demo.scrapeTargets;
    expect(demo.router.currentWeight()).toBe(0);
    expect(demo.router.status()).toMatchObject({ stable: { present: true, ready: true, image: 'myapp:v1' }, canary: { present: false } });

    // Act: what the engine does at its first step
    await k8s.apps.createNamespacedDeployment({ namespace: 'production', body: canaryDeployment('production', 'myapp:v2-faulty') });
    await setVirtualServiceWeight('production', 30);
    await waitFor(() => expect(demo.router.status()).toMatchObject({ weight: 30, canary: { ready: true, image: 'myapp:v2-faulty' } }));
    demo.load?.reset();
    await sleep(8_000);

    // Assess: ~30 % of ~320 requests (σ ≈ 2.6 points), and the canary's own counters show ~8 % 500s
    const seen = demo.load!.counts();
    expect(seen.total).toBeGreaterThan(200);
    expect(seen.none).toBe(0);
    expect(seen.canary / seen.total).toBeGreaterThan(0.18);
    expect(seen.canary / seen.total).toBeLessThan(0.42);
    expect(seen.errors.stable).toBe(0);
    const canary = await requestsByStatus(targets[1]!);
    const errorRate = (canary['500'] ?? 0) / ((canary['500'] ?? 0) + (canary['200'] ?? 0));
    expect(errorRate).toBeGreaterThan(0.04);
    expect(errorRate).toBeLessThan(0.14);
    expect(await requestsByStatus(targets[0]!)).not.toHaveProperty('500');

    // Act: rollback as the engine does it — weight 0 first, then the canary goes
    await setVirtualServiceWeight('production', 0);
    await k8s.apps.deleteNamespacedDeployment({ name: `${APP}-canary`, namespace: 'production' });
    await waitFor(() => expect(demo.router.status()).toMatchObject({ weight: 0, canary: { present: false } }));
    demo.load?.reset();
    await sleep(2_000);

    // Assess: all traffic stable, and the scrape targets never moved
    const after = demo.load!.counts();
    expect(after.total).toBeGreaterThan(40);
    expect(after).toMatchObject({ canary: 0, none: 0, errors: { stable: 0, canary: 0, none: 0 } });
    expect(demo.scrapeTargets).toEqual(targets);
    expect(demo.router.scrapeTargets()).toEqual(targets);
  }, 3 * MINUTE);
});

describe('weights read from the other providers\' objects', () => {
  async function routerFor(provider: DemoProvider, namespace: string): Promise<DemoRouter> {
    await seedDemoApp({ kubeconfigPath, namespace, provider, replicas: 1 });
    const router = await startDemoRouter({ kubeconfigPath, namespace, app: APP, provider, pollMs: 200 });
    cleanups.push(() => router.stop());
    return router;
  }

  it('ingress-nginx: the canary Ingress annotation, 0 when the canary Ingress is absent', async () => {
    // Prepare
    const router = await routerFor('nginx', 'nginx-demo');
    expect(router.currentWeight()).toBe(0);
    const a = 'nginx.ingress.kubernetes.io/';
    const canaryIngress = {
      metadata: { name: `${APP}-canary`, annotations: { [`${a}canary`]: 'true', [`${a}canary-weight`]: '30' } },
      spec: { ingressClassName: 'nginx', rules: [{ host: `${APP}.local`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: `${APP}-canary`, port: { number: 80 } } } }] } }] },
    };

    // Act + Assess
    await k8s.networking.createNamespacedIngress({ namespace: 'nginx-demo', body: canaryIngress });
    await waitFor(() => expect(router.currentWeight()).toBe(30));
    await k8s.networking.deleteNamespacedIngress({ name: `${APP}-canary`, namespace: 'nginx-demo' });
    await waitFor(() => expect(router.currentWeight()).toBe(0));
  }, 3 * MINUTE);

  it('Gateway API: backendRef weights, each counting 1 when the weight is left out', async () => {
    // Prepare
    const router = await routerFor('gatewayApi', 'gateway-demo');
    expect(router.currentWeight()).toBe(0);
    const api = { group: 'gateway.networking.k8s.io', version: 'v1', namespace: 'gateway-demo', plural: 'httproutes', name: APP };
    const setRefs = async (backendRefs: unknown[]) => {
      const route = await k8s.custom.getNamespacedCustomObject(api) as { spec: Record<string, unknown> };
      await k8s.custom.replaceNamespacedCustomObject({ ...api, body: { ...route, spec: { ...route.spec, rules: [{ backendRefs }] } } });
    };

    // Act + Assess
    await setRefs([{ name: APP, port: 80, weight: 70 }, { name: `${APP}-canary`, port: 80, weight: 30 }]);
    await waitFor(() => expect(router.currentWeight()).toBe(30));
    await setRefs([{ name: APP, port: 80 }, { name: `${APP}-canary`, port: 80 }]);
    await waitFor(() => expect(router.currentWeight()).toBe(50));
  }, 3 * MINUTE);
});

describe('following what the engine\'s own adapter writes', () => {
  it.each(['istio', 'nginx', 'gatewayApi'] as const)('%s: canary up at weight 25, stable promoted, canary gone', async (provider) => {
    // Prepare
    const namespace = `engine-${provider.toLowerCase()}`;
    await seedDemoApp({ kubeconfigPath, namespace, provider, replicas: 1 });
    const router = await startDemoRouter({ kubeconfigPath, namespace, app: APP, provider, pollMs: 200 });
    cleanups.push(() => router.stop());
    const engine = createClusterRegistry([{ name: 'demo', kubeconfig: { path: engineKubeconfigPath } }]).get('demo');
    const { spec } = parseCanaryDeployment({
      apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'CanaryDeployment', metadata: { name: `${APP}-rollout`, namespace },
      spec: { cluster: 'demo', targetDeployment: APP, canaryVersion: 'myapp:v2-slow', trafficRouting: { provider } },
    });

    const rollout = { id: `ro_demo_${provider.toLowerCase()}`, spec };

    // Act + Assess
    await engine.ensureCanary(rollout, 1);
    await engine.setCanaryWeight(rollout, 25);
    await waitFor(() => expect(router.status()).toMatchObject({ weight: 25, canary: { ready: true, image: 'myapp:v2-slow' } }));
    await engine.setStableImage(rollout, 'myapp:v2-slow');
    // Stable selection follows the target's new ReplicaSet once the controller has made it.
    await waitFor(() => engine.setCanaryWeight(rollout, 0));
    await engine.deleteCanary(rollout);
    await waitFor(() => expect(router.status()).toMatchObject({ weight: 0, stable: { image: 'myapp:v2-slow' }, canary: { present: false } }));
  }, 3 * MINUTE);
});
