import { listReleases } from '../../lib/app/query-releases.js';
import { parseQuery } from '../../lib/http/params.js';
import { releaseListQuery } from '../../lib/http/release-params.js';
import { releaseView } from '../../lib/http/release-view.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { apiTokens, getDependencies } from '../wiring.js';

/** GET /releases?phase=&limit=&cursor= — newest first, cursor-paginated. */
export const handler = route({ role: 'viewer', tokens: apiTokens }, async (event) => {
  const page = await listReleases(getDependencies(), parseQuery(releaseListQuery, event));
  return json(200, { items: page.items.map(releaseView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
});
