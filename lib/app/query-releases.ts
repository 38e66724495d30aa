import type { ReleaseState } from '../domain/release.js';
import type { ReleaseFilter } from '../ports/release-store.js';
import type { AuditEvent, Page } from '../ports/rollout-store.js';
import type { Dependencies } from './dependencies.js';
import { AppError, NotFoundError } from './errors.js';

/**
 * Reads of releases for the API, CLI and dashboard. Kept apart from the use cases that start
 * rollouts, so the read-only functions bundle none of the code that enqueues or notifies.
 */
export function releasesOf(deps: Pick<Dependencies, 'releases'>): NonNullable<Dependencies['releases']> {
  if (!deps.releases) throw new AppError('ReleasesNotConfigured', 501, 'Releases are not configured in this deployment');
  return deps.releases;
}

export async function getRelease(deps: Pick<Dependencies, 'releases'>, id: string): Promise<ReleaseState> {
  const release = await releasesOf(deps).get(id);
  if (!release) throw new NotFoundError(`Release ${id}`);
  return release;
}

export function listReleases(deps: Pick<Dependencies, 'releases'>, filter: ReleaseFilter): Promise<Page<ReleaseState>> {
  return releasesOf(deps).list(filter);
}

export async function listReleaseEvents(deps: Pick<Dependencies, 'releases'>, id: string): Promise<AuditEvent[]> {
  await getRelease(deps, id);
  return releasesOf(deps).releaseEvents(id);
}
