import { openApiDocument } from '../../lib/http/openapi.js';
import { json } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { apiTokens } from '../wiring.js';

/** GET /openapi.json — the OpenAPI 3.1 document generated from the zod schemas; public, it holds no data. */
const document = openApiDocument();

export const handler = route({ role: 'public', tokens: apiTokens }, async () =>
  json(200, document, { 'cache-control': 'public, max-age=300' }));
