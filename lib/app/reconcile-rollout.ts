import { analyse, withComparison } from '../domain/analysis.js';
import { compareWithStable } from '../domain/compare.js';
import type { AnalysisOutcome } from '../domain/analysis.js';
import type { Command } from '../domain/commands.js';
import { clusterFailed, decide, type Decision } from '../domain/decide.js';
import { rollbackIncomplete } from '../domain/exits.js';
import { hooksDue } from '../domain/gate-hooks.js';
import { isTerminal } from '../domain/phases.js';
import type { RolloutSpec } from '../domain/spec.js';
import type { RolloutState } from '../domain/state.js';
import type { ClusterPort, RolloutRef } from '../ports/cluster.js';
import { MAX_DELAY_SECONDS, type TickMessage } from '../ports/tick-queue.js';
import type { Dependencies, FaultPoint } from './dependencies.js';
import { announceEnd, callGateHooks } from './call-gate-hooks.js';
import { nudgeRelease } from './advance-release.js';
import { ConcurrentUpdateError, DependencyError } from './errors.js';
import { createObjectBestEffort, mirrorBestEffort, notifyBestEffort } from './notify.js';
import { scheduleTick } from './schedule-tick.js';
import { handOverAfterEnd } from './sync-objects.js';

export type TickOutcome =
  | { kind: 'not-found' | 'stale' | 'finished' }
  | { kind: 'woke-early'; wakeAt: string }
  | { kind: 'lost-race' }
  | { kind: 'decided'; phase: RolloutState['phase']; commands: Command[] };

/** A message this far ahead of its due time is a link in a wake-up chain, not a decision. */
const EARLY_TOLERANCE_MS = 1_000;

/**
 * One tick: load → (drop duplicates) → observe → decide → apply → save(expected version) → schedule.
 * Effects are applied before the save so a crash repeats idempotent effects instead of losing them;
 * the save is conditional so of two racing deliveries exactly one records its decision.
 */
export async function reconcileRollout(deps: Dependencies, message: TickMessage): Promise<TickOutcome> {
  const state = await deps.store.get(message.rolloutId);
  if (!state) return { kind: 'not-found' };
  if (isTerminal(state.phase)) return { kind: 'finished' };
  if (message.seq !== state.tickSeq) return { kind: 'stale' };
  const arrived = deps.clock.now();
  const due = Date.parse(state.nextTickAt ?? message.wakeAt);
  if (due - arrived.getTime() > EARLY_TOLERANCE_MS) {
    // Chained wake-up: SQS cannot delay more than 900 s, so re-enqueue the remainder unchanged.
    const delay = Math.min(MAX_DELAY_SECONDS, (due - arrived.getTime()) / 1000);
    await deps.queue.schedule({ ...message, wakeAt: state.nextTickAt ?? message.wakeAt }, delay);
    return { kind: 'woke-early', wakeAt: state.nextTickAt ?? message.wakeAt };
  }
  // SQS delays are whole seconds and the queue rounds them down, so a timed tick comes up to a second
  // early rather than late; it waits out the rest, so decisions and their timestamps stay on time.
  if (due > arrived.getTime()) await new Promise((resolve) => setTimeout(resolve, due - arrived.getTime()));
  const now = deps.clock.now();
  const cluster = deps.clusters.get(state.spec.cluster);
  const tick = { rolloutId: state.id, seq: state.tickSeq };
  const fault = (point: FaultPoint): void => deps.faults?.before?.(point, tick);
  const rollout: RolloutRef = { id: state.id, spec: state.spec };
  let decision: Decision;
  try {
    const due = hooksDue(state);
    const [observed, analysis, hooks] = await Promise.all([
      cluster.observe(rollout),
      shouldAnalyse(state) ? analyseCanary(deps, windowSinceCreated(state.spec, state.createdAt, now), now) : undefined,
      due ? callGateHooks(deps, state, due) : undefined,
    ]);
    decision = decide(state, { ...observed, ...(analysis ? { analysis } : {}), ...(hooks ? { hooks } : {}) }, now);
    const refused = await applyAll(cluster, rollout, decision.commands, decision.state.phase === 'RollingBack', () => fault('after-cluster-write'));
    if (refused.length > 0) decision = finishIncomplete(decision, refused, now);
  } catch (error) {
    // Transient faults are deferred or retried (see defer-tick); a permanent refusal is a fact about the
    // cluster that retrying cannot change: roll back, or, while rolling back, finish and say what is left.
    if (!isPermanent(error)) throw error;
    decision = state.phase === 'RollingBack'
      ? finishIncomplete({ state, commands: [], events: [] }, [error.message], now)
      : clusterFailed(state, error.message, now);
  }
  fault('after-effects');
  const next: RolloutState = { ...decision.state, version: state.version + 1, tickSeq: state.tickSeq + 1 };
  let saved: RolloutState;
  try {
    saved = await deps.store.save(next, state.version, decision.events);
  } catch (error) {
    if (error instanceof ConcurrentUpdateError) return { kind: 'lost-race' };
    throw error;
  }
  fault('after-save');
  await scheduleTick(deps, saved, deps.clock.now());
  fault('after-enqueue');
  // The first tick gives a rollout started over HTTP, the CLI or a release its CanaryDeployment object (the
  // tick carries the Kubernetes adapter; the HTTP functions stay light), then every tick mirrors its status.
  if (state.tickSeq === 0) await createObjectBestEffort(deps, saved);
  await Promise.all([notifyBestEffort(deps, saved, decision.events), mirrorBestEffort(deps, saved), announceEnd(deps, state, saved), nudgeRelease(deps, state, saved), handOverAfterEnd(deps, state, saved)]);
  return { kind: 'decided', phase: saved.phase, commands: decision.commands };
}

/** Analysis runs while the canary takes traffic in Progressing or Paused; never on an idle canary. */
function shouldAnalyse(state: RolloutState): boolean {
  return (state.phase === 'Progressing' || state.phase === 'Paused') && state.canaryWeight > 0;
}

/**
 * The analysis window never reaches back before this rollout was created. The canary's metrics carry the
 * same labels from one rollout of a target to the next, so a window reaching into the previous rollout
 * (a faulty canary rolled back a minute ago) would judge this canary by that one's errors. Whole seconds,
 * at least one; a short window with too few requests is inconclusive (minRequests), never a verdict.
 */
export function windowSinceCreated(spec: RolloutSpec, createdAt: string, now: Date): RolloutSpec {
  const sinceMs = Math.floor((now.getTime() - Date.parse(createdAt)) / 1000) * 1000;
  const windowMs = Math.max(1000, Math.min(spec.analysis.windowMs, sinceMs));
  return windowMs === spec.analysis.windowMs ? spec : { ...spec, analysis: { ...spec.analysis, windowMs } };
}

async function analyseCanary(deps: Dependencies, spec: RolloutSpec, now: Date): Promise<AnalysisOutcome> {
  try {
    const [measurements, comparisonInput] = await Promise.all([
      deps.metrics.measure(spec, now),
      spec.analysis.comparison && deps.metrics.comparisonInput ? deps.metrics.comparisonInput(spec, now) : undefined,
    ]);
    const outcome = analyse(measurements, {
      thresholds: spec.thresholds, weights: spec.scoreWeights, minRequests: spec.analysis.minRequests,
      hardFailOnBreach: spec.autoRollback.enabled && spec.autoRollback.onMetricsFail,
    });
    const policy = spec.analysis.comparison;
    return comparisonInput && policy ? withComparison(outcome, compareWithStable(comparisonInput, policy)) : outcome;
  } catch (error) {
    // The metrics source failing is not evidence about the canary: inconclusive, never pass or fail.
    const why = error instanceof Error ? error.message : String(error);
    return { verdict: 'inconclusive', score: null, metrics: [], reason: `metrics source failed: ${why}` };
  }
}

/** A rollback the cluster refused part of ends Failed with RollbackIncomplete, notified like a failure. */
function finishIncomplete(decision: Decision, refused: string[], now: Date): Decision {
  const events = [...decision.events];
  const record = (type: string, message: string, data?: Record<string, unknown>): void => {
    events.push({ type, at: now.toISOString(), actor: { id: 'engine', via: 'engine' }, message, ...(data ? { data } : {}) });
  };
  const state = decision.state.phase === 'RollingBack' ? rollbackIncomplete(decision.state, refused, now, record) : decision.state;
  return { state: { ...state, updatedAt: now.toISOString() }, commands: decision.commands, events };
}

/**
 * Applies commands in order. While rolling back, a permanent refusal is recorded and skipped.
 * `written` runs after each command (the test-only crash point between two cluster writes).
 */
async function applyAll(cluster: ClusterPort, rollout: RolloutRef, commands: Command[], tolerateRefusals: boolean, written: () => void): Promise<string[]> {
  const refused: string[] = [];
  for (const command of commands) {
    try {
      await apply(cluster, rollout, command);
    } catch (error) {
      if (!tolerateRefusals || !isPermanent(error)) throw error;
      refused.push(`${command.type}: ${error.message}`);
    }
    written();
  }
  return refused;
}

const isPermanent = (error: unknown): error is DependencyError => error instanceof DependencyError && !error.transient;

async function apply(cluster: ClusterPort, rollout: RolloutRef, command: Command): Promise<void> {
  switch (command.type) {
    case 'SetCanaryWeight': return cluster.setCanaryWeight(rollout, command.weight);
    case 'EnsureCanary': return cluster.ensureCanary(rollout, command.replicas);
    case 'SetStableImage': return cluster.setStableImage(rollout, command.image);
    case 'DeleteCanary': return cluster.deleteCanary(rollout);
  }
}
