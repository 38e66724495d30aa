import type { AuditEventDraft } from '../domain/commands.js';
import { isItemInFlight, isReleaseTerminal, rolloutDocumentFor, type ReleaseItem, type ReleaseState, type ReleaseStatus } from '../domain/release.js';
import { planRelease, type RolloutSnapshot } from '../domain/release-planner.js';
import type { RolloutState } from '../domain/state.js';
import { ValidationError } from '../domain/validation.js';
import type { ReleaseStore } from '../ports/release-store.js';
import type { Dependencies } from './dependencies.js';
import { ActiveRolloutExistsError, AppError, ConcurrentUpdateError, NotFoundError } from './errors.js';
import { startRollout } from './start-rollout.js';
import { releasesOf } from './query-releases.js';
import { log } from '../log.js';

const ATTEMPTS = 8;
const READ_CONCURRENCY = 16;
/** A transaction holds at most 100 items; a pass that has more to say folds the routine events. */
const MAX_EVENTS = 90;


/**
 * One scheduler pass over one release: observe its rollouts, plan, start what the plan says, save.
 * Safe to run twice at once or after a crash: item rollouts have fixed ids, so a second start finds
 * the first; the release write is conditional, and a lost race re-plans from the winner's state.
 */
export async function advanceRelease(deps: Dependencies, releaseId: string, options: { untilSeen?: RolloutState } = {}): Promise<ReleaseState> {
  const store = releasesOf(deps);
  for (let attempt = 1; ; attempt++) {
    const release = await store.get(releaseId);
    if (!release) throw new NotFoundError(`Release ${releaseId}`);
    if (isReleaseTerminal(release.phase) || alreadySeen(release, options.untilSeen)) return release;
    const now = deps.clock.now();
    const observed = await observeItems(deps, release);
    const step = planRelease(release, observed, now);
    const started = await startItems(deps, release, step.starts);
    const status = withStarted(step.status, started.outcomes);
    const events = compact([...step.events, ...started.events]);
    if (!changed(release, status) && events.length === 0) return release;
    try {
      return await store.save({ ...release, ...status, version: release.version + 1, updatedAt: now.toISOString() }, release.version, events);
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= ATTEMPTS) throw error;
      // Rollouts of one wave often end together; jitter spreads their nudges instead of colliding again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 50 * attempt));
    }
  }
}

/** The rollouts worth reading: those running, and those of running waves that may have started. */
async function observeItems(deps: Dependencies, release: ReleaseState): Promise<Map<string, RolloutSnapshot>> {
  const worth = release.items.filter((i) => isItemInFlight(i.phase) || (i.phase === 'Pending' && release.waves[i.wave]?.phase === 'Running'));
  const observed = new Map<string, RolloutSnapshot>();
  for (let at = 0; at < worth.length; at += READ_CONCURRENCY) {
    const states = await Promise.all(worth.slice(at, at + READ_CONCURRENCY).map((i) => deps.store.get(i.rolloutId)));
    for (const state of states) if (state) observed.set(state.id, snapshotOf(state));
  }
  return observed;
}

export const snapshotOf = (state: RolloutState): RolloutSnapshot => {
  const reason = state.failure ? `${state.failure.reason}: ${state.failure.message}` : state.pause?.message;
  return { phase: state.phase, ...(reason ? { reason } : {}) };
};

type StartOutcome = { item: ReleaseItem; phase: ReleaseItem['phase']; reason?: string };

async function startItems(deps: Dependencies, release: ReleaseState, items: ReleaseItem[]): Promise<{ outcomes: StartOutcome[]; events: AuditEventDraft[] }> {
  const outcomes = await Promise.all(items.map((item) => startItem(deps, release, item)));
  const started = outcomes.filter((o) => o.phase !== 'Pending' && o.phase !== 'Failed');
  const events: AuditEventDraft[] = started.length === 0 ? [] : [{
    type: 'RolloutsStarted', at: deps.clock.now().toISOString(), actor: { id: 'release-scheduler', via: 'release' },
    message: `Started ${started.map((o) => `${o.item.service} in ${o.item.cluster}`).join(', ')}`,
    data: { rollouts: started.map((o) => ({ service: o.item.service, cluster: o.item.cluster, rolloutId: o.item.rolloutId })) },
  }];
  return { outcomes, events };
}

/** Starts one item's rollout through the same use case as POST /rollouts; "it already exists" is success. */
async function startItem(deps: Dependencies, release: ReleaseState, item: ReleaseItem): Promise<StartOutcome> {
  try {
    const state = await startRollout(deps, {
      id: item.rolloutId, releaseId: release.id, document: rolloutDocumentFor(release.plan, item), actor: { id: `release ${release.plan.name}`, via: 'release' },
    });
    return { item, phase: state.phase };
  } catch (error) {
    if (error instanceof ConcurrentUpdateError || (error instanceof ActiveRolloutExistsError && error.activeRolloutId === item.rolloutId)) {
      const existing = await deps.store.get(item.rolloutId);
      if (existing) return { item, ...snapshotOf(existing) };
    }
    if (error instanceof ActiveRolloutExistsError) {
      // Someone else is rolling this target out; the item waits its turn rather than failing the release.
      return { item, phase: 'Pending', reason: `waiting: ${error.message}` };
    }
    if (error instanceof ValidationError || (error instanceof AppError && error.status < 500)) {
      return { item, phase: 'Failed', reason: `could not start: ${error.message}` };
    }
    log.warn('release item start failed; retried on the next pass', { releaseId: release.id, rolloutId: item.rolloutId, error: error instanceof Error ? error.message : String(error) });
    return { item, phase: 'Pending', reason: `start failed, will retry: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function withStarted(status: ReleaseStatus, outcomes: StartOutcome[]): ReleaseStatus {
  if (outcomes.length === 0) return status;
  const byId = new Map(outcomes.map((o) => [o.item.rolloutId, o]));
  return {
    ...status,
    items: status.items.map((item) => {
      const outcome = byId.get(item.rolloutId);
      if (!outcome) return item;
      const { reason: _old, ...rest } = item;
      return { ...rest, phase: outcome.phase, ...(outcome.reason ? { reason: outcome.reason } : {}) };
    }),
  };
}

function changed(before: ReleaseState, after: ReleaseStatus): boolean {
  const { plan: _p, document: _d, ...status } = before;
  return JSON.stringify({ ...status, updatedAt: '' }) !== JSON.stringify({ ...after, updatedAt: '' });
}

function compact(events: AuditEventDraft[]): AuditEventDraft[] {
  if (events.length <= MAX_EVENTS) return events;
  const routine = events.filter((e) => e.type === 'RolloutCompleted');
  const rest = events.filter((e) => e.type !== 'RolloutCompleted');
  const first = routine[0];
  if (!first) return rest.slice(0, MAX_EVENTS);
  return [...rest.slice(0, MAX_EVENTS - 1), { ...first, message: `${routine.length} rollouts completed`, data: { rollouts: routine.map((e) => e.data) } }];
}

/** The scheduler's minute: every active release gets one pass; one release's fault never stops the others. */
export async function advanceActiveReleases(deps: Dependencies, limit = 500): Promise<{ advanced: number; failed: string[] }> {
  const store: ReleaseStore = releasesOf(deps);
  const active = await store.listActive(limit);
  const failed: string[] = [];
  for (const release of active) {
    try {
      await advanceRelease(deps, release.id);
    } catch (error) {
      failed.push(release.id);
      log.error('release pass failed', { releaseId: release.id, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { advanced: active.length - failed.length, failed };
}

/**
 * A release rollout that just ended moves its release at once (the next wave, the next start, a
 * halt) instead of at the next scheduler minute. Best effort: the scheduler's pass is the backstop.
 */
export async function nudgeRelease(deps: Dependencies, before: RolloutState, after: RolloutState): Promise<void> {
  if (!after.releaseId || !deps.releases || before.phase === after.phase || !isTerminalRollout(after)) return;
  try {
    await advanceRelease(deps, after.releaseId, { untilSeen: after });
  } catch (error) {
    log.warn('release nudge failed; the scheduler will pick it up', { releaseId: after.releaseId, rolloutId: after.id, error: error instanceof Error ? error.message : String(error) });
  }
}

const isTerminalRollout = (state: RolloutState): boolean => state.phase === 'Completed' || state.phase === 'Failed';

/**
 * A nudge is done once the stored release shows its rollout's end: when rollouts of a wave end
 * together, the first pass to save usually records several, and the others stop instead of
 * re-running the same pass against each other.
 */
function alreadySeen(release: ReleaseState, rollout: RolloutState | undefined): boolean {
  return rollout !== undefined && release.items.some((i) => i.rolloutId === rollout.id && i.phase === rollout.phase);
}
