import middy from '@middy/core';
import type { Dependencies } from '../../lib/app/dependencies.js';
import { sweepOverdue } from '../../lib/app/sweep-overdue.js';
import { getDependencies } from '../wiring.js';
import { log } from '../../lib/log.js';

/** Every minute: re-enqueue active rollouts whose tick is overdue (a lost message). */
export function makeSweeperHandler(dependencies: () => Dependencies) {
  return middy().handler(async () => {
    const { requeued } = await sweepOverdue(dependencies());
    if (requeued.length > 0) log.warn('requeued overdue rollouts', { count: requeued.length, rolloutIds: requeued.slice(0, 50) });
    return { requeued: requeued.length };
  });
}

export const handler = makeSweeperHandler(getDependencies);
