import type { AuditEventDraft } from '../domain/commands.js';
import type { ReleasePhase, ReleaseState } from '../domain/release.js';
import type { AuditEvent, Page } from './rollout-store.js';

export interface ReleaseFilter {
  phase?: ReleasePhase;
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

/**
 * Release records. Like rollouts, every write is conditional on the version read and carries its
 * audit events in the same transaction; `create` fails with ConcurrentUpdateError if the id exists.
 */
export interface ReleaseStore {
  create(state: ReleaseState, events: AuditEventDraft[]): Promise<ReleaseState>;
  get(id: string): Promise<ReleaseState | undefined>;
  save(state: ReleaseState, expectedVersion: number, events: AuditEventDraft[]): Promise<ReleaseState>;
  list(filter: ReleaseFilter): Promise<Page<ReleaseState>>;
  /** Releases not yet Completed, Failed or Cancelled: the scheduler's work list. */
  listActive(limit: number): Promise<ReleaseState[]>;
}

/** A release's append-only audit trail, in order. */
export interface ReleaseAuditLog {
  releaseEvents(releaseId: string): Promise<AuditEvent[]>;
}
