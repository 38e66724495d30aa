import type { ChainedEvent } from '../domain/audit-chain.js';
import type { AuditEventDraft } from '../domain/commands.js';
import type { Phase } from '../domain/phases.js';
import type { RolloutState } from '../domain/state.js';

/** An audit entry as stored: ordered by `position`, chained to the previous entry by hash. */
export type AuditEvent = ChainedEvent;

export interface RolloutFilter {
  phase?: Phase;
  cluster?: string;
  namespace?: string;
  limit?: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * Rollout records. Every write is conditional: `create` fails with ActiveRolloutExistsError when
 * the target already has an active rollout; `save` fails with ConcurrentUpdateError unless the
 * stored version still equals `expectedVersion`. Audit events are written in the same transaction
 * as the state they explain, so a saved decision always has its audit entry and vice versa.
 */
export interface RolloutStore {
  create(state: RolloutState, events: AuditEventDraft[]): Promise<RolloutState>;
  get(id: string): Promise<RolloutState | undefined>;
  /** Returns the state as stored (with its new audit head). */
  save(state: RolloutState, expectedVersion: number, events: AuditEventDraft[]): Promise<RolloutState>;
  list(filter: RolloutFilter): Promise<Page<RolloutState>>;
  /** Active rollouts whose next tick was due before `before`, oldest first. */
  listOverdue(before: Date, limit: number): Promise<RolloutState[]>;
}

/** The append-only audit trail of each rollout, in order. */
export interface AuditLog {
  events(rolloutId: string): Promise<AuditEvent[]>;
}
