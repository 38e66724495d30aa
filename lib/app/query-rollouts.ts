import type { RolloutState } from '../domain/state.js';
import type { AuditEvent, Page, RolloutFilter } from '../ports/rollout-store.js';
import type { Dependencies } from './dependencies.js';
import { NotFoundError } from './errors.js';

/** Reads for the API, CLI and dashboard. */
export async function getRollout(deps: Pick<Dependencies, 'store'>, id: string): Promise<RolloutState> {
  const state = await deps.store.get(id);
  if (!state) throw new NotFoundError(`Rollout ${id}`);
  return state;
}

export function listRollouts(deps: Pick<Dependencies, 'store'>, filter: RolloutFilter): Promise<Page<RolloutState>> {
  return deps.store.list(filter);
}

export async function listRolloutEvents(deps: Pick<Dependencies, 'store' | 'audit'>, id: string): Promise<AuditEvent[]> {
  await getRollout(deps, id);
  return deps.audit.events(id);
}
