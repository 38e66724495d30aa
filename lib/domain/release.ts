import { createHash } from 'node:crypto';
import { z } from 'zod';
import { GENESIS_HASH } from './audit-chain.js';
import { parseWindow, type MaintenanceWindow } from './maintenance-window.js';
import { PHASES } from './phases.js';
import { releaseDocumentSchema, type ReleaseDocument, type RolloutTemplate } from './release-schema.js';
import { actorSchema, type Actor } from './state.js';
import { ValidationError, issuesToDetails } from './validation.js';

/**
 * A release's status. Its rollouts are the truth about progress: each service × cluster pair has a
 * rollout id fixed when the release is created, so the scheduler can always ask "does it exist, and
 * in which phase?" and a repeated or crashed start can never make a second one.
 */
export const RELEASE_PHASES = ['Pending', 'Running', 'Paused', 'Halting', 'Completed', 'Failed', 'Cancelled'] as const;
export type ReleasePhase = (typeof RELEASE_PHASES)[number];
export const WAVE_PHASES = ['Pending', 'AwaitingApproval', 'Running', 'Completed', 'Failed', 'Cancelled'] as const;
export type WavePhase = (typeof WAVE_PHASES)[number];
/** An item is Pending until its rollout exists, then follows the rollout; Cancelled if it never will run. */
export const ITEM_PHASES = ['Pending', ...PHASES, 'Cancelled'] as const;
export type ItemPhase = (typeof ITEM_PHASES)[number];

export const isReleaseTerminal = (phase: ReleasePhase): boolean => phase === 'Completed' || phase === 'Failed' || phase === 'Cancelled';
export const isItemDone = (phase: ItemPhase): boolean => phase === 'Completed' || phase === 'Failed' || phase === 'Cancelled';
export const isItemInFlight = (phase: ItemPhase): boolean => phase !== 'Pending' && !isItemDone(phase);

const isoTime = z.iso.datetime({ offset: true });

export const releaseStatusSchema = z.object({
  /** `rel_` + random. */
  id: z.string(),
  /** Bumped on every write; every write is conditional on the version it read. */
  version: z.number().int().min(1),
  phase: z.enum(RELEASE_PHASES),
  /** While Paused: the phase to return to on resume. */
  pausedFrom: z.enum(RELEASE_PHASES).optional(),
  /** One line for people: what the release is doing or waiting for. */
  message: z.string(),
  /** Set when the release halted: which rollout failed and why. */
  haltReason: z.string().optional(),
  waves: z.array(z.object({
    name: z.string(),
    phase: z.enum(WAVE_PHASES),
    startedAt: isoTime.optional(),
    completedAt: isoTime.optional(),
    approvedBy: actorSchema.optional(),
    approvedAt: isoTime.optional(),
  })),
  /** One per service × cluster, in service order within each wave. */
  items: z.array(z.object({
    service: z.string(),
    cluster: z.string(),
    /** Index into waves. */
    wave: z.number().int().min(0),
    rolloutId: z.string(),
    phase: z.enum(ITEM_PHASES),
    /** Why it failed, waits or was cancelled. */
    reason: z.string().optional(),
  })),
  createdAt: isoTime,
  updatedAt: isoTime,
  createdBy: actorSchema,
  auditHead: z.object({ count: z.number().int().min(0), hash: z.string() }),
});
export type ReleaseStatus = z.infer<typeof releaseStatusSchema>;
export type ReleaseItem = ReleaseStatus['items'][number];

/** The release as the planner works from it: defaults applied, windows parsed. */
export interface ReleasePlan {
  name: string;
  services: Array<{ name: string; namespace: string; targetDeployment: string; image: string; container?: string; template: RolloutTemplate }>;
  waves: Array<{ name: string; clusters: string[]; maxParallel: number; approval: boolean }>;
  notBefore?: Date;
  windows: MaintenanceWindow[];
  haltOnFailure: boolean;
}

export type ReleaseState = ReleaseStatus & { plan: ReleasePlan; document: ReleaseDocument };

export function parseReleaseDocument(input: unknown): { document: ReleaseDocument; plan: ReleasePlan } {
  const result = releaseDocumentSchema.safeParse(input);
  if (!result.success) throw new ValidationError('The Release is invalid', issuesToDetails(result.error.issues));
  return { document: result.data, plan: normaliseRelease(result.data) };
}

export function normaliseRelease(doc: ReleaseDocument): ReleasePlan {
  const { spec } = doc;
  return {
    name: doc.metadata.name,
    services: spec.services.map((s) => ({
      name: s.name ?? s.targetDeployment,
      namespace: s.namespace ?? 'default',
      targetDeployment: s.targetDeployment,
      image: s.image,
      ...(s.container ? { container: s.container } : {}),
      // Inline settings win over the named template, key by key at the top level of the spec.
      template: { ...(s.template ? spec.templates?.[s.template] : {}), ...s.rollout },
    })),
    waves: spec.waves.map((w) => ({ name: w.name, clusters: w.clusters, maxParallel: w.maxParallel ?? 1, approval: w.approval ?? false })),
    ...(spec.schedule?.notBefore ? { notBefore: new Date(spec.schedule.notBefore) } : {}),
    windows: (spec.schedule?.windows ?? []).flatMap((text) => {
      const parsed = parseWindow(text);
      return parsed.ok ? [parsed.window] : [];
    }),
    haltOnFailure: spec.haltOnFailure ?? true,
  };
}

/** The rollout id of one service × cluster of a release: the same every time it is asked. */
export function rolloutIdFor(releaseId: string, service: string, cluster: string): string {
  return `ro_${createHash('sha256').update(`${releaseId}\u0000${service}\u0000${cluster}`).digest('hex').slice(0, 24)}`;
}

/** The CanaryDeployment a release item runs: the service's template with target, image and cluster filled in. */
export function rolloutDocumentFor(plan: ReleasePlan, item: Pick<ReleaseItem, 'service' | 'cluster'>): unknown {
  const service = plan.services.find((s) => s.name === item.service);
  if (!service) throw new Error(`release ${plan.name} has no service ${item.service}`);
  return {
    apiVersion: 'deploy.codedance.io/v1alpha1',
    kind: 'CanaryDeployment',
    metadata: { name: service.name, namespace: service.namespace, labels: { 'codedance.io/release': plan.name } },
    spec: {
      ...service.template,
      targetDeployment: service.targetDeployment,
      canaryVersion: service.image,
      cluster: item.cluster,
      ...(service.container ? { container: service.container } : {}),
    },
  };
}

/** The initial status: every wave and item Pending, every rollout id fixed. */
export function newReleaseStatus(id: string, plan: ReleasePlan, actor: Actor, now: Date): ReleaseStatus {
  const at = now.toISOString();
  const items = plan.waves.flatMap((wave, waveIndex) =>
    wave.clusters.flatMap((cluster) => plan.services.map((s) => ({
      service: s.name, cluster, wave: waveIndex, rolloutId: rolloutIdFor(id, s.name, cluster), phase: 'Pending' as const,
    }))));
  return {
    id, version: 1, phase: 'Pending', message: 'Waiting for the scheduler',
    waves: plan.waves.map((w) => ({ name: w.name, phase: 'Pending' as const })),
    items, createdAt: at, updatedAt: at, createdBy: actor, auditHead: { count: 0, hash: GENESIS_HASH },
  };
}
