import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoRolloutStore } from '../lib/adapters/dynamodb/rollout-store.js';
import { LogNotifier } from '../lib/adapters/log/log-notifier.js';
import { NoMetricsSource } from '../lib/adapters/no-metrics.js';
import { PrometheusMetricsSource } from '../lib/adapters/prometheus/metrics-source.js';
import { SqsTickQueue } from '../lib/adapters/sqs/tick-queue.js';
import { StaticClusterRegistry } from '../lib/adapters/static-cluster-registry.js';
import { ssmParameterReader } from '../lib/adapters/ssm/parameters.js';
import { LazyClusterRegistry } from '../lib/adapters/lazy-cluster-registry.js';
import { z } from 'zod';
import type { Dependencies } from '../lib/app/dependencies.js';
import { apiTokensSchema, type ApiToken } from '../lib/http/auth.js';
import { systemClock } from '../lib/ports/clock.js';
import type { ClusterRegistry } from '../lib/ports/cluster.js';
import { readConfig, type EngineConfig } from './config.js';

/**
 * The composition root: the only place that reads configuration and chooses adapters. Built once
 * per Lambda container. Tests replace parts (fake cluster and metrics) through `overrideDependencies`;
 * nothing in functions/ or lib/ ever picks a fake by itself.
 */
let config: EngineConfig | undefined;
let dependencies: Dependencies | undefined;
let overrides: Partial<Dependencies> = {};
let tokens: Promise<ApiToken[]> | undefined;

const engineConfig = (): EngineConfig => (config ??= readConfig());
const readParameter = (() => {
  let reader: ((name: string) => Promise<string>) | undefined;
  return (name: string) => (reader ??= ssmParameterReader())(name);
})();

export const newRolloutId = (): string => `ro_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;

export function getDependencies(): Dependencies {
  if (dependencies) return dependencies;
  const cfg = engineConfig();
  const store = new DynamoRolloutStore(new DynamoDBClient({}), cfg.CODEDANCE_TABLE);
  const clusters = buildClusters(cfg);
  dependencies = {
    store,
    audit: store,
    queue: new SqsTickQueue(new SQSClient({}), { url: cfg.CODEDANCE_TICK_QUEUE_URL, name: cfg.CODEDANCE_TICK_QUEUE_NAME }),
    clusters,
    ...(clusters instanceof LazyClusterRegistry ? { statusMirror: clusters } : {}),
    metrics: cfg.CODEDANCE_PROMETHEUS_URL
      ? new PrometheusMetricsSource({ baseUrl: cfg.CODEDANCE_PROMETHEUS_URL, ...(cfg.CODEDANCE_PROMETHEUS_LABELS ? { labels: cfg.CODEDANCE_PROMETHEUS_LABELS } : {}) })
      : new NoMetricsSource(),
    notifier: new LogNotifier(),
    clock: systemClock,
    newId: newRolloutId,
    ...overrides,
  };
  return dependencies;
}

/** Test seam of the composition root: replaces adapters for the rest of the process. */
export function overrideDependencies(replacements: Partial<Dependencies>): void {
  overrides = { ...overrides, ...replacements };
  dependencies = undefined;
}

export function resetDependencies(): void {
  overrides = {};
  dependencies = undefined;
  config = undefined;
  tokens = undefined;
}

const clusterNames = z.array(z.looseObject({ name: z.string().min(1) }));

function buildClusters(cfg: EngineConfig): ClusterRegistry {
  const configs = cfg.CODEDANCE_CLUSTERS;
  if (configs === undefined) return new StaticClusterRegistry(new Map());
  const names = clusterNames.parse(configs).map((c) => c.name);
  return new LazyClusterRegistry(names, async () => {
    const { createClusterRegistry, clusterRegistryConfigSchema } = await import('../lib/adapters/kubernetes/registry.js');
    return createClusterRegistry(clusterRegistryConfigSchema.parse(configs), readParameter);
  });
}

/** API tokens: the env var locally, a JSON list in SSM on AWS; read once per container. */
export function apiTokens(): Promise<ApiToken[]> {
  tokens ??= (async () => {
    const cfg = engineConfig();
    if (cfg.CODEDANCE_API_TOKENS !== undefined) return apiTokensSchema.parse(cfg.CODEDANCE_API_TOKENS);
    if (cfg.CODEDANCE_API_TOKEN) return [{ name: 'local-admin', token: cfg.CODEDANCE_API_TOKEN, role: 'admin' as const }];
    if (cfg.CODEDANCE_API_TOKEN_PARAMETER) return apiTokensSchema.parse(JSON.parse(await readParameter(cfg.CODEDANCE_API_TOKEN_PARAMETER)));
    throw new Error('No API token is configured: set CODEDANCE_API_TOKEN or CODEDANCE_API_TOKEN_PARAMETER');
  })();
  tokens.catch(() => { tokens = undefined; });
  return tokens;
}
