/**
 * LOCAL DEMO ONLY — the whole stand-in for a mesh data plane with live traffic, in one call: seed the demo
 * app into the cluster (seed.ts), start the router that enforces the engine's weights over two local version
 * servers (router.ts, versions.ts) and a steady load through it (load.ts). Prometheus scrapes
 * `scrapeTargets` (fixed for the stack's life), so its config can be written once after start.
 *
 *   const demo = await startDemoWorkload({ kubeconfigPath, provider: 'istio' });
 *   // ... run rollouts against namespace production / Deployment myapp ...
 *   await demo.stop();
 */
import { startLoad, type Load } from './load.js';
import { startDemoRouter, type DemoRouter } from './router.js';
import { seedDemoApp } from './seed.js';
import type { DemoProvider } from './weights.js';

export interface DemoWorkloadOptions {
  /** Admin kubeconfig: seeding creates the namespace and the route object. */
  kubeconfigPath: string;
  namespace?: string;
  app?: string;
  provider?: DemoProvider;
  /** Requests per second of the load generator (default 20); 0 = no load. */
  rps?: number;
  /** Stable image to seed (default `myapp:v1`). */
  image?: string;
  replicas?: number;
  pollMs?: number;
  /** Fixed version-server ports, e.g. to match a Prometheus config written before start. */
  ports?: { stable?: number; canary?: number };
  log?: (line: string) => void;
}

export interface DemoWorkload {
  router: DemoRouter;
  /** Absent when rps is 0. */
  load?: Load;
  /** host:port of the stable and canary /metrics. */
  scrapeTargets: string[];
  namespace: string;
  app: string;
  stop(): Promise<void>;
}

export async function startDemoWorkload(opts: DemoWorkloadOptions): Promise<DemoWorkload> {
  const seeded = await seedDemoApp({
    kubeconfigPath: opts.kubeconfigPath, namespace: opts.namespace, app: opts.app, image: opts.image,
    provider: opts.provider, replicas: opts.replicas,
  });
  const router = await startDemoRouter({
    kubeconfigPath: opts.kubeconfigPath, namespace: seeded.namespace, app: seeded.app, provider: seeded.provider,
    pollMs: opts.pollMs, ports: opts.ports, log: opts.log,
  });
  const rps = opts.rps ?? 20;
  const load = rps > 0 ? startLoad({ router, rps }) : undefined;
  let stopping: Promise<void> | undefined;
  return {
    router,
    ...(load ? { load } : {}),
    scrapeTargets: router.scrapeTargets(),
    namespace: seeded.namespace,
    app: seeded.app,
    // Load first, so no request is cut off by the router going away under it.
    stop: () => (stopping ??= (async () => { await load?.stop(); await router.stop(); })()),
  };
}
