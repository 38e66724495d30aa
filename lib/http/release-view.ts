import type { ReleaseState } from '../domain/release.js';

/**
 * The API's view of a release: status, waves, and the service × cluster matrix of phases — each
 * cell with its rollout id and, when it failed, waits or was cancelled, the reason.
 */
export function releaseView(release: ReleaseState) {
  const { plan } = release;
  const current = release.waves.find((w) => w.phase !== 'Completed' && w.phase !== 'Cancelled' && w.phase !== 'Failed')
    ?? release.waves.find((w) => w.phase === 'Failed');
  return {
    id: release.id,
    name: plan.name,
    phase: release.phase,
    message: release.message,
    ...(release.haltReason ? { haltReason: release.haltReason } : {}),
    haltOnFailure: plan.haltOnFailure,
    ...(current ? { currentWave: current.name } : {}),
    waves: release.waves.map((wave, i) => ({ ...plan.waves[i]!, ...wave })),
    schedule: { ...(plan.notBefore ? { notBefore: plan.notBefore.toISOString() } : {}), windows: plan.windows.map((w) => w.text) },
    services: plan.services.map((s) => s.name),
    clusters: plan.waves.flatMap((w) => w.clusters),
    matrix: release.items.map((item) => ({
      service: item.service, cluster: item.cluster, wave: release.waves[item.wave]?.name ?? String(item.wave),
      phase: item.phase, rolloutId: item.rolloutId, ...(item.reason ? { reason: item.reason } : {}),
    })),
    version: release.version,
    createdAt: release.createdAt,
    updatedAt: release.updatedAt,
    createdBy: release.createdBy,
    document: release.document,
  };
}

export type ReleaseView = ReturnType<typeof releaseView>;
