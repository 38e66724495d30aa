/**
 * The status the engine writes into a `CanaryDeployment` object, in the shape Kubernetes tools read:
 * `kubectl get` (printer columns), `kubectl wait --for=condition=Ready`, `kubectl describe` and Argo CD's
 * health check (infra/k8s/argocd-health.lua). Pure: the caller passes the conditions the object has now
 * (to keep their transition times) and the clock.
 *
 * Conditions follow the Kubernetes convention (metav1.Condition): a condition's `lastTransitionTime`
 * changes only when its `status` does; `reason` is a CamelCase word, `message` is for people.
 *
 * | phase                                   | Ready | Progressing                    | Failed                 |
 * |-----------------------------------------|-------|--------------------------------|------------------------|
 * | Initializing, Progressing, Promoting,   | False | True (reason: the phase)       | False                  |
 * | RollingBack                             |       |                                |                        |
 * | Paused                                  | False | True (reason: the pause reason)| False                  |
 * | Completed                               | True  | False (Completed)              | False                  |
 * | Failed                                  | False | False (Failed)                 | True (failure.reason)  |
 * | an invalid spec (nothing started)       | False | False (InvalidSpec)            | True (InvalidSpec)     |
 */
import type { RolloutState } from './state.js';

export const CONDITION_TYPES = ['Ready', 'Progressing', 'Failed'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** One condition in the usual Kubernetes shape; the CanaryObjects port re-exports it. */
export interface ObjectCondition {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** The status the engine writes on a CanaryDeployment object. */
export interface ObjectStatus {
  observedGeneration?: number;
  phase: string;
  weight: number;
  step: string;
  health?: number;
  message: string;
  rolloutId?: string;
  conditions: ObjectCondition[];
}

/** The reason an invalid object's Failed condition carries (also the Event's reason). */
export const INVALID_SPEC_REASON = 'InvalidSpec';

/** Kubernetes caps a condition message at 32768 characters; status should stay far smaller than that. */
const MAX_MESSAGE = 4096;
const clip = (text: string): string => (text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE - 1)}…`);

/** metav1.Time is RFC 3339 in whole seconds. */
export const kubernetesTime = (at: Date): string => at.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** metav1.Condition's reason: `^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`; anything else becomes CamelCase-ish. */
function reasonWord(reason: string): string {
  const cleaned = reason.replace(/[^A-Za-z0-9_,:]/g, '').replace(/^[^A-Za-z]+/, '').replace(/[,:]+$/, '');
  return cleaned || 'Unknown';
}

type Draft = Omit<ObjectCondition, 'lastTransitionTime' | 'observedGeneration'>;

/** The drafts with transition times kept from `previous` where the status did not change. */
function settle(drafts: Draft[], previous: ObjectCondition[] | undefined, generation: number | undefined, now: Date): ObjectCondition[] {
  return drafts.map((draft) => {
    const before = previous?.find((c) => c.type === draft.type);
    const lastTransitionTime = before && before.status === draft.status && before.lastTransitionTime ? before.lastTransitionTime : kubernetesTime(now);
    return {
      ...draft,
      reason: reasonWord(draft.reason),
      message: clip(draft.message),
      lastTransitionTime,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
  });
}

/** The generation of the object a rollout was started from, if it came from one. */
const sourceGeneration = (state: RolloutState): number | undefined => state.source?.generation;

/** The object's status for a rollout's current state. */
export function objectStatus(state: RolloutState, previous: ObjectCondition[] | undefined, now: Date): ObjectStatus {
  const generation = sourceGeneration(state);
  const { phase } = state;
  const message = state.message;
  const completed = phase === 'Completed';
  const failed = phase === 'Failed';
  const active = !completed && !failed;
  const failure = state.failure;

  const progressingReason = phase === 'Paused' && state.pause ? state.pause.reason : phase;
  const progressingMessage = phase === 'Paused' && state.pause?.message ? state.pause.message : message;
  const drafts: Draft[] = [
    { type: 'Ready', status: completed ? 'True' : 'False', reason: phase, message },
    { type: 'Progressing', status: active ? 'True' : 'False', reason: progressingReason, message: progressingMessage },
    failed
      ? { type: 'Failed', status: 'True', reason: failure?.reason ?? 'Failed', message: failure?.message ?? message }
      : { type: 'Failed', status: 'False', reason: phase, message: phase === 'RollingBack' && failure ? `rolling back: ${failure.message}` : '' },
  ];

  const health = state.analysis.last?.score;
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    phase,
    weight: Math.round(state.canaryWeight),
    step: `${Math.max(state.stepIndex + 1, 0)}/${state.spec.steps.length}`,
    ...(health != null ? { health } : {}),
    message: clip(message),
    rolloutId: state.id,
    conditions: settle(drafts, previous, generation, now),
  };
}

/**
 * The status of an object whose spec the engine refused (a step order, a missing target Deployment...):
 * nothing started, and the status names every field path and the rule it breaks.
 */
export function invalidSpecStatus(
  problems: ReadonlyArray<{ path: string; message: string }>,
  generation: number,
  previous: ObjectCondition[] | undefined,
  now: Date,
): ObjectStatus {
  const listed = problems.length > 0 ? problems.map((p) => `${p.path}: ${p.message}`).join('; ') : 'the spec was refused';
  const message = clip(`invalid spec, nothing started: ${listed}`);
  const drafts: Draft[] = [
    { type: 'Ready', status: 'False', reason: INVALID_SPEC_REASON, message },
    { type: 'Progressing', status: 'False', reason: INVALID_SPEC_REASON, message: 'nothing started: fix the spec and apply it again' },
    { type: 'Failed', status: 'True', reason: INVALID_SPEC_REASON, message },
  ];
  return {
    observedGeneration: generation,
    phase: 'Failed',
    weight: 0,
    step: '-',
    message,
    conditions: settle(drafts, previous, generation, now),
  };
}
