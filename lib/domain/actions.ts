import type { AuditEventDraft } from './commands.js';
import { isTerminal } from './phases.js';
import type { Actor, RolloutState } from './state.js';
import { enterStep, hasDecision, moveTo, pausedFor, rollingBack, stepLabel } from './transition.js';

/**
 * What people (API, Slack, webhooks) may do to a running rollout. Each action is applied to the
 * state at once with a conditional write; the tick that follows performs the cluster effects.
 */
export const ACTIONS = ['pause', 'resume', 'abort', 'promote', 'approve', 'reject'] as const;
export type ActionKind = (typeof ACTIONS)[number];

export interface ActionRequest {
  kind: ActionKind;
  actor: Actor;
  comment?: string;
  /** For approve/reject: the gate the person saw (1-based step number or `promotion`), so a stale click is caught. */
  step?: number | 'promotion';
}

/** The action cannot apply to the rollout as it is now; `message` says what happened instead. */
export class ActionConflict extends Error {
  override readonly name = 'ActionConflict';
}

export interface ActionResult {
  state: RolloutState;
  event?: AuditEventDraft;
  /** True when the same action had already been applied (a double click): nothing changed. */
  alreadyDone: boolean;
}

const who = (a: { actor: Actor; at: string }): string => `${a.actor.id} (${a.actor.via}) at ${a.at}`;

export function applyAction(state: RolloutState, request: ActionRequest, now: Date): ActionResult {
  const at = now.toISOString();
  const event = (type: string, message: string, data: Record<string, unknown> = {}): AuditEventDraft => ({
    type, at, actor: request.actor, message, data: { ...data, ...(request.comment ? { comment: request.comment } : {}) },
  });
  if (isTerminal(state.phase) || state.phase === 'RollingBack') {
    const outcome = state.failure ? `${state.phase === 'RollingBack' ? 'is rolling back' : 'has failed'} (${state.failure.reason}: ${state.failure.message})` : `has ${state.phase.toLowerCase()}`;
    throw new ActionConflict(`Cannot ${request.kind}: rollout ${state.id} ${outcome}`);
  }
  switch (request.kind) {
    case 'abort':
      return { alreadyDone: false, state: rollingBack(state, 'Aborted', `aborted by ${request.actor.id}`, now), event: event('Aborted', `Aborted by ${request.actor.id}`) };
    case 'promote':
      if (state.phase === 'Promoting') return { alreadyDone: true, state };
      return { alreadyDone: false, state: { ...moveTo(state, 'Promoting', now, { message: `Promoting ${state.spec.canaryImage} (by ${request.actor.id})` }), nextTickAt: at }, event: event('PromotionStarted', `Full promotion requested by ${request.actor.id}`) };
    case 'pause': {
      if (state.phase === 'Paused' && state.pause?.reason === 'PausedByUser') return { alreadyDone: true, state };
      if (state.phase !== 'Progressing' && state.phase !== 'Paused') throw new ActionConflict(`Cannot pause: rollout ${state.id} is ${state.phase}`);
      if (state.pause?.reason === 'AwaitingApproval') throw new ActionConflict(`Cannot pause: rollout ${state.id} is already waiting for approval; reject it to stop`);
      return { alreadyDone: false, state: pausedFor(state, 'PausedByUser', `Paused by ${request.actor.id}`, now), event: event('Paused', `Paused by ${request.actor.id}`) };
    }
    case 'resume': {
      if (state.phase === 'Progressing') return { alreadyDone: true, state };
      if (state.phase !== 'Paused') throw new ActionConflict(`Cannot resume: rollout ${state.id} is ${state.phase}`);
      if (state.pause?.reason === 'AwaitingApproval') throw new ActionConflict(`Cannot resume: rollout ${state.id} waits for an approval of ${stepLabel(state.pause.gate ?? 'promotion', state.spec.steps.length)}; approve it instead`);
      // The step's hold restarts: the canary is judged for a full pause after a person lets it go on.
      // Resuming a TargetChanged pause accepts the edited target as the new baseline (re-recorded next tick).
      const baseline = state.pause?.reason === 'TargetChanged' ? { target: undefined } : {};
      const resumed = moveTo(state, 'Progressing', now, { ...baseline, stepStartedAt: at, message: `Resumed by ${request.actor.id}`, nextTickAt: at });
      return { alreadyDone: false, state: resumed, event: event('Resumed', `Resumed by ${request.actor.id}`) };
    }
    case 'approve':
    case 'reject':
      return decideGate(state, request, now, event);
  }
}

function decideGate(state: RolloutState, request: ActionRequest, now: Date, event: (t: string, m: string, d?: Record<string, unknown>) => AuditEventDraft): ActionResult {
  const total = state.spec.steps.length;
  const asked = request.step === undefined ? undefined : request.step === 'promotion' ? 'promotion' : request.step - 1;
  const open = state.phase === 'Paused' && state.pause?.reason === 'AwaitingApproval' ? state.pause.gate : undefined;
  const gate = asked ?? open;
  const previous = gate === undefined ? undefined : state.approvals.findLast((a) => a.gate === gate);
  const verb = request.kind === 'approve' ? 'approved' : 'rejected';
  if (previous) {
    if (previous.decision === verb) return { alreadyDone: true, state };
    throw new ActionConflict(`Cannot ${request.kind} ${stepLabel(previous.gate, total)}: it was already ${previous.decision} by ${who(previous)}`);
  }
  if (open === undefined || gate !== open) {
    const what = gate === undefined ? 'no approval is pending' : `${stepLabel(gate, total)} is not waiting for approval`;
    const now_ = state.phase === 'Paused' && open !== undefined ? `it waits for ${stepLabel(open, total)}` : `it is ${state.phase} at step ${state.stepIndex + 1}/${total}`;
    throw new ActionConflict(`Cannot ${request.kind}: ${what}; ${now_}`);
  }
  const at = now.toISOString();
  const approval = { gate: open, decision: verb, actor: request.actor, at, ...(request.comment ? { comment: request.comment } : {}) } as const;
  const recorded = { ...state, approvals: [...state.approvals, approval] };
  const label = stepLabel(open, total);
  if (verb === 'rejected') {
    return { alreadyDone: false, state: rollingBack(recorded, 'Rejected', `${label} rejected by ${request.actor.id}`, now), event: event('Rejected', `${label} rejected by ${request.actor.id}`, { gate: open }) };
  }
  const opened = open === 'promotion'
    ? moveTo(recorded, 'Promoting', now, { message: `Promoting ${state.spec.canaryImage}` })
    : enterStep(recorded, open, now);
  return { alreadyDone: false, state: { ...opened, nextTickAt: at }, event: event('Approved', `${label} approved by ${request.actor.id}`, { gate: open }) };
}

export { hasDecision };
