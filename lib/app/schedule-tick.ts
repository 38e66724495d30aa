import type { Dependencies } from './dependencies.js';
import type { RolloutState } from '../domain/state.js';

/** Enqueues the rollout's current tick to arrive at `nextTickAt` (chained if that is beyond SQS's 900 s). */
export async function scheduleTick(deps: Pick<Dependencies, 'queue'>, state: RolloutState, now: Date): Promise<void> {
  if (!state.nextTickAt) return;
  const delaySeconds = Math.max(0, (Date.parse(state.nextTickAt) - now.getTime()) / 1000);
  await deps.queue.schedule({ rolloutId: state.id, seq: state.tickSeq, wakeAt: state.nextTickAt }, delaySeconds);
}
