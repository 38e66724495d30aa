import { ActionConflict, applyAction, type ActionRequest } from '../domain/actions.js';
import type { RolloutState } from '../domain/state.js';
import type { Dependencies } from './dependencies.js';
import { ConcurrentUpdateError, ConflictError, NotFoundError } from './errors.js';
import { notifyBestEffort } from './notify.js';
import { scheduleTick } from './schedule-tick.js';

export interface ActionOutcome {
  rollout: RolloutState;
  /** True when the same request had already been applied (double click): nothing changed. */
  alreadyDone: boolean;
}

const ATTEMPTS = 5;

/**
 * Applies a person's action (pause, resume, abort, promote, approve, reject) with a conditional
 * write, then enqueues an immediate tick with a new seq so the effects follow at once and the
 * previously scheduled tick becomes a harmless duplicate. On a lost race the action is re-judged
 * against the winner's state, so two concurrent aborts give one transition and one clear refusal.
 */
export async function actOnRollout(deps: Dependencies, id: string, request: ActionRequest): Promise<ActionOutcome> {
  for (let attempt = 1; ; attempt++) {
    const state = await deps.store.get(id);
    if (!state) throw new NotFoundError(`Rollout ${id}`);
    const now = deps.clock.now();
    let result;
    try {
      result = applyAction(state, request, now);
    } catch (error) {
      if (error instanceof ActionConflict) throw new ConflictError(error.message);
      throw error;
    }
    if (result.alreadyDone) return { rollout: state, alreadyDone: true };
    const next: RolloutState = { ...result.state, version: state.version + 1, tickSeq: state.tickSeq + 1, updatedAt: now.toISOString(), nextTickAt: now.toISOString() };
    const events = result.event ? [result.event] : [];
    try {
      const saved = await deps.store.save(next, state.version, events);
      await scheduleTick(deps, saved, now);
      await notifyBestEffort(deps, saved, events);
      return { rollout: saved, alreadyDone: false };
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= ATTEMPTS) throw error;
    }
  }
}
