import { listReleaseEvents } from '../../lib/app/query-releases.js';
import { releasePathId } from '../../lib/http/release-params.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { apiTokens, getDependencies } from '../wiring.js';

/** GET /releases/{id}/events — the release's own audit trail (waves, starts, halts, actions), in order. */
export const handler = route({ role: 'viewer', tokens: apiTokens }, async (event) => {
  return json(200, { items: await listReleaseEvents(getDependencies(), releasePathId(event)) });
});
