import type { AnalysisOutcome } from './analysis.js';
import type { AuditEventDraft, Command, Decision, Observation } from './commands.js';
import { CLUSTER_POLL_MS, decideRollback, promoting, rollingBackStep, type Step } from './exits.js';
import { gateHasHooks, judgeGateHooks, judgePreRollout, judgeRollbackHooks, preRolloutPending } from './gate-hooks.js';
import { isTerminal, type FailureReason } from './phases.js';
import { canaryReplicas } from './spec.js';
import type { Actor, RolloutState } from './state.js';
import { ENGINE, addMs, enterStep, hasDecision, moveTo, pausedFor, rollingBack, stepLabel } from './transition.js';

export { CLUSTER_POLL_MS };
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
  const { state: next, commands: phaseCommands } = nextStep(withTargetRecorded(state, observation), observation, now, record);
  const finished = isTerminal(next.phase);
  const stamped = { ...next, nextTickAt: finished ? undefined : next.nextTickAt, updatedAt: now.toISOString() };
  // A decided promotion or rollback is saved before its first effect, so a crash cannot re-decide it:
  // the next tick, due at once, performs it. A terminal phase is only reached once the cluster confirmed it.
  const committed = next.phase !== state.phase && (next.phase === 'RollingBack' || next.phase === 'Promoting');
  if (committed) return { state: { ...stamped, nextTickAt: now.toISOString() }, commands: [], events };
  if (finished) return { state: stamped, commands: [], events };
  const commands: Command[] = [...capacity(next, observation), ...phaseCommands];
  // The traffic object is reconciled to the desired weight on every tick, which also repairs drift and a
  // crash between a weight change and the save that recorded it. Capacity comes before traffic.
  const trafficMissing = observation.weight === undefined && (observation.missing?.length ?? 0) > 0;
  const weighs = next.phase !== 'Initializing' || observation.canary.exists;
  if (weighs && !trafficMissing && observation.weight !== next.canaryWeight) commands.push({ type: 'SetCanaryWeight', weight: next.canaryWeight });
  return { state: stamped, commands, events };
}

type Record_ = (type: string, message: string, data?: Record<string, unknown>, actor?: Actor) => void;

/** The target as first seen: the image to restore after a failed promotion, the template to notice edits of. */
function withTargetRecorded(state: RolloutState, observation: Observation): RolloutState {
  const { image, templateHash, replicas, exists } = observation.stable;
  const before = state.phase === 'Initializing' || state.phase === 'Progressing' || state.phase === 'Paused';
  if (state.target || !before || exists === false || image === undefined) return state;
  return { ...state, target: { image, replicas: replicas ?? 1, ...(templateHash ? { templateHash } : {}) } };
}

/** Canary replicas for the desired weight (spec.canaryScale); capacity is added before traffic. */
function capacity(next: RolloutState, observation: Observation): Command[] {
  const active = next.phase === 'Initializing' || next.phase === 'Progressing' || next.phase === 'Paused';
  if (!active || observation.stable.exists === false) return [];
  const replicas = canaryReplicas(next.spec.canaryScale, next.canaryWeight, observation.stable.replicas ?? next.target?.replicas ?? 1);
  const create = next.phase === 'Initializing' && !preRolloutPending(next) && !observation.canary.exists;
  const rescale = observation.canary.exists && observation.canary.replicas !== undefined && observation.canary.replicas !== replicas;
  return create || rescale ? [{ type: 'EnsureCanary', image: next.spec.canaryImage, replicas }] : [];
}

/** Facts about the cluster that end or hold a running rollout before any analysis is read. */
function clusterVerdict(state: RolloutState, observation: Observation, now: Date, record: Record_): RolloutState | undefined {
  const rollBack = (reason: FailureReason, why: string) => decideRollback(state, reason, why, observation, now, record);
  if (observation.missing?.length) return rollBack('ClusterError', `${observation.missing.join(', ')} not found: create it or fix the CanaryDeployment's spec`);
  if (observation.foreign?.length) {
    return rollBack('ClusterError', `${observation.foreign.join(', ')} already exists and was not created by Codedance: it is never adopted or deleted; rename or delete it, then start again`);
  }
  if (state.phase !== 'Initializing' && !observation.canary.exists) {
    return rollBack('CanaryDeleted', `canary Deployment ${state.spec.targetDeployment}-canary was deleted by someone else`);
  }
  const edited = state.target?.templateHash !== undefined && observation.stable.templateHash !== undefined && observation.stable.templateHash !== state.target.templateHash;
  if (edited && !(state.phase === 'Paused' && state.pause?.reason === 'TargetChanged')) {
    const why = `${state.spec.targetDeployment}'s pod template was changed by someone else mid-rollout; review it, then resume (the change becomes the new baseline) or abort`;
    record('TargetChanged', why, { recorded: state.target?.templateHash, observed: observation.stable.templateHash });
    return { ...pausedFor(state, 'TargetChanged', why, now), nextTickAt: addMs(now, state.spec.analysis.intervalMs) };
  }
  return undefined;
}

function nextStep(state: RolloutState, observation: Observation, now: Date, record: Record_): Step {
  switch (state.phase) {
    case 'Promoting': return promoting(state, observation, now, record);
    case 'RollingBack': return rollingBackStep(state, observation, now, record);
    default: return { state: nextState(state, observation, now, record), commands: [] };
  }
}

function nextState(state: RolloutState, observation: Observation, now: Date, record: Record_): RolloutState {
  const { spec } = state;
  const crash = observation.canary.crash;
  if (crash && spec.autoRollback.enabled && spec.autoRollback.onPodCrash) {
    return decideRollback(state, 'PodCrash', `canary pod ${crash.pod} is ${crash.reason} (restarts: ${crash.restarts})`, observation, now, record);
  }
  const held = clusterVerdict(state, observation, now, record);
  if (held) return held;
  const rollbackAsked = judgeRollbackHooks(state, observation.hooks, now, record);
  if (rollbackAsked) return rollbackAsked;
  if (state.phase === 'Initializing') {
    const pre = judgePreRollout(state, observation.hooks, now, record);
    return pre.proceed ? initializing(pre.state, observation, now, record) : pre.state;
  }
  // An opened gate or a rejecting hook decides; a still-closed gate keeps analysing while it waits.
  const gated = judgeGateHooks(state, observation.hooks, now, record);
  return gated && gated.phase !== 'Paused' ? gated : progressing(gated ?? state, observation.analysis, now, record);
}

function initializing(state: RolloutState, observation: Observation, now: Date, record: Record_): RolloutState {
  const waited = now.getTime() - Date.parse(state.phaseSince);
  if (!observation.canary.available) {
    if (waited > state.spec.progressDeadlineMs) {
      const why = `canary Deployment ${state.spec.targetDeployment}-canary did not become available within the progress deadline`;
      return decideRollback(state, 'ProgressDeadline', why, observation, now, record);
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
    // onMetricsFail decides whether a single breach fails the analysis at once; a failed analysis (a breach
    // with it on, a health score < 60 with it on or off) rolls back whenever automatic rollback is enabled.
    if (spec.autoRollback.enabled) {
      record('RollbackStarted', analysis.reason, { reason: 'MetricsFailed', score: analysis.score });
      return rollingBack(base, 'MetricsFailed', analysis.reason, now);
    }
    return { ...pausedFor(base, 'HealthGreyZone', `Analysis failed and automatic rollback is off: ${analysis.reason}`, now), nextTickAt: interval };
  }
  const awaiting = state.phase === 'Paused' && (state.pause?.reason === 'AwaitingApproval' || state.pause?.reason === 'PausedByUser' || state.pause?.reason === 'TargetChanged');
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
