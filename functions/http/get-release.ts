import { getRelease } from '../../lib/app/query-releases.js';
import { releasePathId } from '../../lib/http/release-params.js';
import { releaseView } from '../../lib/http/release-view.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { apiTokens, getDependencies } from '../wiring.js';

/** GET /releases/{id} — with the service × cluster matrix of phases. */
export const handler = route({ role: 'viewer', tokens: apiTokens }, async (event) => {
  return json(200, releaseView(await getRelease(getDependencies(), releasePathId(event))));
});
