import type { z } from 'zod';
import { auditEventSchema, errorBodySchema, eventListSchema, pageSchema, releaseViewSchema, rolloutViewSchema } from '../lib/http/openapi.js';

/**
 * The API's answers as the CLI reads them: the very schemas GET /openapi.json is generated from
 * (lib/http/openapi.ts), themselves built from the domain's state schemas. Nothing is redefined here.
 */
export { auditEventSchema, errorBodySchema, eventListSchema, pageSchema, releaseViewSchema, rolloutViewSchema };
export type RolloutView = z.infer<typeof rolloutViewSchema>;
export type ReleaseView = z.infer<typeof releaseViewSchema>;
export type AuditEvent = z.infer<typeof auditEventSchema>;
