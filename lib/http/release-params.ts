import { z } from 'zod';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { RELEASE_ACTIONS, type ReleaseActionKind } from '../domain/release-actions.js';
import { RELEASE_PHASES } from '../domain/release.js';
import { ValidationError, issuesToDetails } from '../domain/validation.js';
import { HttpError } from './responses.js';
import { pathId } from './params.js';

export const releasePathId = (event: APIGatewayProxyEventV2): string => pathId(event, 'release');

export function releaseActionName(event: APIGatewayProxyEventV2): ReleaseActionKind {
  const parsed = z.enum(RELEASE_ACTIONS).safeParse(event.pathParameters?.action);
  if (!parsed.success) throw new HttpError(404, 'NotFound', `Unknown release action; use one of ${RELEASE_ACTIONS.join(', ')}`);
  return parsed.data;
}

export const releaseListQuery = z.strictObject({
  phase: z.enum(RELEASE_PHASES).optional(),
  limit: z.coerce.number().int().min(1).max(200).optional(),
  cursor: z.string().min(1).optional(),
});

const releaseActionBody = z.strictObject({
  comment: z.string().max(2000, 'must be at most 2000 characters').optional(),
  wave: z.string().min(1).max(253).optional(),
});

export function parseReleaseActionBody(input: unknown): z.infer<typeof releaseActionBody> {
  const parsed = releaseActionBody.safeParse(input ?? {});
  if (!parsed.success) throw new ValidationError('The action body is invalid', issuesToDetails(parsed.error.issues));
  return parsed.data;
}
