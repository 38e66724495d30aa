import { verifyRolloutAudit } from '../../lib/app/verify-audit.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { pathId } from '../../lib/http/params.js';
import { apiTokens, getDependencies } from '../wiring.js';

/**
 * GET /rollouts/{id}/events/verify — checks the audit hash chain. 200 either way: a broken chain is an
 * answer about the data, not a failed request (`{valid: true, count}` or `{valid: false, position, problem}`).
 */
export const handler = route({ role: 'viewer', tokens: apiTokens }, async (event) =>
  json(200, await verifyRolloutAudit(getDependencies(), pathId(event))));
