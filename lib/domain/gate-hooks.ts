import type { HookResults } from './commands.js';
import type { HookType, RolloutSpec } from './spec.js';
import type { Actor, RolloutState } from './state.js';
import { addMs, enterStep, moveTo, rollingBack, stepLabel } from './transition.js';

/**
 * Outbound gate hooks (Flagger's webhooks, which its users know):
 * - pre-rollout: called before the canary is created; a 2xx lets the rollout start;
 * - confirm-step / confirm-promotion: called while a gate waits; a 2xx from every hook of the type opens
 *   it, as a person's approval would (whichever comes first);
 * - rollback: called on every analysis tick; a 2xx asks for a rollback;
 * - post-rollout: told once the rollout has ended (best effort, outside decide).
 * A failed gate hook (non-2xx, timeout) keeps the gate closed (`onFailure: wait`) or rolls back
 * (`onFailure: reject`). The reconcile loop calls the hooks `hooksDue` names and hands decide() the answers.
 */
type Record_ = (type: string, message: string, data?: Record<string, unknown>, actor?: Actor) => void;

const has = (spec: RolloutSpec, type: HookType): boolean => spec.webhooks.some((h) => h.type === type);

export const preRolloutPending = (state: RolloutState): boolean => has(state.spec, 'pre-rollout') && !state.hooksPassed?.includes('pre-rollout');

export function gateHasHooks(spec: RolloutSpec, gate: number | 'promotion'): boolean {
  return has(spec, gate === 'promotion' ? 'confirm-promotion' : 'confirm-step');
}

/** Which hooks the coming tick must call, if any (one type per tick; gates before rollback polling). */
export function hooksDue(state: RolloutState): HookResults['type'] | undefined {
  if (state.phase === 'Initializing') return preRolloutPending(state) ? 'pre-rollout' : undefined;
  const gate = state.phase === 'Paused' && state.pause?.reason === 'AwaitingApproval' ? state.pause.gate : undefined;
  if (gate !== undefined && gateHasHooks(state.spec, gate)) return gate === 'promotion' ? 'confirm-promotion' : 'confirm-step';
  if ((state.phase === 'Progressing' || state.phase === 'Paused') && has(state.spec, 'rollback')) return 'rollback';
  return undefined;
}

const failuresOf = (hooks: HookResults): string => hooks.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`).join('; ');
const rejects = (spec: RolloutSpec, hooks: HookResults): boolean =>
  hooks.results.some((r) => !r.ok && spec.webhooks.find((h) => h.name === r.name && h.type === hooks.type)?.onFailure === 'reject');

/** Pre-rollout: returns the state to continue from, or a waiting/rolling-back state when the hooks said no. */
export function judgePreRollout(state: RolloutState, hooks: HookResults | undefined, now: Date, record: Record_): { state: RolloutState; proceed: boolean } {
  if (!preRolloutPending(state)) return { state, proceed: true };
  if (hooks?.type === 'pre-rollout' && hooks.results.every((r) => r.ok)) {
    record('HookPassed', `pre-rollout hooks passed: ${hooks.results.map((r) => r.name).join(', ')}`, { type: hooks.type, results: hooks.results });
    return { state: { ...state, hooksPassed: [...(state.hooksPassed ?? []), 'pre-rollout'] }, proceed: true };
  }
  const why = hooks ? failuresOf(hooks) : 'not called yet';
  if (hooks && rejects(state.spec, hooks)) {
    record('RollbackStarted', `pre-rollout hook failed: ${why}`, { reason: 'Rejected', type: hooks.type, results: hooks.results });
    return { state: rollingBack(state, 'Rejected', `pre-rollout hook failed: ${why}`, now), proceed: false };
  }
  return { state: { ...state, message: `Waiting for pre-rollout hooks: ${why}`, nextTickAt: addMs(now, state.spec.analysis.intervalMs) }, proceed: false };
}

/** Confirm hooks of an open gate: all 2xx opens it (recorded as a webhook approval); a rejecting failure rolls back. */
export function judgeGateHooks(state: RolloutState, hooks: HookResults | undefined, now: Date, record: Record_): RolloutState | undefined {
  const gate = state.pause?.gate;
  if (state.phase !== 'Paused' || state.pause?.reason !== 'AwaitingApproval' || gate === undefined) return undefined;
  if (hooks?.type !== (gate === 'promotion' ? 'confirm-promotion' : 'confirm-step')) return undefined;
  const label = stepLabel(gate, state.spec.steps.length);
  if (hooks.results.every((r) => r.ok)) {
    const actor = { id: `webhook:${hooks.results.map((r) => r.name).join('+')}`, via: 'webhook' as const };
    const approved = { ...state, approvals: [...state.approvals, { gate, decision: 'approved' as const, actor, at: now.toISOString() }] };
    record('Approved', `${label} approved by ${actor.id} (2xx)`, { gate, type: hooks.type, results: hooks.results }, actor);
    const opened = gate === 'promotion' ? moveTo(approved, 'Promoting', now, { message: `Promoting ${state.spec.canaryImage}` }) : enterStep(approved, gate, now);
    return { ...opened, nextTickAt: now.toISOString() };
  }
  if (rejects(state.spec, hooks)) {
    const why = `${hooks.type} hook failed for ${label}: ${failuresOf(hooks)}`;
    record('RollbackStarted', why, { reason: 'Rejected', type: hooks.type, results: hooks.results });
    return rollingBack(state, 'Rejected', why, now);
  }
  return { ...state, message: `Waiting for approval of ${label}; ${hooks.type} hooks: ${failuresOf(hooks)}` };
}

/** Rollback hooks: any 2xx asks for a rollback at once. */
export function judgeRollbackHooks(state: RolloutState, hooks: HookResults | undefined, now: Date, record: Record_): RolloutState | undefined {
  const asked = hooks?.type === 'rollback' ? hooks.results.filter((r) => r.ok) : [];
  if (asked.length === 0 || (state.phase !== 'Progressing' && state.phase !== 'Paused')) return undefined;
  const why = `rollback hook ${asked.map((r) => r.name).join(', ')} asked for a rollback`;
  record('RollbackStarted', why, { reason: 'Aborted', type: 'rollback', results: hooks?.results });
  return rollingBack(state, 'Aborted', why, now);
}
