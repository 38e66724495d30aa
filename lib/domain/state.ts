import { z } from 'zod';
import { PHASES, PAUSE_REASONS, FAILURE_REASONS } from './phases.js';
import type { RolloutSpec } from './spec.js';
import type { CanaryDeploymentDocument } from './spec-schema.js';

const isoTime = z.iso.datetime({ offset: true });

export const actorSchema = z.object({
  /** Who acted: a token's name, a Slack user, a webhook, or `engine`. */
  id: z.string(),
  via: z.enum(['api', 'slack', 'webhook', 'engine', 'release', 'sweeper', 'cluster']),
});
export type Actor = z.infer<typeof actorSchema>;
const actor = actorSchema;

const approval = z.object({
  /** Step index (0-based) the approval opened, or `promotion`. */
  gate: z.union([z.number().int(), z.literal('promotion')]),
  decision: z.enum(['approved', 'rejected']),
  actor,
  at: isoTime,
  comment: z.string().optional(),
});
export type Approval = z.infer<typeof approval>;

const analysisSummary = z.object({
  at: isoTime,
  verdict: z.enum(['pass', 'grey', 'fail', 'inconclusive']),
  score: z.number().nullable(),
  reason: z.string(),
  /** The inputs of the verdict: each metric's value (null = no data), threshold and score. */
  metrics: z.array(z.object({ metric: z.string(), value: z.number().nullable(), threshold: z.string(), breached: z.boolean(), score: z.number().nullable() })).optional(),
  /** The comparison with stable, when enabled: its verdict and p-values. */
  comparison: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Everything about a rollout that changes while it runs. Stored beside the original document; the
 * normalised spec is re-derived from the document on every read so it is validated by the same schema.
 */
export const rolloutStatusSchema = z.object({
  /** Unique id, `ro_` + random. */
  id: z.string(),
  /** Bumped on every write; every write is conditional on the version it read. */
  version: z.number().int().min(1),
  /** Sequence number of the one tick message that may act; older ones are duplicates. */
  tickSeq: z.number().int().min(0),
  phase: z.enum(PHASES),
  /** Set while Paused: why, and since when. */
  pause: z
    .object({
      reason: z.enum(PAUSE_REASONS),
      since: isoTime,
      message: z.string(),
      /** For AwaitingApproval: the step index waiting to be entered, or `promotion`. */
      gate: z.union([z.number().int(), z.literal('promotion')]).optional(),
    })
    .optional(),
  /** Set from RollingBack on: why the rollout failed. */
  failure: z.object({ reason: z.enum(FAILURE_REASONS), message: z.string() }).optional(),
  /** Index of the step whose weight is applied; -1 before the first step. */
  stepIndex: z.number().int().min(-1),
  /** Desired canary weight, percent; every tick writes it to the traffic object if the read-back differs. */
  canaryWeight: z.number().min(0).max(100),
  /** When the current step's weight was applied (its pause counts from here). */
  stepStartedAt: isoTime.optional(),
  /** When the current phase was entered (deadlines count from here). */
  phaseSince: isoTime,
  /** When the next decision is due; absent once terminal. The sweeper re-enqueues overdue ones. */
  nextTickAt: isoTime.optional(),
  /** Analysis bookkeeping for failureLimit and inconclusiveLimit, plus the latest result. */
  analysis: z.object({
    failures: z.number().int().min(0),
    consecutiveInconclusive: z.number().int().min(0),
    last: analysisSummary.optional(),
  }),
  /** Gate hooks already passed once per rollout (today: `pre-rollout`). */
  hooksPassed: z.array(z.string()).optional(),
  /** Approvals and rejections given, in order. */
  approvals: z.array(approval),
  /** One line for people: what the rollout is doing now. */
  message: z.string(),
  createdAt: isoTime,
  updatedAt: isoTime,
  createdBy: actor,
  /** Head of the audit hash chain: how many events exist and the hash of the last one. */
  auditHead: z.object({ count: z.number().int().min(0), hash: z.string() }),
  /**
   * The target as it was when the rollout first saw it: the image a rollback after promotion restores,
   * the template hash a hand edit is noticed by, the replicas canary capacity is sized from.
   */
  target: z.object({ image: z.string(), templateHash: z.string().optional(), replicas: z.number().int().min(0) }).optional(),
  /** Promotion bookkeeping: how often the engine has set the target's image (a bound against fights). */
  promotion: z.object({ patches: z.number().int().min(0), lastManager: z.string().optional() }).optional(),
  /** When traffic was confirmed off the canary on the way out; the canary is deleted scaleDownDelay later. */
  trafficOffAt: isoTime.optional(),
  /**
   * The CanaryDeployment object this rollout was started from by a cluster sync (kubectl apply, Argo CD,
   * Flux): its identity and the generation whose spec this rollout runs.
   */
  source: z.object({ cluster: z.string(), namespace: z.string(), name: z.string(), uid: z.string(), generation: z.number().int().min(0) }).optional(),
  /** Batch release this rollout belongs to, if any. */
  releaseId: z.string().optional(),
});

export type RolloutStatus = z.infer<typeof rolloutStatusSchema>;
export type RolloutState = RolloutStatus & { spec: RolloutSpec; document: CanaryDeploymentDocument };

/** The target a rollout owns exclusively: one active rollout per cluster + namespace + Deployment. */
export const targetKey = (spec: Pick<RolloutSpec, 'cluster' | 'namespace' | 'targetDeployment'>): string =>
  `${spec.cluster}/${spec.namespace}/${spec.targetDeployment}`;
