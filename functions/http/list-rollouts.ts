import { listRollouts } from '../../lib/app/query-rollouts.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { parseQuery, rolloutListQuery } from '../../lib/http/params.js';
import { rolloutView } from '../../lib/http/views.js';
import { apiTokens, getDependencies } from '../wiring.js';

/** GET /rollouts?phase=&cluster=&namespace=&limit=&cursor= — newest first, cursor-paginated. */
export const handler = route({ role: 'viewer', tokens: apiTokens }, async (event) => {
  const filter = parseQuery(rolloutListQuery, event);
  const page = await listRollouts(getDependencies(), filter);
  return json(200, { items: page.items.map(rolloutView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
});
