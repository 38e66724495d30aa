import { z } from 'zod';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ACTIONS, type ActionKind } from '../domain/actions.js';
import { PHASES } from '../domain/phases.js';
import { ValidationError, issuesToDetails } from '../domain/validation.js';
import { allows, type Principal, type Role } from './auth.js';
import { HttpError } from './responses.js';

/** Path and query parameters, validated with zod like bodies; errors name the parameter. */
export function pathId(event: APIGatewayProxyEventV2, what: 'rollout' | 'release' = 'rollout'): string {
  const id = event.pathParameters?.id;
  if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new HttpError(404, 'NotFound', `No ${what} has that id`);
  return id;
}

export function actionName(event: APIGatewayProxyEventV2): ActionKind {
  const parsed = z.enum(ACTIONS).safeParse(event.pathParameters?.action);
  if (!parsed.success) throw new HttpError(404, 'NotFound', `Unknown action; use one of ${ACTIONS.join(', ')}`);
  return parsed.data;
}

export function requireRole(principal: Principal | undefined, needed: Role): void {
  if (!principal || !allows(principal.role, needed)) {
    throw new HttpError(403, 'Forbidden', `This action needs the ${needed} role; token "${principal?.name ?? 'none'}" has ${principal?.role ?? 'none'}`, [{ path: 'role', message: `requires ${needed}` }]);
  }
}

export const rolloutListQuery = z.strictObject({
  phase: z.enum(PHASES).optional(),
  cluster: z.string().min(1).optional(),
  namespace: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().min(1).optional(),
});

const actionBodySchema = z.strictObject({
  comment: z.string().max(2000, 'must be at most 2000 characters').optional(),
  step: z.union([z.number().int().min(1), z.literal('promotion')], 'must be a step number (1-based) or "promotion"').optional(),
});

export function parseActionBody(input: unknown): z.infer<typeof actionBodySchema> {
  const parsed = actionBodySchema.safeParse(input ?? {});
  if (!parsed.success) throw new ValidationError('The action body is invalid', issuesToDetails(parsed.error.issues));
  return parsed.data;
}

export function parseQuery<T extends z.ZodType>(schema: T, event: APIGatewayProxyEventV2): z.infer<T> {
  const parsed = schema.safeParse(event.queryStringParameters ?? {});
  if (!parsed.success) throw new ValidationError('The query is invalid', issuesToDetails(parsed.error.issues));
  return parsed.data;
}
