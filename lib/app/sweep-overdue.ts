import type { Dependencies } from './dependencies.js';
import { scheduleTick } from './schedule-tick.js';

/** A tick is "lost" once it is this late; below it, SQS delivery jitter is normal. */
export const OVERDUE_GRACE_MS = 30_000;

/**
 * Re-enqueues every active rollout whose tick is overdue (a message lost to a crash between save and
 * enqueue, or a poison message removed from the queue). It re-sends the current seq, so if the
 * original was only late the two race and the conditional save lets one win.
 */
export async function sweepOverdue(deps: Dependencies, limit = 500): Promise<{ requeued: string[] }> {
  const now = deps.clock.now();
  const overdue = await deps.store.listOverdue(new Date(now.getTime() - OVERDUE_GRACE_MS), limit);
  for (const state of overdue) await scheduleTick(deps, { ...state, nextTickAt: now.toISOString() }, now);
  return { requeued: overdue.map((s) => s.id) };
}
