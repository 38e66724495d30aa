import type { z } from 'zod';
import { ApiError } from './errors.js';
import { errorBodySchema, eventListSchema, pageSchema, releaseViewSchema, rolloutViewSchema, type AuditEvent, type ReleaseView, type RolloutView } from './schemas.js';

/** A parsed answer and the body exactly as the server sent it (for `-o json|yaml`). */
export interface Answer<T> { data: T; raw: unknown }

export interface RolloutFilter { phase?: string; cluster?: string; namespace?: string; limit?: number; cursor?: string }
export interface ReleaseFilter { phase?: string; limit?: number; cursor?: string }
export interface ActionBody { comment?: string; step?: number | 'promotion'; wave?: string }

const rolloutPage = pageSchema(rolloutViewSchema);
const releasePage = pageSchema(releaseViewSchema);

/**
 * The engine's HTTP API (README "HTTP API") over fetch. Every answer is validated with the schemas in
 * schemas.ts; an error answer becomes an ApiError carrying the API's code, message and field details.
 */
export class ApiClient {
  constructor(private readonly baseUrl: string, private readonly token: string | undefined, private readonly fetchImpl: typeof fetch = fetch) {}

  createRollout = (document: unknown) => this.call('POST', '/rollouts', rolloutViewSchema, document);
  createRelease = (document: unknown) => this.call('POST', '/releases', releaseViewSchema, document);
  getRollout = (id: string) => this.call('GET', `/rollouts/${encodeURIComponent(id)}`, rolloutViewSchema);
  getRelease = (id: string) => this.call('GET', `/releases/${encodeURIComponent(id)}`, releaseViewSchema);
  listRollouts = (filter: RolloutFilter) => this.call('GET', `/rollouts${query({ ...filter })}`, rolloutPage);
  listReleases = (filter: ReleaseFilter) => this.call('GET', `/releases${query({ ...filter })}`, releasePage);
  rolloutEvents = (id: string) => this.call('GET', `/rollouts/${encodeURIComponent(id)}/events`, eventListSchema);
  releaseEvents = (id: string) => this.call('GET', `/releases/${encodeURIComponent(id)}/events`, eventListSchema);
  actOnRollout = (id: string, action: string, body: ActionBody) => this.call('POST', `/rollouts/${encodeURIComponent(id)}/${action}`, rolloutViewSchema, body);
  actOnRelease = (id: string, action: string, body: ActionBody) => this.call('POST', `/releases/${encodeURIComponent(id)}/${action}`, releaseViewSchema, body);

  private async call<S extends z.ZodType>(method: string, path: string, schema: S, body?: unknown): Promise<Answer<z.infer<S>>> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}${path}`;
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw new ApiError(0, 'Unreachable', `Cannot reach the API at ${url}: ${reason}`);
    }
    const text = await response.text();
    const raw = parseJson(text);
    if (!response.ok) {
      const parsed = errorBodySchema.safeParse(raw);
      if (parsed.success) throw new ApiError(response.status, parsed.data.error.code, parsed.data.error.message, parsed.data.error.details);
      throw new ApiError(response.status, `HTTP${response.status}`, `${method} ${path} answered ${response.status}: ${text.slice(0, 200)}`);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const where = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
      throw new ApiError(response.status, 'UnexpectedAnswer', `${method} ${path} answered with a body the CLI does not understand (${where}); is the CLI older than the API?`);
    }
    return { data: parsed.data, raw };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).flatMap(([k, v]): [string, string][] => (v === undefined || v === '' ? [] : [[k, String(v)]]));
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
}

export type { AuditEvent, ReleaseView, RolloutView };
