import { syncAllClusters } from '../../lib/app/sync-objects.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { apiTokens, clusterNamespaces, getDependencies } from '../wiring.js';

/** POST /sync — the scheduled cluster sync, now (deployer role): what each cluster's pass started, ended or refused. */
export const handler = route({ role: 'deployer', tokens: apiTokens }, async () =>
  json(200, { clusters: await syncAllClusters(getDependencies(), clusterNamespaces) }));
