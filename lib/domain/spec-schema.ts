import { z } from 'zod';
import { parseDuration } from './duration.js';

/**
 * The `CanaryDeployment` document exactly as users write it (apiVersion deploy.codedance.io/v1alpha1).
 * Objects are strict so a misspelt field is reported with its path instead of being ignored.
 * Defaults are applied later, in spec.ts, so this schema stays a faithful description of the input.
 */

// Kubernetes object names: DNS-1123 subdomain (Deployments) and DNS-1123 label (namespaces).
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// Container image reference: registry/path:tag@digest, no whitespace; validated loosely on purpose,
// the registry is the authority on what exists.
export const IMAGE = /^[a-z0-9][a-z0-9._\-/:@]*$/i;

export const kubernetesName = z
  .string()
  .max(253, 'must be at most 253 characters')
  .regex(DNS_SUBDOMAIN, 'must be a valid Kubernetes name: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit');

export const kubernetesLabel = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(DNS_LABEL, 'must be a valid Kubernetes namespace: lower-case letters, digits and "-", starting and ending with a letter or digit');

export const duration = z
  .string()
  .refine((text) => parseDuration(text) !== undefined, 'must be a duration such as 300ms, 30s, 10m or 1h30m');

/** Latency thresholds accept a duration (`300ms`) or a number of milliseconds. */
const latencyLimit = z.union([duration, z.number().positive('must be a positive number of milliseconds')]);
const percent = z.number().min(0, 'must be between 0 and 100').max(100, 'must be between 0 and 100');

const step = z.strictObject({
  weight: z.number().int('must be a whole number').min(1, 'must be between 1 and 100').max(100, 'must be between 1 and 100'),
  pause: duration.optional(),
});

const steps = z
  .array(step)
  .min(1, 'must list at least one step')
  .superRefine((list, ctx) => {
    list.forEach((current, index) => {
      const previous = list[index - 1];
      if (previous && current.weight <= previous.weight) {
        ctx.addIssue({ code: 'custom', path: [index, 'weight'], message: `must be greater than the previous step's weight (${previous.weight}): weights must be strictly increasing` });
      }
    });
    const last = list.at(-1);
    if (last && last.weight !== 100) {
      ctx.addIssue({ code: 'custom', path: [list.length - 1, 'weight'], message: 'the last step must send 100% of traffic to the canary' });
    }
  });

const strategy = z.strictObject({
  type: z.enum(['Linear', 'Exponential', 'Manual'], 'must be one of Linear, Exponential, Manual'),
  steps: steps.optional(),
  /** Pause of generated steps when `steps` is omitted. */
  pause: duration.optional(),
});

const customMetric = z.strictObject({
  name: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,62}$/, 'must start with a letter and use letters, digits, "_" or "-"'),
  query: z.string().min(1, 'must be a PromQL expression'),
  min: z.number().optional(),
  max: z.number().optional(),
  weight: z.number().min(0).optional(),
});

const metrics = z.strictObject({
  successRate: z.strictObject({ threshold: percent }).optional(),
  latency: z.strictObject({ p50: latencyLimit.optional(), p90: latencyLimit.optional(), p99: latencyLimit.optional() }).optional(),
  errorRate: z.strictObject({ threshold: percent }).optional(),
  custom: z.array(customMetric).optional(),
  weights: z.strictObject({ successRate: z.number().min(0), latency: z.number().min(0), errorRate: z.number().min(0) }).partial().optional(),
});

const autoRollback = z.strictObject({
  enabled: z.boolean().optional(),
  onMetricsFail: z.boolean().optional(),
  onPodCrash: z.boolean().optional(),
});

const analysis = z.strictObject({
  interval: duration.refine((t) => (parseDuration(t) ?? 0) >= 1000, 'must be at least 1s').optional(),
  window: duration.optional(),
  minRequests: z.number().int().min(0).optional(),
  failureLimit: z.number().int().min(0).optional(),
  inconclusiveLimit: z.number().int().min(1).optional(),
  /** Opt-in judge: canary against stable over the same window (two-proportion test, Mann-Whitney U). */
  compareWithStable: z.strictObject({
    enabled: z.boolean().optional(),
    confidence: z.number().gt(0.5, 'must be between 0.5 and 1').lt(1, 'must be between 0.5 and 1').optional(),
    minEffect: z.strictObject({ errorRate: z.number().min(0).optional(), latency: latencyLimit.optional() }).optional(),
  }).optional(),
});

const trafficRouting = z.strictObject({
  provider: z.enum(['istio', 'nginx', 'gatewayApi'], 'must be one of istio, nginx, gatewayApi').optional(),
  istio: z.strictObject({ virtualService: kubernetesName.optional(), destinationRule: kubernetesName.optional(), routes: z.array(z.string()).optional() }).optional(),
  nginx: z.strictObject({ ingress: kubernetesName.optional() }).optional(),
  gatewayApi: z.strictObject({ httpRoute: kubernetesName.optional() }).optional(),
  stableService: kubernetesName.optional(),
  canaryService: kubernetesName.optional(),
  match: z.strictObject({ header: z.string().min(1).optional(), value: z.string().optional(), cookie: z.string().min(1).optional() }).optional(),
});

const approvals = z.strictObject({
  /** 1-based step numbers that wait for an approval before their weight is applied. */
  beforeSteps: z.array(z.number().int().min(1)).optional(),
  beforePromotion: z.boolean().optional(),
  timeout: duration.optional(),
  onTimeout: z.enum(['reject', 'wait']).optional(),
  /** Where approval requests with Approve/Reject buttons are posted, and who may press them. */
  slack: z.strictObject({
    channel: z.string().min(1, 'must name a Slack channel, e.g. #deploys or C0123456'),
    allowedUsers: z.array(z.string().min(1)).optional(),
    allowedGroups: z.array(z.string().min(1)).optional(),
  }).optional(),
});

export const HOOK_TYPES = ['pre-rollout', 'confirm-step', 'confirm-promotion', 'post-rollout', 'rollback'] as const;

/**
 * An outbound gate hook, as Flagger users know them: the engine POSTs the rollout's context and a 2xx
 * answer opens the gate (pre-rollout, confirm-step, confirm-promotion), asks for a rollback (rollback),
 * or is just told (post-rollout). `onFailure` says what a non-2xx or a timeout does to a gate.
 */
const webhook = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'must be a short name of letters, digits, ".", "_" or "-"'),
  type: z.enum(HOOK_TYPES, `must be one of ${HOOK_TYPES.join(', ')}`),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  timeout: duration.optional(),
  onFailure: z.enum(['wait', 'reject'], 'must be wait or reject').optional(),
});

export const NOTIFICATION_EVENTS = ['started', 'stepAdvanced', 'paused', 'awaitingApproval', 'rolledBack', 'completed', 'failed'] as const;

/** A notification destination; the same shape is used for global routing in the configuration. */
export const notificationDestination = z.strictObject({
  type: z.enum(['slack', 'webhook', 'dingtalk', 'wecom'], 'must be one of slack, webhook, dingtalk, wecom'),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  /** Name of the secret (SSM parameter, or env var locally) holding the webhook's HMAC signing key. */
  secret: z.string().min(1).optional(),
  /** Which events to send; all of them when omitted. */
  events: z.array(z.enum(NOTIFICATION_EVENTS)).optional(),
});

export const canaryDeploymentSchema = z.strictObject({
  apiVersion: z.literal('deploy.codedance.io/v1alpha1', 'must be deploy.codedance.io/v1alpha1'),
  kind: z.literal('CanaryDeployment', 'must be CanaryDeployment'),
  metadata: z.strictObject({
    name: kubernetesName,
    namespace: kubernetesLabel.optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.strictObject({
    targetDeployment: kubernetesName,
    canaryVersion: z.string().regex(IMAGE, 'must be a container image reference such as myapp:v2.0.0'),
    cluster: kubernetesName.optional(),
    container: z.string().min(1).optional(),
    strategy: strategy.optional(),
    metrics: metrics.optional(),
    autoRollback: autoRollback.optional(),
    analysis: analysis.optional(),
    trafficRouting: trafficRouting.optional(),
    approvals: approvals.optional(),
    notifications: z.array(notificationDestination).max(10, 'at most 10 destinations').optional(),
    webhooks: z.array(webhook).max(10, 'at most 10 hooks').optional(),
    progressDeadline: duration.optional(),
    /**
     * Canary replicas: `MatchTarget` (default) runs as many as the target, `Proportional` runs
     * ceil(weight x target replicas), at least 1, `Fixed` runs `replicas`.
     */
    canaryScale: z.strictObject({
      type: z.enum(['MatchTarget', 'Proportional', 'Fixed'], 'must be one of MatchTarget, Proportional, Fixed'),
      replicas: z.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
    }).superRefine((scale, ctx) => {
      if (scale.type === 'Fixed' && scale.replicas === undefined) ctx.addIssue({ code: 'custom', path: ['replicas'], message: 'is required when type is Fixed' });
      if (scale.type !== 'Fixed' && scale.replicas !== undefined) ctx.addIssue({ code: 'custom', path: ['replicas'], message: `only applies when type is Fixed, not ${scale.type}` });
    }).optional(),
    /** How long traffic must have been off the canary before it is deleted (mesh proxies converge). */
    scaleDownDelay: duration.optional(),
  }),
});

export type CanaryDeploymentDocument = z.infer<typeof canaryDeploymentSchema>;
