import { z } from 'zod';
import { PHASES } from '../domain/phases.js';
import { actorSchema, rolloutStatusSchema } from '../domain/state.js';

/**
 * The API's answers as zod schemas: what the CLI parses with, what the dashboard parses with in the
 * browser, and what GET /openapi.json describes (lib/http/openapi.ts re-exports them). This module may
 * import only pure schema modules (zod, lib/domain/state.ts and phases.ts): the dashboard bundles
 * it, so nothing here may pull in node:crypto, luxon or the handlers. Top-level views are loose so a
 * client ignores fields it does not know yet.
 */
const isoTime = z.iso.datetime({ offset: true });

const ro = rolloutStatusSchema.shape;
export const rolloutViewSchema = z.object({
  id: ro.id, name: z.string(), namespace: z.string(), cluster: z.string(), targetDeployment: z.string(), canaryImage: z.string(),
  phase: ro.phase, pause: ro.pause, failure: ro.failure, message: ro.message,
  step: z.object({ index: z.number().int(), number: z.number().int(), total: z.number().int() }),
  canaryWeight: ro.canaryWeight, analysis: ro.analysis, approvals: ro.approvals, version: ro.version,
  createdAt: ro.createdAt, createdBy: ro.createdBy, updatedAt: ro.updatedAt, nextTickAt: ro.nextTickAt, releaseId: ro.releaseId,
  /** The normalised spec; only the steps are described here, the rest is as the document says. */
  spec: z.object({ steps: z.array(z.object({ weight: z.number(), pauseMs: z.number(), approval: z.boolean() })) }),
  /** Only on action answers: the same action had already been applied (nothing changed). */
  alreadyDone: z.boolean().optional(),
}).loose();

/**
 * Release phases, restated here because lib/domain/release.ts (where the stored state's schema lives)
 * needs node:crypto and luxon. openapi.ts checks at compile time that these and the view's fields stay
 * identical to the stored schema's, both ways.
 */
export const RELEASE_VIEW_PHASES = ['Pending', 'Running', 'Paused', 'Halting', 'Completed', 'Failed', 'Cancelled'] as const;
export const WAVE_VIEW_PHASES = ['Pending', 'AwaitingApproval', 'Running', 'Completed', 'Failed', 'Cancelled'] as const;
export const ITEM_VIEW_PHASES = ['Pending', ...PHASES, 'Cancelled'] as const;

export const releaseWaveViewSchema = z.object({
  name: z.string(), phase: z.enum(WAVE_VIEW_PHASES), startedAt: isoTime.optional(), completedAt: isoTime.optional(),
  approvedBy: actorSchema.optional(), approvedAt: isoTime.optional(),
  clusters: z.array(z.string()), maxParallel: z.number().int(), approval: z.boolean(),
});

/** One cell of the service × cluster matrix: its rollout, phase and (failed, waiting, cancelled) reason. */
export const releaseCellViewSchema = z.object({
  service: z.string(), cluster: z.string(), wave: z.string(), rolloutId: z.string(), phase: z.enum(ITEM_VIEW_PHASES), reason: z.string().optional(),
});

export const releaseViewSchema = z.object({
  id: z.string(), name: z.string(), phase: z.enum(RELEASE_VIEW_PHASES), message: z.string(), haltReason: z.string().optional(),
  haltOnFailure: z.boolean(), currentWave: z.string().optional(),
  waves: z.array(releaseWaveViewSchema),
  services: z.array(z.string()), clusters: z.array(z.string()),
  matrix: z.array(releaseCellViewSchema),
  version: z.number().int().min(1), createdAt: isoTime, updatedAt: isoTime, createdBy: actorSchema,
  alreadyDone: z.boolean().optional(),
}).loose();

export const pageSchema = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().optional() });

export const auditEventSchema = z.object({
  type: z.string(), at: z.string(), actor: actorSchema.optional(), message: z.string(),
  /** Rollout events only: the place in the hash chain. */
  position: z.number().int().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
}).loose();
export const eventListSchema = z.object({ items: z.array(auditEventSchema) });

export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.array(z.object({ path: z.string(), message: z.string() })).default([]) }),
});

/** The rollout actions of lib/domain/actions.ts (which holds their logic); openapi.ts checks the lists agree. */
export const ACTION_NAMES = ['pause', 'resume', 'abort', 'promote', 'approve', 'reject'] as const;

/** The roles of lib/http/auth.ts (which needs node:crypto); openapi.ts checks the two lists agree. */
export const ROLE_NAMES = ['viewer', 'deployer', 'approver', 'admin'] as const;
export const whoAmISchema = z.object({ name: z.string(), role: z.enum(ROLE_NAMES) });
