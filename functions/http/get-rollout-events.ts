import { listRolloutEvents } from '../../lib/app/query-rollouts.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { pathId } from '../../lib/http/params.js';
import { apiTokens, getDependencies } from '../wiring.js';

/** GET /rollouts/{id}/events — the audit trail in order; `?format=jsonl` exports one event per line. */
export const handler = route({ role: 'viewer', tokens: apiTokens }, async (event) => {
  const events = await listRolloutEvents(getDependencies(), pathId(event));
  if (event.queryStringParameters?.format === 'jsonl') {
    return { statusCode: 200, headers: { 'content-type': 'application/x-ndjson' }, body: events.map((e) => JSON.stringify(e)).join('\n') + (events.length ? '\n' : '') };
  }
  return json(200, { items: events });
});
