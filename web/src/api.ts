/**
 * The dashboard's view of the engine's HTTP API (see README "HTTP API"). The shapes mirror
 * lib/http/views.ts and lib/http/release-view.ts; only the fields the pages read are typed.
 */
export type Role = 'viewer' | 'deployer' | 'approver' | 'admin';
export type ActionKind = 'approve' | 'reject' | 'pause' | 'resume' | 'abort' | 'promote';
export const ACTIONS: ActionKind[] = ['approve', 'reject', 'pause', 'resume', 'abort', 'promote'];

export interface Actor { id: string; via: string }

export interface MetricResult { metric: string; value: number | null; threshold: string; breached: boolean; score: number | null }

export interface RolloutView {
  id: string;
  name: string;
  namespace: string;
  cluster: string;
  targetDeployment: string;
  canaryImage: string;
  phase: string;
  pause?: { reason: string; since: string; message: string; gate?: number | 'promotion' };
  failure?: { reason: string; message: string };
  message: string;
  step: { index: number; number: number; total: number };
  canaryWeight: number;
  analysis: { failures: number; last?: { at: string; verdict: string; score: number | null; reason: string; metrics?: MetricResult[] } };
  approvals: Array<{ gate: number | 'promotion'; decision: string; actor: Actor; at: string; comment?: string }>;
  createdAt: string;
  createdBy: Actor;
  updatedAt: string;
  releaseId?: string;
  spec: { steps: Array<{ weight: number; pauseMs?: number; approval?: boolean }> };
}

export interface AuditEvent {
  type: string;
  at: string;
  actor?: Actor;
  message: string;
  position?: number;
  data?: Record<string, unknown>;
}

export interface ReleaseWave {
  name: string; clusters: string[]; maxParallel?: number; approval?: boolean; phase: string;
  startedAt?: string; completedAt?: string; approvedBy?: string;
}

export interface ReleaseCell { service: string; cluster: string; wave?: string; phase: string; rolloutId?: string; reason?: string }

export interface ReleaseView {
  id: string; name: string; phase: string; message?: string; haltOnFailure?: boolean; currentWave?: string;
  waves: ReleaseWave[]; services: string[]; clusters: string[]; matrix: ReleaseCell[];
  createdAt: string; updatedAt?: string; createdBy?: Actor;
}

export interface Page<T> { items: T[]; nextCursor?: string }

/** An error answer of the API: `{error: {code, message, details}}`, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly details: Array<{ path: string; message: string }> = []) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Same origin by default: the API serves the dashboard, and the dev server proxies the API's paths. */
const baseUrl = (): string => '';

export async function request<T>(token: string, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
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
    const error = (parsed as { error?: { code?: string; message?: string; details?: Array<{ path: string; message: string }> } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? `HTTP${response.status}`, error?.message ?? `The API answered ${response.status}`, error?.details ?? []);
  }
  return parsed as T;
}

export interface Principal { name: string; role: Role }

export const api = {
  whoami: (token: string) => request<Principal>(token, 'GET', '/whoami'),
  rollouts: (token: string, signal?: AbortSignal) => request<Page<RolloutView>>(token, 'GET', '/rollouts?limit=200', undefined, signal),
  rollout: (token: string, id: string, signal?: AbortSignal) => request<RolloutView>(token, 'GET', `/rollouts/${encodeURIComponent(id)}`, undefined, signal),
  events: (token: string, id: string, signal?: AbortSignal) => request<Page<AuditEvent>>(token, 'GET', `/rollouts/${encodeURIComponent(id)}/events`, undefined, signal),
  act: (token: string, id: string, action: ActionKind, body: { comment?: string; step?: number | 'promotion' }) =>
    request<RolloutView>(token, 'POST', `/rollouts/${encodeURIComponent(id)}/${action}`, body),
  releases: (token: string, signal?: AbortSignal) => request<Page<ReleaseView>>(token, 'GET', '/releases?limit=100', undefined, signal),
  release: (token: string, id: string, signal?: AbortSignal) => request<ReleaseView>(token, 'GET', `/releases/${encodeURIComponent(id)}`, undefined, signal),
  releaseEvents: (token: string, id: string, signal?: AbortSignal) => request<Page<AuditEvent>>(token, 'GET', `/releases/${encodeURIComponent(id)}/events`, undefined, signal),
};

/** Which actions a role may take; the API enforces the same rule (403 naming the missing role). */
export function allowedActions(role: Role): ActionKind[] {
  switch (role) {
    case 'admin': return ACTIONS;
    case 'approver': return ['approve', 'reject'];
    case 'deployer': return ['pause', 'resume', 'abort', 'promote'];
    default: return [];
  }
}

/** Which actions make sense for a rollout in its current phase (the API answers 409 to the rest). */
export function applicableActions(rollout: RolloutView): ActionKind[] {
  const { phase, pause } = rollout;
  if (phase === 'Completed' || phase === 'Failed' || phase === 'RollingBack') return [];
  if (phase === 'Promoting') return ['abort'];
  if (phase === 'Initializing') return ['abort', 'promote'];
  if (phase === 'Paused' && pause?.reason === 'AwaitingApproval') return ['approve', 'reject', 'abort', 'promote'];
  if (phase === 'Paused') return ['resume', 'abort', 'promote'];
  return ['pause', 'abort', 'promote'];
}
