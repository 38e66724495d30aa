import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { apiTokens } from '../wiring.js';

/** GET /whoami — the token's name and role, so the dashboard can check a token and show only what it may do. */
export const handler = route({ role: 'viewer', tokens: apiTokens }, async (_event, principal) =>
  json(200, { name: principal?.name, role: principal?.role }));
