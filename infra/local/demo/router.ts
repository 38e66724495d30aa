/**
 * LOCAL DEMO ONLY — the demo's stand-in for the mesh data plane (Envoy / ingress-nginx). Locally nothing
 * enforces the weights the engine writes, so this router polls the cluster for (a) the canary weight in the
 * traffic object and (b) the images and readiness of Deployments `<app>` and `<app>-canary`, keeps one demo
 * service per version in step (versions.ts), and sends each request to stable or canary at random by weight.
 *
 * Both version servers start at once on ports fixed for the router's life, so a Prometheus config listing
 * scrapeTargets() stays valid; without a canary Deployment the canary server idles (no traffic).
 * Like Envoy, a version with no Ready pod cannot take requests: its share gets 503 "no healthy upstream".
 */
import { Agent, request } from 'node:http';
import { ApiException, AppsV1Api, CustomObjectsApi, KubeConfig, NetworkingV1Api, type V1Deployment } from '@kubernetes/client-node';
import { startDemoService, type DemoService, type DemoVersion } from './versions.js';
import { canaryShareOfHttpRoute, canaryShareOfIngress, canaryShareOfVirtualService, type DemoProvider } from './weights.js';

export interface DemoRouterOptions {
  /** Admin kubeconfig is fine: the router only reads. */
  kubeconfigPath: string;
  namespace: string;
  /** Target Deployment (and stable Service) name. */
  app: string;
  provider: DemoProvider;
  /** VirtualService / stable Ingress / HTTPRoute name; default `app`. */
  routeObject?: string;
  pollMs?: number;
  /** Container whose image decides behaviour; default the first. */
  container?: string;
  /** Fixed ports for the version servers; default free ones. */
  ports?: { stable?: number; canary?: number };
  /** Change log (weight, images, canary up/down); default silent. */
  log?: (line: string) => void;
}

export interface VersionStatus { present: boolean; ready: boolean; image: string; target: string }
export interface RouterStatus {
  provider: DemoProvider;
  routeObject: string;
  weight: number;
  stable: VersionStatus;
  canary: VersionStatus;
  /** Requests answered, by version and HTTP status; `none` = no Ready pod for the chosen version (503). */
  served: Record<DemoVersion | 'none', Record<string, number>>;
  polls: number;
  lastPollAt?: string;
  lastError?: string;
}
export interface RouteResult { version: DemoVersion; status: number; ms: number; unroutable: boolean }

export interface DemoRouter {
  /** Canary share of traffic, 0–100, as last read from the cluster. */
  currentWeight(): number;
  status(): RouterStatus;
  /** host:port of the stable and canary /metrics, fixed for the router's life. */
  scrapeTargets(): string[];
  route(path?: string): Promise<RouteResult>;
  /** Reads the cluster now instead of waiting for the next poll. */
  refresh(): Promise<void>;
  stop(): Promise<void>;
}

const isNotFound = (err: unknown) => err instanceof ApiException && err.code === 404;
const orUndefined = <T>(p: Promise<T>) => p.catch((err: unknown) => { if (isNotFound(err)) return undefined; throw err; });

export async function startDemoRouter(opts: DemoRouterOptions): Promise<DemoRouter> {
  const { namespace, app, provider } = opts;
  const routeObject = opts.routeObject ?? app;
  const log = opts.log ?? (() => undefined);
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfigPath);
  const apps = kc.makeApiClient(AppsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const networking = kc.makeApiClient(NetworkingV1Api);

  const services: Record<DemoVersion, DemoService> = {
    stable: await startDemoService({ app, version: 'stable', image: 'unknown', port: opts.ports?.stable }),
    canary: await startDemoService({ app, version: 'canary', image: 'none', port: opts.ports?.canary }),
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const state = { weight: 0, polls: 0, lastPollAt: undefined as string | undefined, lastError: undefined as string | undefined };
  const live: Record<DemoVersion, { present: boolean; ready: boolean }> = { stable: { present: false, ready: false }, canary: { present: false, ready: false } };
  const served: RouterStatus['served'] = { stable: {}, canary: {}, none: {} };

  const readWeight = async (): Promise<number> => {
    const crd = (group: string, version: string, plural: string) =>
      orUndefined(custom.getNamespacedCustomObject({ group, version, namespace, plural, name: routeObject }) as Promise<unknown>);
    if (provider === 'istio') {
      const vs = await crd('networking.istio.io', 'v1beta1', 'virtualservices');
      return vs === undefined ? 0 : canaryShareOfVirtualService(vs, app);
    }
    if (provider === 'nginx') {
      return canaryShareOfIngress(await orUndefined(networking.readNamespacedIngress({ name: `${routeObject}-canary`, namespace })));
    }
    const route = await crd('gateway.networking.k8s.io', 'v1', 'httproutes');
    return route === undefined ? 0 : canaryShareOfHttpRoute(route, app, namespace);
  };

  const sync = (version: DemoVersion, d: V1Deployment | undefined) => {
    const containers = d?.spec?.template.spec?.containers ?? [];
    const image = (opts.container ? containers.find((c) => c.name === opts.container) : containers[0])?.image;
    const next = { present: d !== undefined, ready: (d?.status?.readyReplicas ?? 0) > 0 };
    if (next.present !== live[version].present) log(`${version}: Deployment ${next.present ? 'appeared' : 'gone'}`);
    live[version] = next;
    const svc = services[version];
    if (image && image !== svc.image()) {
      log(`${version}: image ${svc.image()} → ${image}`);
      svc.setImage(image);
    }
  };

  let inFlight: Promise<void> | undefined;
  const poll = () => (inFlight ??= (async () => {
    try {
      const [weight, stable, canary] = await Promise.all([
        readWeight(),
        orUndefined(apps.readNamespacedDeployment({ name: app, namespace })),
        orUndefined(apps.readNamespacedDeployment({ name: `${app}-canary`, namespace })),
      ]);
      if (weight !== state.weight) log(`weight: canary ${state.weight} % → ${weight} %`);
      state.weight = weight;
      sync('stable', stable);
      sync('canary', canary);
      state.lastError = undefined;
    } catch (err) {
      // Keep routing by the last known state, as a proxy does when its control plane is unreachable.
      state.lastError = err instanceof Error ? err.message : String(err);
    } finally {
      state.polls += 1;
      state.lastPollAt = new Date().toISOString();
      inFlight = undefined;
    }
  })());

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const loop = async () => {
    await poll();
    if (!stopped) timer = setTimeout(() => void loop(), opts.pollMs ?? 500);
  };
  await loop();

  const count = (version: DemoVersion | 'none', status: number) => {
    served[version][status] = (served[version][status] ?? 0) + 1;
  };

  const forward = (svc: DemoService, path: string) => new Promise<number>((resolve) => {
    const req = request({ host: '127.0.0.1', port: svc.port, path, agent, timeout: 10_000 }, (res) => {
      res.resume().on('end', () => resolve(res.statusCode ?? 502)); // body unused; drained so the socket is reused
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(502)); // upstream reset (e.g. during stop) reads as a bad gateway, as in Envoy
    req.end();
  });

  async function route(path = '/'): Promise<RouteResult> {
    const started = performance.now();
    const version: DemoVersion = Math.random() * 100 < state.weight ? 'canary' : 'stable';
    if (stopped || !live[version].ready) {
      count('none', 503);
      return { version, status: 503, ms: performance.now() - started, unroutable: true };
    }
    const status = await forward(services[version], path);
    count(version, status);
    return { version, status, ms: performance.now() - started, unroutable: false };
  }

  const versionStatus = (v: DemoVersion): VersionStatus => ({ ...live[v], image: services[v].image(), target: services[v].target });
  let stopping: Promise<void> | undefined;

  return {
    currentWeight: () => state.weight,
    status: () => ({
      provider, routeObject, weight: state.weight, stable: versionStatus('stable'), canary: versionStatus('canary'),
      served: structuredClone(served), polls: state.polls,
      ...(state.lastPollAt ? { lastPollAt: state.lastPollAt } : {}), ...(state.lastError ? { lastError: state.lastError } : {}),
    }),
    scrapeTargets: () => [services.stable.target, services.canary.target],
    route,
    refresh: async () => { await inFlight; await poll(); }, // a poll already running may predate the change
    stop: () => (stopping ??= (async () => {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      agent.destroy();
      await Promise.all([services.stable.stop(), services.canary.stop()]);
    })()),
  };
}
