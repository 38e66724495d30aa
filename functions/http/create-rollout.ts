import { startRollout } from '../../lib/app/start-rollout.js';
import { parseBody } from '../../lib/http/parse-body.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { rolloutView } from '../../lib/http/views.js';
import { apiTokens, getDependencies } from '../wiring.js';

/** POST /rollouts: a CanaryDeployment as YAML or JSON → 201 with the new rollout. */
export const handler = route({ role: 'deployer', tokens: apiTokens }, async (event, principal) => {
  const document = parseBody(event);
  const rollout = await startRollout(getDependencies(), { document, actor: { id: principal?.name ?? 'unknown', via: 'api' } });
  return json(201, rolloutView(rollout), { location: `/rollouts/${rollout.id}` });
});
