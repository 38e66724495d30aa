import middy from '@middy/core';
import type { Dependencies } from '../../lib/app/dependencies.js';
import { sweepOverdue } from '../../lib/app/sweep-overdue.js';
import { getDependencies } from '../wiring.js';

/** Every minute: re-enqueue active rollouts whose tick is overdue (a lost message). */
export function makeSweeperHandler(dependencies: () => Dependencies) {
  return middy().handler(async () => {
    const { requeued } = await sweepOverdue(dependencies());
    if (requeued.length > 0) console.warn(JSON.stringify({ level: 'warn', msg: 'requeued overdue rollouts', count: requeued.length, rolloutIds: requeued.slice(0, 50) }));
    return { requeued: requeued.length };
  });
}

export const handler = makeSweeperHandler(getDependencies);
