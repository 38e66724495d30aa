/**
 * Rollout phases and the only transitions allowed between them.
 *
 * Initializing → Progressing ⇄ Paused → Promoting → Completed
 *       │              ↘          ↘          ↓
 *       │               RollingBack ────────→ Failed
 *       └──────────────────────────────────→ Failed   (a rollback with nothing to undo)
 *
 * Promoting and RollingBack are committed before their cluster effects run, so a crash in the
 * middle of a promotion or rollback is finished by the next tick instead of being re-decided.
 * A rollback decided when nothing exists to undo (no canary, no narrowed selector, no canary
 * traffic) ends Failed at once: there is no effect to order after the save.
 */
export const PHASES = ['Initializing', 'Progressing', 'Paused', 'Promoting', 'RollingBack', 'Completed', 'Failed'] as const;
export type Phase = (typeof PHASES)[number];

export const PAUSE_REASONS = ['AwaitingApproval', 'HealthGreyZone', 'Inconclusive', 'PausedByUser', 'TargetChanged'] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

export const FAILURE_REASONS = ['MetricsFailed', 'PodCrash', 'Aborted', 'Rejected', 'ProgressDeadline', 'PoisonMessage', 'ClusterError', 'CanaryDeleted', 'PromotionFailed'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

const TRANSITIONS: Record<Phase, readonly Phase[]> = {
  Initializing: ['Progressing', 'Paused', 'Promoting', 'RollingBack', 'Failed'],
  Progressing: ['Paused', 'Promoting', 'RollingBack', 'Failed'],
  Paused: ['Progressing', 'Promoting', 'RollingBack', 'Failed'],
  Promoting: ['Completed', 'RollingBack'],
  RollingBack: ['Failed'],
  Completed: [],
  Failed: [],
};

export const TERMINAL_PHASES: readonly Phase[] = ['Completed', 'Failed'];
export const isTerminal = (phase: Phase): boolean => TERMINAL_PHASES.includes(phase);

export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(readonly from: Phase, readonly to: Phase) {
    super(`A rollout cannot go from ${from} to ${to}`);
  }
}

/** Staying in a phase is always allowed (a tick that changes nothing); anything else must be in the table. */
export function canTransition(from: Phase, to: Phase): boolean {
  return from === to ? !isTerminal(from) : TRANSITIONS[from].includes(to);
}

export function assertTransition(from: Phase, to: Phase): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}
