import type { AnalysisOutcome } from './analysis.js';
import type { Actor, RolloutState } from './state.js';

/**
 * Effects decide() asks for. Each is absolute and idempotent ("set weight to 25", never "add 20"),
 * so repeating a tick after a crash repeats harmless work.
 */
export type Command =
  | { type: 'SetCanaryWeight'; weight: number }
  | { type: 'EnsureCanary'; image: string }
  | { type: 'PromoteStable'; image: string }
  | { type: 'DeleteCanary' };

/** Crash signal from the canary's pods (CrashLoopBackOff, OOMKilled, restarts, progress deadline). */
export interface CrashSignal {
  pod: string;
  reason: string;
  restarts: number;
}

/** Answers of the gate hooks called on this tick (all hooks of one type). */
export interface HookResults {
  type: 'pre-rollout' | 'confirm-step' | 'confirm-promotion' | 'rollback';
  results: Array<{ name: string; ok: boolean; detail: string }>;
}

/** What one tick saw of the world. `analysis` is absent when no analysis ran on this tick. */
export interface Observation {
  canary: { exists: boolean; available: boolean; crash?: CrashSignal };
  stable: { image?: string; available: boolean };
  /** Canary weight read back from the traffic object; undefined when it could not be read. */
  weight: number | undefined;
  analysis?: AnalysisOutcome;
  hooks?: HookResults;
}

/** An audit entry decide() wants recorded; the store adds its position and hash. */
export interface AuditEventDraft {
  type: string;
  at: string;
  actor: Actor;
  message: string;
  data?: Record<string, unknown>;
}

/** What decide() returns: the next state, the effects to apply, the audit entries to record. */
export interface Decision {
  state: RolloutState;
  commands: Command[];
  events: AuditEventDraft[];
}
