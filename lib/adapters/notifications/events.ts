import type { AuditEventDraft } from '../../domain/commands.js';
import type { RolloutState } from '../../domain/state.js';
import type { NotificationEvent, NotificationPayload } from '../../app/deliver-notification.js';

/**
 * Which audit events people hear about. One audit event gives at most one notification per
 * destination (so the idempotency key can be its position); `also` lists further subscription names it
 * satisfies: a rollback is both "rolled back" and "failed" to whoever subscribed to either.
 */
export interface Notable {
  event: NotificationEvent;
  also: NotificationEvent[];
  draft: AuditEventDraft;
  /** Position in the audit trail, when it can be derived from the saved head. */
  position: number | undefined;
}

const BY_AUDIT_TYPE: Record<string, { event: NotificationEvent; also: NotificationEvent[] }> = {
  RolloutStarted: { event: 'started', also: [] },
  StepAdvanced: { event: 'stepAdvanced', also: [] },
  Paused: { event: 'paused', also: [] },
  ApprovalRequested: { event: 'awaitingApproval', also: [] },
  RolledBack: { event: 'rolledBack', also: ['failed'] },
  // Failed without RolledBack: the poison-message path gave up on a rollback.
  Failed: { event: 'failed', also: [] },
  // The cluster refused part of a rollback, or the previous image never came back: as loud as a failure.
  RollbackIncomplete: { event: 'failed', also: ['rolledBack'] },
  TargetChanged: { event: 'paused', also: [] },
  Completed: { event: 'completed', also: [] },
};

/** Pauses decide() makes record only an Analysis event; the state says whether it just paused. */
const ENGINE_PAUSES = new Set(['HealthGreyZone', 'Inconclusive']);

/**
 * The notable events among the drafts just saved with `state`. Drafts are saved in order at the end
 * of the chain, so their positions follow from the saved audit head.
 */
export function notableEvents(state: RolloutState, drafts: AuditEventDraft[]): Notable[] {
  const first = state.auditHead.count - drafts.length + 1;
  const notable = drafts.flatMap((draft, index): Notable[] => {
    const position = first >= 1 ? first + index : undefined;
    const mapped = BY_AUDIT_TYPE[draft.type];
    if (mapped) return [{ ...mapped, draft, position }];
    // pausedFor() keeps `since` while a pause continues, so since === this tick's time means it began now.
    const pausedNow = draft.type === 'Analysis' && state.phase === 'Paused' && state.pause !== undefined
      && ENGINE_PAUSES.has(state.pause.reason) && state.pause.since === draft.at;
    return pausedNow ? [{ event: 'paused' as const, also: [], draft: { ...draft, message: state.pause?.message ?? draft.message }, position }] : [];
  });
  return notable;
}

export function buildPayload(state: RolloutState, notable: Notable): NotificationPayload {
  const { draft } = notable;
  const last = state.analysis.last;
  const breached = last?.metrics?.find((m) => m.breached);
  const stepWeight = draft.data?.weight;
  return {
    event: notable.event,
    auditType: draft.type,
    position: notable.position,
    rolloutId: state.id,
    name: state.spec.name,
    namespace: state.spec.namespace,
    cluster: state.spec.cluster,
    phase: state.phase,
    weight: typeof stepWeight === 'number' ? stepWeight : state.canaryWeight,
    step: state.stepIndex >= 0 ? { current: state.stepIndex + 1, total: state.spec.steps.length } : undefined,
    score: last?.score ?? null,
    failingMetric: breached ? `${breached.metric} ${breached.value ?? 'no data'} (threshold ${breached.threshold})` : undefined,
    message: draft.message,
    actor: draft.actor.id,
    at: draft.at,
  };
}

/** Human labels, shared by every formatter. */
export const EVENT_LABELS: Record<NotificationEvent, string> = {
  started: 'Rollout started',
  stepAdvanced: 'Step advanced',
  paused: 'Paused',
  awaitingApproval: 'Awaiting approval',
  rolledBack: 'Rolled back',
  completed: 'Completed',
  failed: 'Failed',
};

/** The facts every format shows, as label/value pairs in a fixed order. */
export function facts(p: NotificationPayload): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['Phase', p.phase],
    ['Weight', `${p.weight}%`],
    ['Step', p.step ? `${p.step.current}/${p.step.total}` : '–'],
    ['Health score', p.score === null ? 'n/a' : String(p.score)],
  ];
  if (p.failingMetric) rows.push(['Failing metric', p.failingMetric]);
  return rows;
}
