import type { AnalysisOutcome } from './analysis.js';
import type { Actor, RolloutState } from './state.js';

/**
 * Effects decide() asks for. Each is absolute and idempotent ("set weight to 25", never "add 20"),
 * so repeating a tick after a crash repeats harmless work.
 */
export type Command =
  | { type: 'SetCanaryWeight'; weight: number }
  /** Create the canary (narrowing stable selection first) or scale it to `replicas`. */
  | { type: 'EnsureCanary'; image: string; replicas: number }
  /** Set the target's rolled container to `image`: the canary's on promotion, the recorded one on rollback. */
  | { type: 'SetStableImage'; image: string }
  /** Delete what the rollout created and restore the stable selection. */
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
  canary: {
    /** This rollout's canary Deployment exists (one the engine did not create for it does not count). */
    exists: boolean;
    available: boolean;
    crash?: CrashSignal;
    /** Desired replicas of the canary Deployment, when it exists. */
    replicas?: number;
  };
  stable: {
    /** False when the target Deployment is gone (then nothing else here is known). */
    exists?: boolean;
    /** Image of the rolled container. */
    image?: string;
    /** Fully rolled out and available (`kubectl rollout status` semantics). */
    available: boolean;
    /** Desired replicas of the target. */
    replicas?: number;
    /** Hash of the target's pod template, to notice a hand edit mid-rollout. */
    templateHash?: string;
    /** Why the target's own rollout failed (Deployment condition), e.g. `ProgressDeadlineExceeded: ...`. */
    failed?: string;
    /** Field manager that last set the rolled container's image (from managedFields). */
    imageManager?: string;
  };
  /** Canary weight read back from the traffic object; undefined when it could not be read. */
  weight: number | undefined;
  /** Objects the rollout needs that are gone, e.g. `VirtualService production/myapp`: nothing to undo there. */
  missing?: string[];
  /** Objects named like this rollout's own that it did not create: never adopted, never deleted. */
  foreign?: string[];
  /** Stable selection is still narrowed by the engine (Service selector or stable subset). */
  stableNarrowed?: boolean;
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
