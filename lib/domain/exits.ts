/**
 * The two ways out of a rollout, promotion and rollback, as level-triggered step machines: each tick
 * looks at what the cluster shows and asks for the next effect, so a crash or a lost tick at any point
 * is finished by the next one. Order (architecture §8):
 *
 * Promotion: all traffic to the (healthy) canary → target gets the canary's image → wait until the
 *   target is fully available, within progressDeadline → traffic back to the target, read back →
 *   drain (scaleDownDelay) → delete the canary and restore stable selection → confirm → Completed.
 *   A target that cannot finish (ProgressDeadlineExceeded, the deadline, another writer fighting the
 *   image) never gets the traffic: the rollout rolls back as PromotionFailed, traffic stays on the canary
 *   until the previous image runs again.
 * Rollback: (after a promotion began) previous image back, wait until available → traffic to stable,
 *   read back → drain → delete the canary and restore stable selection → confirm → Failed.
 *   Missing objects are nothing to undo; a rollback never waits on them.
 */
import type { Command, Observation } from './commands.js';
import type { FailureReason } from './phases.js';
import { canaryReplicas } from './spec.js';
import type { RolloutState } from './state.js';
import { addMs, moveTo, rollingBack } from './transition.js';

/** How often to look again while waiting on the cluster (canary start-up, promotion, drain). */
export const CLUSTER_POLL_MS = 2_000;
/** Image patches a promotion may make before another writer undoing them counts as a fight. */
export const MAX_IMAGE_PATCHES = 3;

export type Record_ = (type: string, message: string, data?: Record<string, unknown>) => void;
export interface Step { state: RolloutState; commands: Command[] }

const poll = (state: RolloutState, now: Date, message: string, commands: Command[] = []): Step =>
  ({ state: { ...state, message, nextTickAt: addMs(now, CLUSTER_POLL_MS) }, commands });

/** No canary, no narrowed selection, no canary traffic: a rollback would have nothing to do. */
export function nothingToUndo(observation: Observation): boolean {
  return !observation.canary.exists && !observation.stableNarrowed && (observation.weight ?? 0) === 0;
}

/**
 * Decides a rollback. It is committed (RollingBack) before any effect, unless there is nothing to undo:
 * then it ends Failed on this tick, and the target's lock goes with that write.
 */
export function decideRollback(state: RolloutState, reason: FailureReason, why: string, observation: Observation, now: Date, record: Record_): RolloutState {
  record('RollbackStarted', why, { reason, ...(observation.missing?.length ? { missing: observation.missing } : {}) });
  const next = rollingBack(state, reason, why, now);
  if (state.promotion !== undefined || !nothingToUndo(observation)) return next;
  record('RolledBack', `Nothing to undo: no canary, no canary traffic. ${why}`, { reason, weight: 0, ...(observation.missing?.length ? { missing: observation.missing } : {}) });
  return moveTo(next, 'Failed', now, { canaryWeight: 0, message: `Failed: ${why}` });
}

/** The last three steps both exits share: traffic off (read back), drain, delete, confirm. */
function wind(state: RolloutState, observation: Observation, now: Date, finish: () => RolloutState): Step {
  const trafficMissing = observation.weight === undefined && (observation.missing?.length ?? 0) > 0;
  if (!trafficMissing && observation.weight !== 0) {
    const to = state.phase === 'Promoting' ? `${state.spec.targetDeployment}, which now runs ${state.spec.canaryImage}` : 'stable';
    return poll({ ...state, canaryWeight: 0, trafficOffAt: undefined }, now, `Moving all traffic to ${to}`);
  }
  // Drain only what carried traffic: a missing traffic object routed nothing to the canary.
  const offAt = state.trafficOffAt ?? now.toISOString();
  const drainEnds = Date.parse(offAt) + (trafficMissing ? 0 : state.spec.scaleDownDelayMs);
  const drained = { ...state, canaryWeight: 0, trafficOffAt: offAt };
  if (now.getTime() < drainEnds) {
    return { state: { ...drained, message: `Traffic is off the canary; deleting it after the ${Math.round(state.spec.scaleDownDelayMs / 1000)}s drain`, nextTickAt: new Date(drainEnds).toISOString() }, commands: [] };
  }
  if (observation.canary.exists || observation.stableNarrowed) return poll(drained, now, 'Deleting the canary and restoring stable selection', [{ type: 'DeleteCanary' }]);
  return { state: finish(), commands: [] };
}

export function promoting(state: RolloutState, observation: Observation, now: Date, record: Record_): Step {
  const { spec } = state;
  const target = `Deployment ${spec.namespace}/${spec.targetDeployment}`;
  const fail = (why: string): Step => {
    record('PromotionFailed', why, { condition: observation.stable.failed ?? null, image: spec.canaryImage, manager: observation.stable.imageManager ?? null });
    record('RollbackStarted', why, { reason: 'PromotionFailed' });
    return { state: rollingBack({ ...state, canaryWeight: state.canaryWeight }, 'PromotionFailed', why, now), commands: [] };
  };
  if (observation.stable.exists === false) return fail(`${target} disappeared during promotion`);
  const promoted = observation.stable.image === spec.canaryImage;
  if (!promoted || !observation.stable.available) {
    // A failed condition counts once the target carries our image (before, it may describe an older revision).
    if (promoted && observation.stable.failed) return fail(`${target} cannot finish its own rollout: ${observation.stable.failed}`);
    if (now.getTime() - Date.parse(state.phaseSince) > spec.progressDeadlineMs) {
      return fail(`${target} did not finish rolling out ${spec.canaryImage} within the progress deadline (${Math.round(spec.progressDeadlineMs / 1000)}s)`);
    }
    // First, every request to the canary, which passed analysis; the target rolls without traffic.
    const replicas = canaryReplicas(spec.canaryScale, 100, observation.stable.replicas ?? state.target?.replicas ?? 1);
    const capacity: Command[] = observation.canary.exists && observation.canary.replicas !== undefined && observation.canary.replicas < replicas ? [{ type: 'EnsureCanary', image: spec.canaryImage, replicas }] : [];
    const routed = { ...state, canaryWeight: 100 };
    if (observation.weight !== 100) return poll(routed, now, `Promoting: routing all traffic to the canary before ${spec.targetDeployment} rolls`, capacity);
    if (promoted) return poll(routed, now, `Promoting: waiting for ${spec.targetDeployment} to run ${spec.canaryImage} on every replica`, capacity);
    const patches = (state.promotion?.patches ?? 0) + 1;
    if (patches > MAX_IMAGE_PATCHES) {
      const who = observation.stable.imageManager ? `field manager "${observation.stable.imageManager}"` : 'an unknown writer';
      return fail(`${target}'s image was changed back ${patches - 1} times by ${who} while promoting ${spec.canaryImage}; stop that writer (e.g. let Git hold the new image) and start again`);
    }
    const promotion = { patches, ...(observation.stable.imageManager ? { lastManager: observation.stable.imageManager } : {}) };
    return poll({ ...routed, promotion }, now, `Promoting: setting ${spec.targetDeployment} to ${spec.canaryImage}`, [...capacity, { type: 'SetStableImage', image: spec.canaryImage }]);
  }
  return wind(state, observation, now, () => {
    record('Completed', `${spec.targetDeployment} runs ${spec.canaryImage}; traffic is 100% on it and the canary is deleted`, { image: spec.canaryImage, stableImage: observation.stable.image, stableAvailable: observation.stable.available });
    return moveTo(state, 'Completed', now, { canaryWeight: 0, message: `Completed: ${spec.targetDeployment} runs ${spec.canaryImage}` });
  });
}

export function rollingBackStep(state: RolloutState, observation: Observation, now: Date, record: Record_): Step {
  const { spec } = state;
  const why = state.failure?.message ?? 'rolled back';
  const previous = state.target?.image;
  // Only a promotion changes the target; a hand edit before it is the person's, not ours to revert.
  const restore = state.promotion !== undefined && previous !== undefined && observation.stable.exists !== false && observation.stable.image !== previous;
  if (restore || (state.promotion !== undefined && observation.stable.exists !== false && !observation.stable.available && state.trafficOffAt === undefined)) {
    const waited = now.getTime() - Date.parse(state.phaseSince);
    if (waited > spec.progressDeadlineMs) {
      const message = `${spec.targetDeployment} did not run ${previous ?? 'its previous image'} again within the progress deadline; traffic stays ${observation.weight ?? '?'}% on the canary, which is kept: fix the target, then delete ${spec.targetDeployment}-canary`;
      record('RollbackIncomplete', message, { reason: state.failure?.reason, weight: observation.weight ?? null });
      return { state: moveTo(state, 'Failed', now, { message: `Failed: ${why}; rollback incomplete: ${message}` }), commands: [] };
    }
    // Traffic stays on the canary until the previous version runs again: never route to a broken stable.
    const hold = { ...state, canaryWeight: observation.weight ?? state.canaryWeight };
    if (restore && previous) return poll(hold, now, `Rolling back: restoring ${spec.targetDeployment} to ${previous}`, [{ type: 'SetStableImage', image: previous }]);
    return poll(hold, now, `Rolling back: waiting for ${spec.targetDeployment} to run ${previous} on every replica`);
  }
  return wind(state, observation, now, () => {
    const missing = observation.missing?.length ? ` (nothing to undo for ${observation.missing.join(', ')}: not found)` : '';
    record('RolledBack', `Traffic is 100% stable and the canary is deleted: ${why}${missing}`, { reason: state.failure?.reason, weight: 0, ...(observation.missing?.length ? { missing: observation.missing } : {}), ...(restore || state.promotion ? { restoredImage: previous } : {}) });
    return moveTo(state, 'Failed', now, { canaryWeight: 0, message: `Failed: ${why}` });
  });
}

/** Permanent refusals while rolling back (RBAC, a rejected write): finish, saying what is left. */
export function rollbackIncomplete(state: RolloutState, refused: string[], now: Date, record: Record_): RolloutState {
  const why = state.failure?.message ?? 'rolled back';
  record('RollbackIncomplete', `The cluster refused part of the rollback: ${refused.join('; ')}`, { reason: state.failure?.reason, refused });
  return { ...moveTo(state, 'Failed', now, { message: `Failed: ${why}; rollback incomplete: ${refused.join('; ')}` }), nextTickAt: undefined };
}
