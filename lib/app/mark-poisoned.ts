import { moveTo, rollingBack } from '../domain/transition.js';
import { isTerminal } from '../domain/phases.js';
import type { RolloutState } from '../domain/state.js';
import type { TickMessage } from '../ports/tick-queue.js';
import type { Dependencies } from './dependencies.js';
import { ConcurrentUpdateError } from './errors.js';
import { notifyBestEffort } from './notify.js';
import { scheduleTick } from './schedule-tick.js';

const SWEEPER = { id: 'dead-letter-queue', via: 'engine' } as const;

/**
 * A tick message that failed too often lands in the DLQ. Its rollout must not stay silently stuck:
 * the first time, it is rolled back (traffic to stable, canary deleted) with reason PoisonMessage;
 * if even the rollback tick keeps failing, it is marked Failed and says the cluster needs a look.
 */
export async function markPoisoned(deps: Dependencies, message: TickMessage, receiveCount: number): Promise<'ignored' | 'rolling-back' | 'failed'> {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const state = await deps.store.get(message.rolloutId);
    if (!state || isTerminal(state.phase) || message.seq < state.tickSeq) return 'ignored';
    const now = deps.clock.now();
    const why = `tick ${message.seq} failed ${receiveCount} times and was moved to the dead-letter queue`;
    const giveUp = state.phase === 'RollingBack';
    const changed: RolloutState = giveUp
      ? moveTo(state, 'Failed', now, { message: `Failed: rollback could not be completed (${why}); check the cluster: traffic may not be 100% stable`, nextTickAt: undefined })
      : rollingBack(state, 'PoisonMessage', why, now);
    const next = { ...changed, version: state.version + 1, tickSeq: state.tickSeq + 1, updatedAt: now.toISOString() };
    try {
      const events = [{ type: giveUp ? 'Failed' : 'RollbackStarted', at: now.toISOString(), actor: SWEEPER, message: why, data: { reason: 'PoisonMessage', seq: message.seq } }];
      const saved = await deps.store.save(next, state.version, events);
      await scheduleTick(deps, saved, now);
      await notifyBestEffort(deps, saved, events);
      return giveUp ? 'failed' : 'rolling-back';
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
    }
  }
  return 'ignored';
}
