import type { AuditEventDraft } from './commands.js';
import { isInsideAnyWindow, nextOpening } from './window-clock.js';
import type { Phase } from './phases.js';
import {
  isItemDone, isItemInFlight, isReleaseTerminal, type ReleaseItem, type ReleasePlan, type ReleaseState, type ReleaseStatus,
} from './release.js';
import type { Actor } from './state.js';

/** What the scheduler saw of one item's rollout; absent from the map when the rollout does not exist yet. */
export interface RolloutSnapshot {
  phase: Phase;
  /** Why it failed or waits. */
  reason?: string;
}

export interface ReleaseStep {
  status: ReleaseStatus;
  /** Items whose rollouts should start now (already within maxParallel, windows and gates). */
  starts: ReleaseItem[];
  events: AuditEventDraft[];
}

const SCHEDULER: Actor = { id: 'release-scheduler', via: 'release' };

/**
 * One pass of the release planner (pure): fold in what the item rollouts are doing, then move the
 * release as far as it can go now — finish waves, halt on a failure, open the next wave (or wait
 * for its approval), and pick the rollouts to start inside the maintenance windows and maxParallel.
 */
export function planRelease(release: ReleaseState, observed: ReadonlyMap<string, RolloutSnapshot>, now: Date): ReleaseStep {
  const { plan, document: _document, ...current } = release;
  const at = now.toISOString();
  const events: AuditEventDraft[] = [];
  const say = (type: string, message: string, data?: Record<string, unknown>): void => {
    events.push({ type, at, actor: SCHEDULER, message, ...(data ? { data } : {}) });
  };
  const items = current.items.map((item) => observeItem(item, observed.get(item.rolloutId), say));
  const status: ReleaseStatus = { ...current, items, waves: current.waves.map((w) => ({ ...w })) };
  const starts: ReleaseItem[] = [];
  const step = (): ReleaseStep => ({ status, starts, events });
  const inFlight = (list: ReleaseItem[]) => list.filter((i) => isItemInFlight(i.phase)).length;

  if (isReleaseTerminal(status.phase)) return step();
  if (status.phase === 'Halting') {
    const running = inFlight(items);
    if (running > 0) return withMessage(status, `Halting: ${status.haltReason}; waiting for ${running} running rollout(s) to finish`, step);
    status.phase = 'Failed';
    say('ReleaseFailed', `Release failed: ${status.haltReason}`);
    return withMessage(status, `Failed: ${status.haltReason}`, step);
  }
  if (status.phase === 'Paused') return withMessage(status, `Paused: no new rollouts start; ${inFlight(items)} running`, step);
  if (plan.notBefore && now < plan.notBefore) return withMessage(status, `Scheduled: starts after ${plan.notBefore.toISOString()}`, step);

  for (let index = status.waves.findIndex((w) => w.phase !== 'Completed'); index >= 0 && index < status.waves.length; index++) {
    const wave = status.waves[index]!;
    const spec = plan.waves[index]!;
    const waveItems = items.filter((i) => i.wave === index);
    if (wave.phase === 'Pending') {
      if (spec.approval && !wave.approvedBy) {
        wave.phase = 'AwaitingApproval';
        say('WaveAwaitingApproval', `Wave ${wave.name} waits for an approval before it starts`, { wave: wave.name });
      } else {
        wave.phase = 'Running';
        wave.startedAt = at;
        status.phase = 'Running';
        say('WaveStarted', `Wave ${wave.name} started: ${waveItems.length} rollouts over ${spec.clusters.join(', ')}, at most ${spec.maxParallel} at once per cluster`, { wave: wave.name });
      }
    }
    if (wave.phase === 'AwaitingApproval') return withMessage(status, `Wave ${wave.name} waits for an approval (POST /releases/${status.id}/approve)`, step);

    const failed = waveItems.find((i) => i.phase === 'Failed');
    if (failed && plan.haltOnFailure) return halt(status, index, failed, say, step);
    if (waveItems.every((i) => isItemDone(i.phase))) {
      wave.phase = 'Completed';
      wave.completedAt = at;
      const failures = waveItems.filter((i) => i.phase === 'Failed').length;
      say('WaveCompleted', `Wave ${wave.name} completed: ${waveItems.length - failures} rollouts completed${failures ? `, ${failures} failed` : ''}`, { wave: wave.name, failures });
      continue;
    }
    if (!isInsideAnyWindow(plan.windows, now)) {
      const opens = nextOpening(plan.windows, now);
      return withMessage(status, `Outside the maintenance windows: ${inFlight(waveItems)} running, no new starts${opens ? ` until ${opens.toISOString()}` : ''}`, step);
    }
    starts.push(...pickStarts(spec, waveItems));
    const done = waveItems.filter((i) => isItemDone(i.phase)).length;
    return withMessage(status, `Wave ${wave.name}: ${done} of ${waveItems.length} rollouts done, ${inFlight(waveItems) + starts.length} running`, step);
  }

  status.phase = 'Completed';
  const failures = items.filter((i) => i.phase === 'Failed').length;
  const summary = failures ? `Completed with ${failures} failed rollout(s) (haltOnFailure is off)` : `All ${items.length} rollouts completed`;
  say('ReleaseCompleted', summary, { rollouts: items.length, failures });
  return withMessage(status, summary, step);
}

/** Up to maxParallel in-flight rollouts per cluster; Pending items start in service order. */
function pickStarts(spec: ReleasePlan['waves'][number], waveItems: ReleaseItem[]): ReleaseItem[] {
  return spec.clusters.flatMap((cluster) => {
    const here = waveItems.filter((i) => i.cluster === cluster);
    const free = spec.maxParallel - here.filter((i) => isItemInFlight(i.phase)).length;
    return free > 0 ? here.filter((i) => i.phase === 'Pending').slice(0, free) : [];
  });
}

function observeItem(item: ReleaseItem, seen: RolloutSnapshot | undefined, say: (type: string, message: string, data?: Record<string, unknown>) => void): ReleaseItem {
  if (!seen || (seen.phase === item.phase && seen.reason === item.reason)) return item;
  const next: ReleaseItem = { ...item, phase: seen.phase, ...(seen.reason ? { reason: seen.reason } : {}) };
  if (!seen.reason) delete next.reason;
  const data = { service: item.service, cluster: item.cluster, rolloutId: item.rolloutId };
  if (seen.phase === 'Completed' && item.phase !== 'Completed') say('RolloutCompleted', `${item.service} in ${item.cluster} completed`, data);
  if (seen.phase === 'Failed' && item.phase !== 'Failed') say('RolloutFailed', `${item.service} in ${item.cluster} failed: ${seen.reason ?? 'no reason given'}`, { ...data, reason: seen.reason });
  return next;
}

/** A failure with haltOnFailure: nothing new starts, later waves are cancelled, running ones finish. */
function halt(status: ReleaseStatus, waveIndex: number, failed: ReleaseItem, say: (type: string, message: string, data?: Record<string, unknown>) => void, step: () => ReleaseStep): ReleaseStep {
  const reason = `${failed.service} in ${failed.cluster} failed: ${failed.reason ?? 'no reason given'}`;
  status.haltReason = reason;
  status.waves.forEach((wave, i) => {
    if (i === waveIndex) wave.phase = 'Failed';
    else if (i > waveIndex) wave.phase = 'Cancelled';
  });
  status.items = status.items.map((item) => (item.wave >= waveIndex && item.phase === 'Pending'
    ? { ...item, phase: 'Cancelled', reason: `not started: the release halted because ${failed.service} in ${failed.cluster} failed` }
    : item));
  const running = status.items.filter((i) => isItemInFlight(i.phase)).length;
  const cancelledWaves = status.waves.filter((w) => w.phase === 'Cancelled').map((w) => w.name);
  say('ReleaseHalted', `Release halted: ${reason}${cancelledWaves.length ? `; cancelled waves ${cancelledWaves.join(', ')}` : ''}`, {
    service: failed.service, cluster: failed.cluster, rolloutId: failed.rolloutId, reason: failed.reason, cancelledWaves, running,
  });
  status.phase = running > 0 ? 'Halting' : 'Failed';
  if (status.phase === 'Failed') say('ReleaseFailed', `Release failed: ${reason}`);
  return withMessage(status, running > 0 ? `Halting: ${reason}; waiting for ${running} running rollout(s) to finish` : `Failed: ${reason}`, step);
}

function withMessage(status: ReleaseStatus, message: string, step: () => ReleaseStep): ReleaseStep {
  status.message = message;
  return step();
}
