/**
 * The whole engine on one machine: one local Kubernetes cluster with `myapp` behind an Istio
 * VirtualService, the demo workload (the local stand-in for the mesh data plane) under steady load,
 * Prometheus scraping it every second, and the engine's API, queues and functions. Used by `npm start`
 * and by the end-to-end tests.
 */
import { startLocalApi, type LocalApi } from './api-stack.js';
import { startDemoWorkload, type DemoWorkload } from './demo/demo-stack.js';
import type { DemoProvider } from './demo/weights.js';
import { startClusters, type LocalClusters } from './kubernetes/launcher.js';
import { startPrometheus, type LocalPrometheus } from './prometheus/prometheus.js';

export interface FullStackOptions {
  port?: number;
  stage?: string;
  provider?: DemoProvider;
  rps?: number;
  dataDir?: string;
  log?: (line: string) => void;
  offlineOutput?: (line: string) => void;
  /** Extra environment for the engine, e.g. CODEDANCE_API_TOKENS (tokens with roles) and CODEDANCE_API_TOKEN. */
  env?: NodeJS.ProcessEnv;
}

export interface FullStack {
  api: LocalApi;
  clusters: LocalClusters;
  demo: DemoWorkload;
  prometheus: LocalPrometheus;
  kubeconfigPath: string;
  stop(): Promise<void>;
}

export async function startFullStack(options: FullStackOptions = {}): Promise<FullStack> {
  const log = options.log ?? ((line: string) => process.stderr.write(`[start] ${line}\n`));
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const s of stoppers.reverse()) await s().catch((e: unknown) => log(`stop failed: ${String(e)}`));
  };
  try {
    log('starting the local Kubernetes cluster (the first run builds it from Go modules: 15-25 min)');
    const clusters = await startClusters({ names: ['local'], log });
    stoppers.push(() => clusters.stop());
    const cluster = clusters.clusters[0]!;
    log(`cluster local is up (${cluster.server}); seeding myapp and starting the demo workload`);
    const demo = await startDemoWorkload({ kubeconfigPath: cluster.kubeconfigPath, provider: options.provider ?? 'istio', rps: options.rps ?? 20, log });
    stoppers.push(() => demo.stop());
    log(`starting Prometheus (Debian package, installed when missing), scraping ${demo.scrapeTargets.join(', ')} every second`);
    const prometheus = await startPrometheus({ scrapeTargets: demo.scrapeTargets, scrapeIntervalSeconds: 1 });
    stoppers.push(() => prometheus.stop());
    log('starting the engine (DynamoDB Local, local-aws-sqs, serverless-offline)');
    const api = await startLocalApi({
      port: options.port, stage: options.stage, dataDir: options.dataDir, log, offlineOutput: options.offlineOutput,
      env: {
        ...process.env,
        ...options.env,
        // The engine uses the least-privileged token bound to its ClusterRole, as it would in production.
        CODEDANCE_CLUSTERS: JSON.stringify([{ name: 'default', kubeconfig: { path: cluster.engineKubeconfigPath } }]),
        CODEDANCE_PROMETHEUS_URL: prometheus.url,
      },
    });
    stoppers.push(() => api.stop());
    return { api, clusters, demo, prometheus, kubeconfigPath: cluster.kubeconfigPath, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
