import type { AnalysisOutcome } from './analysis.js';
import type { AuditEventDraft, Command, Decision, Observation } from './commands.js';
import { gateHasHooks, judgeGateHooks, judgePreRollout, judgeRollbackHooks, preRolloutPending } from './gate-hooks.js';
import { isTerminal } from './phases.js';
import type { Actor, RolloutState } from './state.js';
import { ENGINE, addMs, enterStep, hasDecision, moveTo, pausedFor, rollingBack, stepLabel } from './transition.js';

/** How often to look again while waiting on the cluster (canary start-up, promotion). */
export const CLUSTER_POLL_MS = 2_000;

export type { Decision } from './commands.js';
export { clusterFailed } from './transition.js';

/**
 * The whole decision core: given the rollout, what one tick observed and the time, return the next
 * state, the effects to apply and the audit entries to record. Pure: no I/O, no clock, no randomness.
 */
export function decide(state: RolloutState, observation: Observation, now: Date): Decision {
  if (isTerminal(state.phase)) return { state, commands: [], events: [] };
  const events: AuditEventDraft[] = [];
  const record = (type: string, message: string, data?: Record<string, unknown>, actor: Actor = ENGINE): void => {
    events.push({ type, at: now.toISOString(), actor, message, ...(data ? { data } : {}) });
  };
  const next = nextState(state, observation, now, record);
  const commands: Command[] = [];
  // The traffic object is reconciled to the desired weight on every tick, which also repairs drift
  // and a crash between a weight change and the save that recorded it.
  if (observation.weight !== next.canaryWeight) commands.push({ type: 'SetCanaryWeight', weight: next.canaryWeight });
  commands.push(...phaseCommands(next, observation));
  const finished = isTerminal(next.phase);
  return { state: { ...next, nextTickAt: finished ? undefined : next.nextTickAt, updatedAt: now.toISOString() }, commands, events };
}

type Record_ = (type: string, message: string, data?: Record<string, unknown>, actor?: Actor) => void;

function phaseCommands(next: RolloutState, observation: Observation): Command[] {
  switch (next.phase) {
    case 'Initializing':
      return preRolloutPending(next) ? [] : [{ type: 'EnsureCanary', image: next.spec.canaryImage }];
    case 'Promoting':
      return [{ type: 'PromoteStable', image: next.spec.canaryImage }];
    case 'Completed':
    case 'Failed':
      return observation.canary.exists ? [{ type: 'DeleteCanary' }] : [];
    default:
      return [];
  }
}

function nextState(state: RolloutState, observation: Observation, now: Date, record: Record_): RolloutState {
  const { spec } = state;
  const crash = observation.canary.crash;
  const rollbackAllowed = spec.autoRollback.enabled;
  const activePhase = state.phase === 'Initializing' || state.phase === 'Progressing' || state.phase === 'Paused';
  if (activePhase && crash && rollbackAllowed && spec.autoRollback.onPodCrash) {
    const why = `canary pod ${crash.pod} is ${crash.reason} (restarts: ${crash.restarts})`;
    record('RollbackStarted', why, { reason: 'PodCrash', crash });
    return rollingBack(state, 'PodCrash', why, now);
  }
  const rollbackAsked = judgeRollbackHooks(state, observation.hooks, now, record);
  if (rollbackAsked) return rollbackAsked;
  switch (state.phase) {
    case 'Initializing': {
      const pre = judgePreRollout(state, observation.hooks, now, record);
      return pre.proceed ? initializing(pre.state, observation, now, record) : pre.state;
    }
    case 'Progressing':
    case 'Paused': {
      // An opened gate or a rejecting hook decides; a still-closed gate keeps analysing while it waits.
      const gated = judgeGateHooks(state, observation.hooks, now, record);
      return gated && gated.phase !== 'Paused' ? gated : progressing(gated ?? state, observation.analysis, now, record);
    }
    case 'Promoting':
      return promoting(state, observation, now, record);
    case 'RollingBack': {
      const why = state.failure?.message ?? 'rolled back';
      record('RolledBack', `Traffic is 100% stable and the canary is deleted: ${why}`, { reason: state.failure?.reason, weight: 0 });
      return moveTo(state, 'Failed', now, { canaryWeight: 0, message: `Failed: ${why}` });
    }
    default:
      return state;
  }
}

function initializing(state: RolloutState, observation: Observation, now: Date, record: Record_): RolloutState {
  const waited = now.getTime() - Date.parse(state.phaseSince);
  if (!observation.canary.available) {
    if (waited > state.spec.progressDeadlineMs) {
      const why = `canary Deployment ${state.spec.targetDeployment}-canary did not become available within the progress deadline`;
      record('RollbackStarted', why, { reason: 'ProgressDeadline' });
      return rollingBack(state, 'ProgressDeadline', why, now);
    }
    return { ...state, message: 'Waiting for the canary Deployment to become available', nextTickAt: addMs(now, CLUSTER_POLL_MS) };
  }
  record('CanaryReady', `Canary ${state.spec.canaryImage} is available`, { image: state.spec.canaryImage, waitedMs: waited });
  return advance(state, 0, now, record);
}

/** Enters step `index`, or opens its approval gate first. Past the last step, promotion follows. */
function advance(state: RolloutState, index: number, now: Date, record: Record_): RolloutState {
  const { spec } = state;
  const gate: number | 'promotion' = index >= spec.steps.length ? 'promotion' : index;
  const needsApproval = (gate === 'promotion' ? spec.approvalBeforePromotion : spec.steps[gate]?.approval === true) || gateHasHooks(spec, gate);
  if (needsApproval && hasDecision(state, gate) !== 'approved') {
    const label = stepLabel(gate, spec.steps.length);
    record('ApprovalRequested', `Waiting for approval of ${label}`, { gate });
    return { ...pausedFor(state, 'AwaitingApproval', `Waiting for approval of ${label}`, now, gate), nextTickAt: addMs(now, spec.analysis.intervalMs) };
  }
  if (gate === 'promotion') {
    record('PromotionStarted', `All steps passed; promoting ${spec.canaryImage} to ${spec.targetDeployment}`, { image: spec.canaryImage, steps: spec.steps.length, lastScore: state.analysis.last?.score ?? null });
    return { ...moveTo(state, 'Promoting', now, { message: `Promoting ${spec.canaryImage}` }), nextTickAt: now.toISOString() };
  }
  const entered = enterStep(state, gate, now);
  record('StepAdvanced', entered.message, { step: gate + 1, weight: entered.canaryWeight });
  const pause = spec.steps[gate]?.pauseMs ?? 0;
  return { ...entered, nextTickAt: addMs(now, Math.min(pause, spec.analysis.intervalMs)) };
}

function progressing(state: RolloutState, analysis: AnalysisOutcome | undefined, now: Date, record: Record_): RolloutState {
  const { spec } = state;
  let next = state;
  if (analysis) {
    next = recordAnalysis(state, analysis, now, record);
    if (next.phase !== state.phase || next.phase === 'RollingBack') return next;
  }
  if (next.phase === 'Paused') return withinApprovalTimeout(next, now, record);
  const step = spec.steps[next.stepIndex];
  const stepEnd = Date.parse(next.stepStartedAt ?? now.toISOString()) + (step?.pauseMs ?? 0);
  const evidence = (step?.pauseMs ?? 0) === 0 || (next.analysis.last?.verdict === 'pass' && Date.parse(next.analysis.last.at) >= Date.parse(next.stepStartedAt ?? ''));
  if (now.getTime() >= stepEnd && evidence) return advance(next, next.stepIndex + 1, now, record);
  const nextAt = now.getTime() >= stepEnd ? now.getTime() + spec.analysis.intervalMs : Math.min(stepEnd, now.getTime() + spec.analysis.intervalMs);
  return { ...next, nextTickAt: new Date(nextAt).toISOString() };
}

/** Folds one analysis into the state: fail → rollback (past failureLimit), grey or too inconclusive → pause. */
function recordAnalysis(state: RolloutState, analysis: AnalysisOutcome, now: Date, record: Record_): RolloutState {
  const { spec } = state;
  const comparison = analysis.comparison
    ? { verdict: analysis.comparison.verdict, errorRatePValue: analysis.comparison.errorRate.pValue, latencyPValue: analysis.comparison.latency.pValue, reason: analysis.comparison.reason }
    : undefined;
  const last = { at: now.toISOString(), verdict: analysis.verdict, score: analysis.score, reason: analysis.reason, metrics: analysis.metrics, ...(comparison ? { comparison } : {}) };
  const failures = state.analysis.failures + (analysis.verdict === 'fail' ? 1 : 0);
  const inconclusive = analysis.verdict === 'inconclusive' ? state.analysis.consecutiveInconclusive + 1 : 0;
  const base: RolloutState = { ...state, analysis: { failures, consecutiveInconclusive: inconclusive, last } };
  record('Analysis', `${analysis.verdict}: ${analysis.reason}`, { verdict: analysis.verdict, score: analysis.score, metrics: analysis.metrics, weight: state.canaryWeight, ...(analysis.comparison ? { comparison: analysis.comparison } : {}) });
  const interval = addMs(now, spec.analysis.intervalMs);
  if (analysis.verdict === 'fail' && failures > spec.analysis.failureLimit) {
    if (spec.autoRollback.enabled && spec.autoRollback.onMetricsFail) {
      record('RollbackStarted', analysis.reason, { reason: 'MetricsFailed', score: analysis.score });
      return rollingBack(base, 'MetricsFailed', analysis.reason, now);
    }
    return { ...pausedFor(base, 'HealthGreyZone', `Analysis failed and automatic rollback is off: ${analysis.reason}`, now), nextTickAt: interval };
  }
  const awaiting = state.phase === 'Paused' && (state.pause?.reason === 'AwaitingApproval' || state.pause?.reason === 'PausedByUser');
  if (awaiting) return base; // a person decides these; analysis only watches for failure
  if (analysis.verdict === 'grey') return { ...pausedFor(base, 'HealthGreyZone', `Holding: ${analysis.reason}`, now), nextTickAt: interval };
  if (analysis.verdict === 'inconclusive' && inconclusive >= spec.analysis.inconclusiveLimit) {
    return { ...pausedFor(base, 'Inconclusive', `Holding after ${inconclusive} inconclusive analyses: ${analysis.reason}`, now), nextTickAt: interval };
  }
  if (analysis.verdict === 'pass' && state.phase === 'Paused') {
    record('Resumed', `Health recovered (${analysis.reason}); continuing`, { verdict: analysis.verdict, score: analysis.score });
    return { ...moveTo(base, 'Progressing', now, { message: `Step ${state.stepIndex + 1}/${spec.steps.length}: health recovered` }), nextTickAt: now.toISOString() };
  }
  return base;
}

function withinApprovalTimeout(state: RolloutState, now: Date, record: Record_): RolloutState {
  const { spec, pause } = state;
  const interval = addMs(now, spec.analysis.intervalMs);
  const timeout = spec.approvalTimeoutMs;
  if (pause?.reason !== 'AwaitingApproval' || timeout === undefined || now.getTime() - Date.parse(pause.since) < timeout) {
    return { ...state, nextTickAt: interval };
  }
  if (spec.onApprovalTimeout === 'reject') {
    const why = `no approval within ${Math.round(timeout / 1000)}s`;
    record('RollbackStarted', why, { reason: 'Rejected', gate: pause.gate });
    return rollingBack(state, 'Rejected', why, now);
  }
  return { ...state, nextTickAt: interval };
}

function promoting(state: RolloutState, observation: Observation, now: Date, record: Record_): RolloutState {
  const { spec } = state;
  const promoted = observation.stable.image === spec.canaryImage && observation.stable.available;
  if (!promoted) return { ...state, message: `Promoting: waiting for ${spec.targetDeployment} to run ${spec.canaryImage}`, nextTickAt: addMs(now, CLUSTER_POLL_MS) };
  record('Completed', `${spec.targetDeployment} runs ${spec.canaryImage}; traffic is 100% on it and the canary is deleted`, { image: spec.canaryImage, stableImage: observation.stable.image, stableAvailable: observation.stable.available });
  return moveTo(state, 'Completed', now, { canaryWeight: 0, message: `Completed: ${spec.targetDeployment} runs ${spec.canaryImage}` });
}
