import type { z } from 'zod';
import {
  auditEventSchema, errorBodySchema, pageSchema, releaseViewSchema, rolloutViewSchema, whoAmISchema,
} from '../../lib/http/api-schemas.js';
import type { ActionKind, ReleaseCellView, RolloutView, WhoAmI } from '../../lib/http/api-types.js';

/**
 * The dashboard's view of the engine's HTTP API (see README "HTTP API"). The answer types and the zod
 * schemas come from lib/http/api-schemas.ts — the same ones the CLI parses with and /openapi.json is
 * generated from — so an answer that drifts from them is reported here, not mis-drawn by a page.
 */
export type { ActionKind, AuditEvent, MetricResult, Page, ReleaseView, Role, RolloutView } from '../../lib/http/api-types.js';
export type ReleaseCell = ReleaseCellView;
export type Principal = WhoAmI;

/** The order the buttons are shown in. */
export const ACTIONS: readonly ActionKind[] = ['approve', 'reject', 'pause', 'resume', 'abort', 'promote'];

/** An error answer of the API: `{error: {code, message, details}}`, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details: Array<{ path: string; message: string }> = []) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Same origin by default: the API serves the dashboard, and the dev server proxies the API's paths. */
const baseUrl = (): string => '';

export async function request<S extends z.ZodType>(schema: S, token: string, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<z.output<S>> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, 'NetworkError', 'The API cannot be reached');
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (a proxy's error page): reported below with the status only.
  }
  if (!response.ok) {
    const error = errorBodySchema.safeParse(parsed).data?.error;
    throw new ApiError(response.status, error?.code ?? `HTTP${response.status}`, error?.message ?? `The API answered ${response.status}`, error?.details ?? []);
  }
  const answer = schema.safeParse(parsed);
  if (!answer.success) {
    // An API older or newer than this page: name the fields instead of drawing half a page.
    const details = answer.error.issues.slice(0, 5).map((issue) => ({ path: issue.path.join('.') || '(answer)', message: issue.message }));
    throw new ApiError(response.status, 'UnexpectedAnswer', `${method} ${path.split('?')[0]} answered in an unexpected shape: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
  }
  return answer.data;
}

const rolloutPage = pageSchema(rolloutViewSchema);
const releasePage = pageSchema(releaseViewSchema);
const eventPage = pageSchema(auditEventSchema);
const segments = (...parts: string[]): string => parts.map(encodeURIComponent).join('/');

export const api = {
  whoami: (token: string) => request(whoAmISchema, token, 'GET', '/whoami'),
  rollouts: (token: string, signal?: AbortSignal) => request(rolloutPage, token, 'GET', '/rollouts?limit=200', undefined, signal),
  rollout: (token: string, id: string, signal?: AbortSignal) => request(rolloutViewSchema, token, 'GET', `/rollouts/${segments(id)}`, undefined, signal),
  events: (token: string, id: string, signal?: AbortSignal) => request(eventPage, token, 'GET', `/rollouts/${segments(id)}/events`, undefined, signal),
  act: (token: string, id: string, action: ActionKind, body: { comment?: string; step?: number | 'promotion' }) =>
    request(rolloutViewSchema, token, 'POST', `/rollouts/${segments(id, action)}`, body),
  releases: (token: string, signal?: AbortSignal) => request(releasePage, token, 'GET', '/releases?limit=100', undefined, signal),
  release: (token: string, id: string, signal?: AbortSignal) => request(releaseViewSchema, token, 'GET', `/releases/${segments(id)}`, undefined, signal),
  releaseEvents: (token: string, id: string, signal?: AbortSignal) => request(eventPage, token, 'GET', `/releases/${segments(id)}/events`, undefined, signal),
};

/** Which actions a role may take; the API enforces the same rule (403 naming the missing role). */
export function allowedActions(role: Principal['role']): readonly ActionKind[] {
  switch (role) {
    case 'admin': return ACTIONS;
    case 'approver': return ['approve', 'reject'];
    case 'deployer': return ['pause', 'resume', 'abort', 'promote'];
    default: return [];
  }
}

/** Which actions make sense for a rollout in its current phase (the API answers 409 to the rest). */
export function applicableActions(rollout: RolloutView): readonly ActionKind[] {
  const { phase, pause } = rollout;
  if (phase === 'Completed' || phase === 'Failed' || phase === 'RollingBack') return [];
  if (phase === 'Promoting') return ['abort'];
  if (phase === 'Initializing') return ['abort', 'promote'];
  if (phase === 'Paused' && pause?.reason === 'AwaitingApproval') return ['approve', 'reject', 'abort', 'promote'];
  if (phase === 'Paused') return ['resume', 'abort', 'promote'];
  return ['pause', 'abort', 'promote'];
}
