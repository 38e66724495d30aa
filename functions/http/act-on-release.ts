import { actOnRelease } from '../../lib/app/release-use-cases.js';
import { requireRole } from '../../lib/http/params.js';
import { parseBody } from '../../lib/http/parse-body.js';
import { parseReleaseActionBody, releaseActionName, releasePathId } from '../../lib/http/release-params.js';
import { releaseView } from '../../lib/http/release-view.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { apiTokens, getDependencies } from '../wiring.js';

/** POST /releases/{id}/{cancel|pause|resume|approve} with an optional `{comment, wave}`. */
export const handler = route({ role: 'viewer', tokens: apiTokens }, async (event, principal) => {
  const kind = releaseActionName(event);
  requireRole(principal, kind === 'approve' ? 'approver' : 'deployer');
  const body = parseReleaseActionBody(parseBody(event));
  const outcome = await actOnRelease(getDependencies(), releasePathId(event), { kind, actor: { id: principal?.name ?? 'unknown', via: 'api' }, ...body });
  return json(200, { ...releaseView(outcome.release), alreadyDone: outcome.alreadyDone });
});
