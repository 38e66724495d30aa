import { actOnRollout } from '../../lib/app/act-on-rollout.js';
import { parseBody } from '../../lib/http/parse-body.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { actionName, parseActionBody, pathId, requireRole } from '../../lib/http/params.js';
import { rolloutView } from '../../lib/http/views.js';
import { apiTokens, getDependencies } from '../wiring.js';

/** POST /rollouts/{id}/{pause|resume|abort|promote|approve|reject} with an optional `{comment, step}`. */
export const handler = route({ role: 'viewer', tokens: apiTokens }, async (event, principal) => {
  const kind = actionName(event);
  requireRole(principal, kind === 'approve' || kind === 'reject' ? 'approver' : 'deployer');
  const body = parseActionBody(parseBody(event));
  const outcome = await actOnRollout(getDependencies(), pathId(event), {
    kind, actor: { id: principal?.name ?? 'unknown', via: 'api' }, ...body,
  });
  return json(200, { ...rolloutView(outcome.rollout), alreadyDone: outcome.alreadyDone });
});
