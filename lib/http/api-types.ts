import type { z } from 'zod';
import type { ACTION_NAMES, auditEventSchema, errorBodySchema, releaseCellViewSchema, releaseViewSchema, releaseWaveViewSchema, rolloutViewSchema, whoAmISchema } from './api-schemas.js';

/**
 * The API's answers as TypeScript types, inferred from the zod schemas of api-schemas.ts (the ones the
 * CLI parses with and /openapi.json is generated from). Types only: importing this file adds nothing
 * to a bundle, so the dashboard and the CLI share one definition of every answer.
 */
export type RolloutView = z.infer<typeof rolloutViewSchema>;
export type ReleaseView = z.infer<typeof releaseViewSchema>;
export type ReleaseWaveView = z.infer<typeof releaseWaveViewSchema>;
export type ReleaseCellView = z.infer<typeof releaseCellViewSchema>;
export type AuditEvent = z.infer<typeof auditEventSchema>;
export type ErrorBody = z.infer<typeof errorBodySchema>;
export type WhoAmI = z.infer<typeof whoAmISchema>;
export type Role = WhoAmI['role'];
export type MetricResult = NonNullable<NonNullable<RolloutView['analysis']['last']>['metrics']>[number];
export interface Page<T> { items: T[]; nextCursor?: string }
export type ActionKind = (typeof ACTION_NAMES)[number];
