import { assertTransition, type FailureReason, type Phase, type PauseReason } from './phases.js';
import type { AuditEventDraft, Decision } from './commands.js';
import type { RolloutState } from './state.js';

/**
 * Small, pure state builders shared by decide() and the person-driven actions. Every phase change
 * goes through `moveTo`, so the transition table is enforced in one place.
 */
export const ENGINE = { id: 'engine', via: 'engine' } as const;

export function moveTo(state: RolloutState, phase: Phase, now: Date, patch: Partial<RolloutState> = {}): RolloutState {
  assertTransition(state.phase, phase);
  const changed = phase !== state.phase;
  return {
    ...state,
    ...patch,
    phase,
    phaseSince: changed ? now.toISOString() : state.phaseSince,
    pause: phase === 'Paused' ? patch.pause ?? state.pause : undefined,
  };
}

export function pausedFor(state: RolloutState, reason: PauseReason, message: string, now: Date, gate?: number | 'promotion'): RolloutState {
  const same = state.phase === 'Paused' && state.pause?.reason === reason && state.pause.gate === gate;
  const since = same && state.pause ? state.pause.since : now.toISOString();
  return moveTo(state, 'Paused', now, { pause: { reason, since, message, ...(gate !== undefined ? { gate } : {}) }, message });
}

/** Commits the decision to roll back; the RollingBack tick moves traffic and deletes the canary. */
export function rollingBack(state: RolloutState, reason: FailureReason, message: string, now: Date): RolloutState {
  return moveTo(state, 'RollingBack', now, { failure: { reason, message }, canaryWeight: 0, message: `Rolling back: ${message}`, nextTickAt: now.toISOString() });
}

/** Applies step `index`: its weight becomes the desired canary weight and its pause starts now. */
export function enterStep(state: RolloutState, index: number, now: Date): RolloutState {
  const step = state.spec.steps[index];
  if (!step) throw new RangeError(`step ${index} does not exist`);
  const total = state.spec.steps.length;
  return moveTo(state, 'Progressing', now, {
    stepIndex: index,
    canaryWeight: step.weight,
    stepStartedAt: now.toISOString(),
    analysis: { ...state.analysis, consecutiveInconclusive: 0 },
    message: `Step ${index + 1}/${total}: ${step.weight}% of traffic to the canary`,
  });
}

export function hasDecision(state: RolloutState, gate: number | 'promotion'): 'approved' | 'rejected' | undefined {
  return state.approvals.findLast((a) => a.gate === gate)?.decision;
}

export const addMs = (now: Date, ms: number): string => new Date(now.getTime() + ms).toISOString();
export const stepLabel = (gate: number | 'promotion', total: number): string => (gate === 'promotion' ? 'promotion' : `step ${gate + 1}/${total}`);

/**
 * The cluster refused for good (target or traffic object missing, CRD not installed, RBAC): the
 * rollout cannot go on, so it rolls back naming the object and the fix. The rollback itself then
 * tolerates the same refusal: a missing traffic object carries no canary traffic to take away.
 */
export function clusterFailed(state: RolloutState, message: string, now: Date): Decision {
  const event: AuditEventDraft = { type: 'RollbackStarted', at: now.toISOString(), actor: ENGINE, message, data: { reason: 'ClusterError' } };
  const next = rollingBack(state, 'ClusterError', message, now);
  return { state: { ...next, updatedAt: now.toISOString() }, commands: [], events: [event] };
}

