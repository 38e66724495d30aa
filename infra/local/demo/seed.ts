/**
 * LOCAL DEMO ONLY — what a user has in the cluster before the first rollout: the app's namespace, its
 * Deployment and Service, and the traffic object of the chosen provider at 100 % stable. Uses the ADMIN
 * kubeconfig (the engine's token may not create namespaces or route objects). Idempotent: objects that
 * already exist are left as they are, so a demo can be re-seeded over a running cluster.
 */
import { ApiException, AppsV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, type KubernetesObject, type V1Deployment } from '@kubernetes/client-node';
import type { DemoProvider } from './weights.js';

export interface SeedOptions {
  kubeconfigPath: string;
  namespace?: string;
  app?: string;
  image?: string;
  provider?: DemoProvider;
  replicas?: number;
  /** How long to wait for the Deployment to become Available (default 120 s). */
  timeoutMs?: number;
}

export interface SeededApp { namespace: string; app: string; image: string; provider: DemoProvider }

/** The objects, in creation order (pure). */
export function demoManifests(o: Required<Omit<SeedOptions, 'kubeconfigPath' | 'timeoutMs'>>): KubernetesObject[] {
  const { namespace, app, image, provider, replicas } = o;
  const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace, labels: { app }, ...extra });
  const stableLabels = { app, version: 'stable' };
  const deployment: V1Deployment = {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta(app),
    spec: {
      replicas,
      selector: { matchLabels: stableLabels },
      template: {
        metadata: { labels: stableLabels },
        spec: { containers: [{ name: 'app', image, ports: [{ name: 'http', containerPort: 8080 }] }] },
      },
    },
  };
  // Istio splits one Service's endpoints by subset, so it selects every version; ingress-nginx and Gateway
  // API split between Services, so `<app>` must select stable pods only (the engine adds `<app>-canary`).
  const selector = provider === 'istio' ? { app } : stableLabels;
  const service = {
    apiVersion: 'v1', kind: 'Service', metadata: meta(app),
    spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
  const route: Record<DemoProvider, KubernetesObject[]> = {
    istio: [
      {
        apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: meta(app),
        spec: { hosts: [app], http: [{ name: 'primary', route: [
          { destination: { host: app, subset: 'stable' }, weight: 100 },
          { destination: { host: app, subset: 'canary' }, weight: 0 },
        ] }] },
      } as KubernetesObject,
      {
        apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: meta(app),
        spec: { host: app, subsets: [{ name: 'stable', labels: { version: 'stable' } }, { name: 'canary', labels: { version: 'canary' } }] },
      } as KubernetesObject,
    ],
    nginx: [{
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: meta(app),
      spec: {
        ingressClassName: 'nginx',
        rules: [{ host: `${app}.local`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: app, port: { number: 80 } } } }] } }],
      },
    } as KubernetesObject],
    gatewayApi: [{
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: meta(app),
      spec: { parentRefs: [{ name: 'gateway' }], rules: [{ backendRefs: [{ name: app, port: 80, weight: 100 }] }] },
    } as KubernetesObject],
  };
  return [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, deployment as KubernetesObject, service as KubernetesObject, ...route[provider]];
}

export async function seedDemoApp(opts: SeedOptions): Promise<SeededApp> {
  const o = {
    namespace: opts.namespace ?? 'production', app: opts.app ?? 'myapp', image: opts.image ?? 'myapp:v1',
    provider: opts.provider ?? 'istio', replicas: opts.replicas ?? 2,
  };
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfigPath);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  for (const m of demoManifests(o)) {
    await objects.create(m).catch((err: unknown) => {
      if (err instanceof ApiException && err.code === 409) return; // AlreadyExists: seeding is idempotent
      throw new Error(`seed ${m.kind} ${o.namespace}/${m.metadata?.name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    });
  }
  await waitAvailable(kc, o.namespace, o.app, opts.timeoutMs ?? 120_000);
  return { namespace: o.namespace, app: o.app, image: o.image, provider: o.provider };
}

/** Available = the controller saw this generation and enough pods are Ready (kwok makes them so in ~1 s). */
async function waitAvailable(kc: KubeConfig, namespace: string, name: string, timeoutMs: number): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const deadline = Date.now() + timeoutMs;
  let last = 'not read yet';
  while (Date.now() < deadline) {
    const d = await apps.readNamespacedDeployment({ name, namespace });
    const available = d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;
    const current = (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1);
    if (available && current && (d.status?.readyReplicas ?? 0) >= 1) return;
    last = `ready ${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? '?'}, conditions ${JSON.stringify(d.status?.conditions ?? [])}`;
    await new Promise((r) => setTimeout(r, 250));
  }
  const pods = await describePods(kc, namespace, name).catch((err: unknown) => `pods unreadable: ${String(err)}`);
  throw new Error(`Deployment ${namespace}/${name} on ${kc.getCurrentCluster()?.server} not available after ${timeoutMs} ms: ${last}; ${pods}`);
}

/** Which layer stalled: no pod (ReplicaSet controller), unbound (scheduler), bound but Pending (kwok). */
async function describePods(kc: KubeConfig, namespace: string, app: string): Promise<string> {
  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: `app=${app}` });
  if (pods.items.length === 0) return 'no pods';
  return `pods ${JSON.stringify(pods.items.map((p) => ({
    name: p.metadata?.name, node: p.spec?.nodeName ?? null, phase: p.status?.phase,
    ready: p.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? null, deleting: Boolean(p.metadata?.deletionTimestamp),
  })))}`;
}
