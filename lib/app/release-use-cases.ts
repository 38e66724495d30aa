import { parseReleaseDocument, newReleaseStatus, rolloutDocumentFor, type ReleaseState } from '../domain/release.js';
import { ReleaseActionConflict, applyReleaseAction, type ReleaseActionRequest } from '../domain/release-actions.js';
import { parseCanaryDeployment } from '../domain/spec.js';
import type { Actor } from '../domain/state.js';
import { ValidationError, type FieldProblem } from '../domain/validation.js';
import { actOnRollout } from './act-on-rollout.js';
import { advanceRelease } from './advance-release.js';
import { getRelease, releasesOf } from './query-releases.js';
import type { Dependencies } from './dependencies.js';
import { AppError, ConcurrentUpdateError, ConflictError } from './errors.js';
import { log } from '../log.js';

const ATTEMPTS = 5;
const MAX_ROLLOUTS = 1000;

/**
 * Creates a release: validates the document, that every wave's cluster is registered and that every
 * service × cluster makes a valid CanaryDeployment, records it, and runs the first scheduler pass
 * at once so a release that is due starts now rather than at the next minute.
 */
export async function startRelease(deps: Dependencies, input: { document: unknown; actor: Actor; id: string }): Promise<ReleaseState> {
  const store = releasesOf(deps);
  const { document, plan } = parseReleaseDocument(input.document);
  const problems: FieldProblem[] = [];
  plan.waves.forEach((wave, w) => wave.clusters.forEach((cluster, c) => {
    try {
      deps.clusters.get(cluster);
    } catch (error) {
      problems.push({ path: `spec.waves[${w}].clusters[${c}]`, message: error instanceof Error ? error.message : String(error) });
    }
  }));
  plan.services.forEach((service, s) => {
    try {
      parseCanaryDeployment(rolloutDocumentFor(plan, { service: service.name, cluster: plan.waves[0]!.clusters[0]! }));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      for (const d of error.details) problems.push({ path: `spec.services[${s}].${d.path.replace(/^spec\./, 'rollout.')}`, message: d.message });
    }
  });
  const pairs = plan.services.length * plan.waves.reduce((n, w) => n + w.clusters.length, 0);
  // The release record holds one entry per pair and must stay well inside DynamoDB's 400 KB item limit.
  if (pairs > MAX_ROLLOUTS) problems.push({ path: 'spec.services', message: `services × clusters is ${pairs}; a release may hold at most ${MAX_ROLLOUTS} rollouts` });
  if (problems.length > 0) throw new ValidationError('The Release is invalid', problems);
  const now = deps.clock.now();
  const status = newReleaseStatus(input.id, plan, input.actor, now);
  const rollouts = status.items.length;
  const created = await store.create({ ...status, plan, document }, [{
    type: 'ReleaseCreated', at: now.toISOString(), actor: input.actor,
    message: `Release ${plan.name} created: ${plan.services.length} services × ${rollouts / plan.services.length} clusters in ${plan.waves.length} waves (${plan.waves.map((w) => w.name).join(' → ')})`,
    data: { services: plan.services.map((s) => s.name), waves: plan.waves, haltOnFailure: plan.haltOnFailure, windows: plan.windows.map((w) => w.text), ...(plan.notBefore ? { notBefore: plan.notBefore.toISOString() } : {}) },
  }]);
  return advanceRelease(deps, created.id).catch((error: unknown) => {
    log.warn('first release pass failed; the scheduler retries', { releaseId: created.id, error: error instanceof Error ? error.message : String(error) });
    return created;
  });
}

/** pause / resume / cancel / approve, with a conditional write, then a pass so the effect is immediate. */
export async function actOnRelease(deps: Dependencies, id: string, request: ReleaseActionRequest): Promise<{ release: ReleaseState; alreadyDone: boolean }> {
  const store = releasesOf(deps);
  for (let attempt = 1; ; attempt++) {
    const release = await getRelease(deps, id);
    const now = deps.clock.now();
    let result;
    try {
      result = applyReleaseAction(release, request, now);
    } catch (error) {
      if (error instanceof ReleaseActionConflict) throw new ConflictError(error.message);
      throw error;
    }
    if (result.alreadyDone) return { release, alreadyDone: true };
    try {
      await store.save({ ...release, ...result.status, version: release.version + 1, updatedAt: now.toISOString() }, release.version, result.event ? [result.event] : []);
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError) || attempt >= ATTEMPTS) throw error;
      continue;
    }
    await abortRollouts(deps, result.abort, request);
    return { release: await advanceRelease(deps, id), alreadyDone: false };
  }
}

async function abortRollouts(deps: Dependencies, ids: string[], request: ReleaseActionRequest): Promise<void> {
  await Promise.all(ids.map(async (rolloutId) => {
    try {
      await actOnRollout(deps, rolloutId, { kind: 'abort', actor: request.actor, comment: `release cancelled${request.comment ? `: ${request.comment}` : ''}` });
    } catch (error) {
      // A rollout that ended meanwhile cannot be aborted; that is the outcome cancel wanted anyway.
      if (!(error instanceof AppError && error.status === 409)) throw error;
    }
  }));
}
