import { getRollout } from '../../lib/app/query-rollouts.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { pathId } from '../../lib/http/params.js';
import { rolloutView } from '../../lib/http/views.js';
import { apiTokens, getDependencies } from '../wiring.js';

/** GET /rollouts/{id} */
export const handler = route({ role: 'viewer', tokens: apiTokens }, async (event) => {
  const rollout = await getRollout(getDependencies(), pathId(event));
  return json(200, rolloutView(rollout));
});
