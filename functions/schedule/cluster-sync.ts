import middy from '@middy/core';
import type { Dependencies } from '../../lib/app/dependencies.js';
import { syncAllClusters, type SyncReport } from '../../lib/app/sync-objects.js';
import { clusterNamespaces, getDependencies } from '../wiring.js';
import { log } from '../../lib/log.js';

/**
 * Every minute: one LIST of CanaryDeployment objects per registered cluster, starting, changing and
 * stopping rollouts to match (the safety net under the admission webhook's push). A cluster that cannot be
 * listed is logged by name and does not hold up the others.
 */
export function makeClusterSyncHandler(dependencies: () => Dependencies) {
  return middy().handler(async (): Promise<{ clusters: SyncReport[] }> => {
    const reports = await syncAllClusters(dependencies(), clusterNamespaces);
    for (const r of reports) {
      if (r.error) log.error('cluster sync failed', { cluster: r.cluster, error: r.error });
      else if (r.started.length + r.ended.length + r.invalid.length > 0) log.info('cluster sync', { cluster: r.cluster, objects: r.objects, started: r.started, ended: r.ended, invalid: r.invalid, waiting: r.waiting });
    }
    return { clusters: reports };
  });
}

export const handler = makeClusterSyncHandler(getDependencies);
