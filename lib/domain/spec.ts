import { canaryDeploymentSchema, type CanaryDeploymentDocument, type HOOK_TYPES, type notificationDestination } from './spec-schema.js';
import type { z } from 'zod';

export type NotificationDestination = z.infer<typeof notificationDestination>;
export type HookType = (typeof HOOK_TYPES)[number];
export interface GateHook { name: string; type: HookType; url: string; timeoutMs: number; onFailure: 'wait' | 'reject' }
import { parseDuration } from './duration.js';
import { buildSteps, type Step, type StrategyType } from './strategy.js';
import { ValidationError, issuesToDetails } from './validation.js';

/** Which object moves traffic and what it is called. Names default to the target Deployment's. */
export interface TrafficRouting {
  provider: 'istio' | 'nginx' | 'gatewayApi';
  /** VirtualService, Ingress or HTTPRoute name. */
  routeObject: string;
  /** DestinationRule name (Istio only). */
  destinationRule: string;
  /** Named HTTP routes of the VirtualService to weight; empty means those reaching the stable host. */
  routes: string[];
  stableService: string;
  canaryService: string;
  /** Optional A/B routing: requests with this header (or cookie) go to the canary regardless of weight. */
  match?: { header?: string; value?: string; cookie?: string };
}

export interface CustomMetric { name: string; query: string; min?: number; max?: number; weight: number }

export interface Thresholds {
  /** Minimum share of 2xx responses, percent. */
  successRate?: number;
  /** Maximum share of 5xx responses, percent. */
  errorRate?: number;
  /** Maximum latency per percentile, milliseconds. */
  latencyMs: { p50?: number; p90?: number; p99?: number };
  custom: CustomMetric[];
}

export interface ScoreWeights { successRate: number; latency: number; errorRate: number }

export interface AnalysisSettings {
  intervalMs: number;
  windowMs: number;
  /** Below this many canary requests in the window the analysis is inconclusive. */
  minRequests: number;
  /** Failed analyses tolerated before rolling back (0: the first failure rolls back). */
  failureLimit: number;
  /** Consecutive inconclusive analyses that pause the rollout. */
  inconclusiveLimit: number;
  /** When set, each analysis also compares canary with stable; a significant, relevant regression fails it. */
  comparison?: { confidence: number; minEffect: { errorRatePoints: number; latencyMs: number } };
}

/** The normalised spec the engine works from: every default applied, every duration in ms. */
export interface RolloutSpec {
  name: string;
  namespace: string;
  cluster: string;
  targetDeployment: string;
  container?: string;
  canaryImage: string;
  strategy: StrategyType;
  steps: Step[];
  approvalBeforePromotion: boolean;
  approvalTimeoutMs?: number;
  onApprovalTimeout: 'reject' | 'wait';
  /** Slack channel for approval requests and who may answer them. */
  approvalSlack?: { channel: string; allowedUsers: string[]; allowedGroups: string[] };
  /** Per-rollout notification destinations (global ones come from configuration). */
  notifications: NotificationDestination[];
  /** Outbound gate hooks; see gate-hooks.ts for what each type does. */
  webhooks: GateHook[];
  thresholds: Thresholds;
  scoreWeights: ScoreWeights;
  autoRollback: { enabled: boolean; onMetricsFail: boolean; onPodCrash: boolean };
  analysis: AnalysisSettings;
  progressDeadlineMs: number;
  trafficRouting: TrafficRouting;
  /** How many canary replicas run; see canaryReplicas(). */
  canaryScale: CanaryScale;
  /** Time between traffic confirmed off the canary and its deletion. */
  scaleDownDelayMs: number;
}

export type CanaryScale = { type: 'MatchTarget' } | { type: 'Proportional' } | { type: 'Fixed'; replicas: number };

/** Canary replicas for a weight: MatchTarget = target's, Proportional = ceil(weight x target), at least 1. */
export function canaryReplicas(scale: CanaryScale, weightPercent: number, targetReplicas: number): number {
  switch (scale.type) {
    case 'Fixed': return scale.replicas;
    case 'Proportional': return Math.max(1, Math.ceil((weightPercent * targetReplicas) / 100));
    case 'MatchTarget': return Math.max(1, targetReplicas);
  }
}

export const DEFAULT_CLUSTER = 'default';
const ms = (text: string | undefined, fallback: number): number => (text === undefined ? fallback : parseDuration(text) ?? fallback);
const latency = (value: string | number | undefined): number | undefined =>
  typeof value === 'number' ? value : value === undefined ? undefined : parseDuration(value);

/** Parses and validates a CanaryDeployment document; throws ValidationError listing every problem. */
export function parseCanaryDeployment(input: unknown): { document: CanaryDeploymentDocument; spec: RolloutSpec } {
  const result = canaryDeploymentSchema.safeParse(input);
  if (!result.success) throw new ValidationError('The CanaryDeployment is invalid', issuesToDetails(result.error.issues));
  return { document: result.data, spec: normaliseSpec(result.data) };
}

export function normaliseSpec(doc: CanaryDeploymentDocument): RolloutSpec {
  const { spec, metadata } = doc;
  const strategyType = spec.strategy?.type ?? 'Linear';
  const explicitSteps = spec.strategy?.steps?.map((s) => ({ weight: s.weight, pauseMs: ms(s.pause, 0) }));
  const metrics = spec.metrics;
  const noMetricsGiven = metrics === undefined;
  const routing = spec.trafficRouting;
  const target = spec.targetDeployment;
  return {
    name: metadata.name,
    namespace: metadata.namespace ?? 'default',
    cluster: spec.cluster ?? DEFAULT_CLUSTER,
    targetDeployment: target,
    ...(spec.container ? { container: spec.container } : {}),
    canaryImage: spec.canaryVersion,
    strategy: strategyType,
    steps: buildSteps(strategyType, explicitSteps, spec.strategy?.pause === undefined ? undefined : ms(spec.strategy.pause, 0), spec.approvals?.beforeSteps),
    approvalBeforePromotion: spec.approvals?.beforePromotion ?? false,
    ...(spec.approvals?.timeout ? { approvalTimeoutMs: ms(spec.approvals.timeout, 0) } : {}),
    onApprovalTimeout: spec.approvals?.onTimeout ?? 'wait',
    ...(spec.approvals?.slack ? { approvalSlack: { channel: spec.approvals.slack.channel, allowedUsers: spec.approvals.slack.allowedUsers ?? [], allowedGroups: spec.approvals.slack.allowedGroups ?? [] } } : {}),
    notifications: spec.notifications ?? [],
    webhooks: (spec.webhooks ?? []).map((h) => ({ name: h.name, type: h.type, url: h.url, timeoutMs: ms(h.timeout, 5_000), onFailure: h.onFailure ?? 'wait' })),
    thresholds: {
      // The product's defaults apply when the user says nothing about metrics at all; once a
      // metrics block is given, only what it names is judged.
      successRate: metrics?.successRate?.threshold ?? (noMetricsGiven ? 99 : undefined),
      errorRate: metrics?.errorRate?.threshold ?? (noMetricsGiven ? 1 : undefined),
      latencyMs: metrics?.latency
        ? { p50: latency(metrics.latency.p50), p90: latency(metrics.latency.p90), p99: latency(metrics.latency.p99) }
        : noMetricsGiven ? { p99: 500 } : {},
      custom: (metrics?.custom ?? []).map((c) => ({ ...c, weight: c.weight ?? 0 })),
    },
    scoreWeights: { successRate: 40, latency: 30, errorRate: 30, ...metrics?.weights },
    autoRollback: {
      enabled: spec.autoRollback?.enabled ?? true,
      onMetricsFail: spec.autoRollback?.onMetricsFail ?? true,
      onPodCrash: spec.autoRollback?.onPodCrash ?? true,
    },
    analysis: {
      intervalMs: ms(spec.analysis?.interval, 30_000),
      windowMs: ms(spec.analysis?.window, 60_000),
      minRequests: spec.analysis?.minRequests ?? 20,
      failureLimit: spec.analysis?.failureLimit ?? 0,
      inconclusiveLimit: spec.analysis?.inconclusiveLimit ?? 3,
      ...comparisonOf(spec.analysis?.compareWithStable),
    },
    progressDeadlineMs: ms(spec.progressDeadline, 10 * 60_000),
    canaryScale: spec.canaryScale?.type === 'Fixed' ? { type: 'Fixed', replicas: spec.canaryScale.replicas ?? 1 } : { type: spec.canaryScale?.type ?? 'MatchTarget' },
    scaleDownDelayMs: ms(spec.scaleDownDelay, 30_000),
    trafficRouting: {
      provider: routing?.provider ?? 'istio',
      routeObject: routing?.istio?.virtualService ?? routing?.nginx?.ingress ?? routing?.gatewayApi?.httpRoute ?? target,
      destinationRule: routing?.istio?.destinationRule ?? target,
      routes: routing?.istio?.routes ?? [],
      stableService: routing?.stableService ?? target,
      canaryService: routing?.canaryService ?? `${target}-canary`,
      ...(routing?.match ? { match: routing.match } : {}),
    },
  };
}

type CompareInput = NonNullable<NonNullable<CanaryDeploymentDocument['spec']['analysis']>['compareWithStable']>;

function comparisonOf(input: CompareInput | undefined): Pick<AnalysisSettings, 'comparison'> {
  if (!input || input.enabled === false) return {};
  return {
    comparison: {
      confidence: input.confidence ?? 0.95,
      minEffect: { errorRatePoints: input.minEffect?.errorRate ?? 0.5, latencyMs: latency(input.minEffect?.latency) ?? 25 },
    },
  };
}
