import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError } from './responses.js';

/** Roles, each including the ones before it except that approver and deployer are separate duties. */
export const ROLES = ['viewer', 'deployer', 'approver', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const apiTokenSchema = z.object({
  name: z.string().min(1),
  token: z.string().min(16, 'must be at least 16 characters'),
  role: z.enum(ROLES).default('admin'),
});
export type ApiToken = z.infer<typeof apiTokenSchema>;
export const apiTokensSchema = z.array(apiTokenSchema).min(1);

export interface Principal {
  name: string;
  role: Role;
}

/** Whether `role` may do what `needed` allows. admin may do everything; viewer only reads. */
export function allows(role: Role, needed: Role): boolean {
  return role === needed || role === 'admin' || needed === 'viewer';
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Finds the principal for the request's bearer token. Comparison is over fixed-length digests in
 * constant time, so neither timing nor length reveals how much of a token was right.
 */
export function authenticate(event: APIGatewayProxyEventV2, tokens: ApiToken[], needed: Role): Principal {
  const headerValue = Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'authorization')?.[1] ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headerValue);
  if (!match?.[1]) throw new HttpError(401, 'Unauthorized', 'Send "Authorization: Bearer <token>"');
  const presented = digest(match[1]);
  let found: ApiToken | undefined;
  for (const candidate of tokens) {
    if (timingSafeEqual(presented, digest(candidate.token)) && !found) found = candidate;
  }
  if (!found) throw new HttpError(401, 'Unauthorized', 'The token is not valid');
  if (!allows(found.role, needed)) {
    throw new HttpError(403, 'Forbidden', `This action needs the ${needed} role; token "${found.name}" has ${found.role}`, [{ path: 'role', message: `requires ${needed}` }]);
  }
  return { name: found.name, role: found.role };
}
