import middy from '@middy/core';
import type { Dependencies } from '../../lib/app/dependencies.js';
import { advanceActiveReleases } from '../../lib/app/advance-release.js';
import { getDependencies } from '../wiring.js';
import { log } from '../../lib/log.js';

/** Every minute: one planner pass per active release (start due waves, advance, halt). */
export function makeReleaseSchedulerHandler(dependencies: () => Dependencies) {
  return middy().handler(async () => {
    const outcome = await advanceActiveReleases(dependencies());
    if (outcome.failed.length > 0) log.warn('release passes failed', { failed: outcome.failed.slice(0, 50) });
    return { advanced: outcome.advanced, failed: outcome.failed.length };
  });
}

export const handler = makeReleaseSchedulerHandler(getDependencies);
