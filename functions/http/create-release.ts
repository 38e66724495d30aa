import { startRelease } from '../../lib/app/release-use-cases.js';
import { parseBody } from '../../lib/http/parse-body.js';
import { releaseView } from '../../lib/http/release-view.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { apiTokens, getDependencies, newReleaseId } from '../wiring.js';

/** POST /releases: a Release as YAML or JSON → 201 with the release (already started when due). */
export const handler = route({ role: 'deployer', tokens: apiTokens }, async (event, principal) => {
  const document = parseBody(event);
  const release = await startRelease(getDependencies(), { id: newReleaseId(), document, actor: { id: principal?.name ?? 'unknown', via: 'api' } });
  return json(201, releaseView(release), { location: `/releases/${release.id}` });
});
