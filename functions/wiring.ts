import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoRolloutStore } from '../lib/adapters/dynamodb/rollout-store.js';
import { DynamoReleaseStore } from '../lib/adapters/dynamodb/release-store.js';
import { LogNotifier } from '../lib/adapters/log/log-notifier.js';
import { DynamoDeliveryClaims } from '../lib/adapters/notifications/delivery-claims.js';
import { FanOutNotifier } from '../lib/adapters/notifications/fan-out.js';
import { HttpNotificationSender } from '../lib/adapters/notifications/http-sender.js';
import { QueueingNotifier } from '../lib/adapters/notifications/queueing-notifier.js';
import { isAllowedUrl, parseAllowlist } from '../lib/adapters/outbound-allowlist.js';
import { SlackApi } from '../lib/adapters/slack/slack-api.js';
import { HttpGateHookCaller } from '../lib/adapters/webhooks/gate-hook-client.js';
import { SlackApprovalNotifier } from '../lib/adapters/slack/slack-approval-notifier.js';
import { NoMetricsSource } from '../lib/adapters/no-metrics.js';
import { PrometheusMetricsSource } from '../lib/adapters/prometheus/metrics-source.js';
import { SqsTickQueue } from '../lib/adapters/sqs/tick-queue.js';
import { StaticClusterRegistry } from '../lib/adapters/static-cluster-registry.js';
import { ssmParameterReader } from '../lib/adapters/ssm/parameters.js';
import { LazyClusterRegistry } from '../lib/adapters/lazy-cluster-registry.js';
import { z } from 'zod';
import type { Dependencies } from '../lib/app/dependencies.js';
import type { DeliveryDependencies } from '../lib/app/deliver-notification.js';
import { notificationDestination } from '../lib/domain/spec-schema.js';
import { apiTokensSchema, type ApiToken } from '../lib/http/auth.js';
import { systemClock } from '../lib/ports/clock.js';
import type { ClusterRegistry } from '../lib/ports/cluster.js';
import type { Notifier } from '../lib/ports/notifier.js';
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
let delivery: DeliveryDependencies | undefined;
let slack: SlackApi | null | undefined;

const engineConfig = (): EngineConfig => (config ??= readConfig());
// One client per AWS service and one parsed allowlist per container, shared by every adapter.
let aws: { dynamodb: DynamoDBClient; sqs: SQSClient } | undefined;
const awsClients = () => (aws ??= { dynamodb: new DynamoDBClient({}), sqs: new SQSClient({}) });
let allowlist: string[] | undefined;
const outboundAllowlist = (): string[] => (allowlist ??= parseAllowlist(engineConfig().CODEDANCE_OUTBOUND_ALLOWLIST));

/** A secret given as a value (local) or as the name of an SSM parameter (AWS); undefined when neither. */
async function secretSetting(value: string | undefined, parameter: string | undefined): Promise<string | undefined> {
  if (value !== undefined) return value;
  return parameter === undefined ? undefined : readParameter(parameter);
}
const readParameter = (() => {
  let reader: ((name: string) => Promise<string>) | undefined;
  return (name: string) => (reader ??= ssmParameterReader())(name);
})();

export const newRolloutId = (): string => `ro_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
export const newReleaseId = (): string => `rel_${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;

export function getDependencies(): Dependencies {
  if (dependencies) return dependencies;
  const cfg = engineConfig();
  const store = new DynamoRolloutStore(awsClients().dynamodb, cfg.CODEDANCE_TABLE);
  const clusters = buildClusters(cfg);
  dependencies = {
    store,
    audit: store,
    releases: new DynamoReleaseStore(awsClients().dynamodb, cfg.CODEDANCE_TABLE),
    queue: new SqsTickQueue(awsClients().sqs, { url: cfg.CODEDANCE_TICK_QUEUE_URL, name: cfg.CODEDANCE_TICK_QUEUE_NAME }),
    clusters,
    ...(clusters instanceof LazyClusterRegistry ? { statusMirror: clusters, canaryObjects: (cluster: string) => clusters.objects(cluster) } : {}),
    metrics: cfg.CODEDANCE_PROMETHEUS_URL
      ? new PrometheusMetricsSource({ baseUrl: cfg.CODEDANCE_PROMETHEUS_URL, ...(cfg.CODEDANCE_PROMETHEUS_LABELS ? { labels: cfg.CODEDANCE_PROMETHEUS_LABELS } : {}) })
      : new NoMetricsSource(),
    notifier: withSlackApprovals(buildNotifier(cfg)),
    gateHooks: new HttpGateHookCaller(outboundAllowlist()),
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
  slack = undefined;
  delivery = undefined;
  aws = undefined;
  allowlist = undefined;
}

/** Log lines always; the delivery queue too when one is configured (the notify function sends from it). */
function buildNotifier(cfg: EngineConfig): Notifier {
  const log = new LogNotifier();
  if (!cfg.CODEDANCE_NOTIFICATION_QUEUE_URL && !cfg.CODEDANCE_NOTIFICATION_QUEUE_NAME) return log;
  const queueing = new QueueingNotifier(awsClients().sqs, {
    queue: { url: cfg.CODEDANCE_NOTIFICATION_QUEUE_URL, name: cfg.CODEDANCE_NOTIFICATION_QUEUE_NAME },
    globals: z.array(notificationDestination).parse(cfg.CODEDANCE_NOTIFICATIONS ?? []),
    isAllowed: allowedUrl(),
  });
  return new FanOutNotifier([log, queueing]);
}

const allowedUrl = () => {
  const allowlist = outboundAllowlist();
  return (url: string): boolean => isAllowedUrl(url, allowlist);
};

/** What the notify function needs: claims on the rollouts table, the HTTP sender, the allowlist. */
export function getDeliveryDependencies(): DeliveryDependencies {
  if (delivery) return delivery;
  const cfg = engineConfig();
  delivery = {
    claims: new DynamoDeliveryClaims(awsClients().dynamodb, cfg.CODEDANCE_TABLE),
    // A destination secret is named: an env var of that name locally, else an SSM parameter (AWS).
    sender: new HttpNotificationSender({ resolveSecret: async (name) => process.env[name] ?? readParameter(name) }),
    isAllowed: allowedUrl(),
    clock: systemClock,
  };
  return delivery;
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

/**
 * A cluster entry's settings beside its connection (validated strictly by the registry's schema when the
 * adapter loads); read here without loading the Kubernetes adapter.
 */
const clusterSettings = z.array(z.looseObject({
  name: z.string().min(1), webhookSecret: z.string().optional(), webhookSecretParameter: z.string().optional(), namespaces: z.array(z.string()).optional(),
}));
const clusterEntry = (cluster: string) => clusterSettings.parse(engineConfig().CODEDANCE_CLUSTERS ?? []).find((c) => c.name === cluster);

/** The namespaces a cluster's sync lists (undefined: all of them); the webhook's push has the same scope. */
export const clusterNamespaces = (cluster: string): string[] | undefined => clusterEntry(cluster)?.namespaces;

/**
 * A cluster's admission webhook: its path secret (a value locally, an SSM parameter on AWS; never logged)
 * and scope. Undefined for an unregistered cluster; no secret when the webhook is not enabled for it.
 */
export async function clusterWebhook(cluster: string): Promise<{ secret?: string; namespaces?: string[] } | undefined> {
  const entry = clusterEntry(cluster);
  if (!entry) return undefined;
  const secret = await secretSetting(entry.webhookSecret, entry.webhookSecretParameter);
  return { ...(secret !== undefined ? { secret } : {}), ...(entry.namespaces ? { namespaces: entry.namespaces } : {}) };
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

/** The Slack Web API client, when a bot token is configured (a value locally, an SSM parameter on AWS). */
export function slackApi(): SlackApi | undefined {
  if (slack !== undefined) return slack ?? undefined;
  const cfg = engineConfig();
  const configured = cfg.CODEDANCE_SLACK_BOT_TOKEN !== undefined || cfg.CODEDANCE_SLACK_BOT_TOKEN_PARAMETER !== undefined;
  const botToken = async (): Promise<string> => (await secretSetting(cfg.CODEDANCE_SLACK_BOT_TOKEN, cfg.CODEDANCE_SLACK_BOT_TOKEN_PARAMETER)) ?? '';
  slack = configured ? new SlackApi({ baseUrl: cfg.CODEDANCE_SLACK_API_URL, botToken, allowlist: outboundAllowlist() }) : null;
  return slack ?? undefined;
}

/** Approval requests with buttons go to Slack when it is configured, beside the general notifier. */
function withSlackApprovals(notifier: Notifier): Notifier {
  const api = slackApi();
  return api ? new SlackApprovalNotifier(api, notifier) : notifier;
}

/** Slack's request signing secret, or undefined when Slack interactions are not configured. */
export function slackSigningSecret(): Promise<string | undefined> {
  const cfg = engineConfig();
  return secretSetting(cfg.CODEDANCE_SLACK_SIGNING_SECRET, cfg.CODEDANCE_SLACK_SIGNING_SECRET_PARAMETER);
}

/** One-time claims on the rollouts table: notification deliveries and callback-link nonces share them. */
export const deliveryClaims = (): DeliveryDependencies['claims'] => getDeliveryDependencies().claims;

/** The HMAC key of callback links, or undefined when they are not configured. */
export function callbackSecret(): Promise<string | undefined> {
  const cfg = engineConfig();
  return secretSetting(cfg.CODEDANCE_CALLBACK_SECRET, cfg.CODEDANCE_CALLBACK_SECRET_PARAMETER);
}
