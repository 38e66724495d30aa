import type { RolloutState } from '../domain/state.js';

/**
 * Where a rollout's progress is shown outside the engine: the status of the CanaryDeployment object
 * it came from, so `kubectl get canarydeployment` shows live progress. Best effort: never fails a tick.
 */
export interface StatusMirror {
  mirror(state: RolloutState): Promise<void>;
}

/** The fields mirrored, derived from the state in one place. */
export function mirroredStatus(state: RolloutState) {
  return {
    phase: state.phase,
    weight: state.canaryWeight,
    step: `${Math.max(state.stepIndex + 1, 0)}/${state.spec.steps.length}`,
    ...(state.analysis.last?.score != null ? { health: state.analysis.last.score } : {}),
    message: state.message,
    rolloutId: state.id,
  };
}
