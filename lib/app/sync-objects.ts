/**
 * The declarative door: `CanaryDeployment` objects applied in a cluster (kubectl, Argo CD, Flux) start,
 * change and stop rollouts, with nothing running in the cluster. A scheduled pass lists every registered
 * cluster's objects; an admission webhook push syncs one object at once. Both land here.
 *
 * Exactly once: a rollout started from an object has the id `rolloutIdFor(cluster, uid, generation)`, and
 * the store's create is conditional on that id, so two passes, a push and a redelivery racing for the same
 * generation start one rollout. A new generation ends the running one first (traffic to stable, canary
 * deleted, as Flagger does on a new revision); the new rollout starts on the first pass after that one is
 * terminal, because the target's lock is held until then. Deleting the object aborts its rollout. The
 * engine writes only an object's status and Events, never its spec.
 */
import { createHash } from 'node:crypto';
import { isTerminal } from '../domain/phases.js';
import { invalidSpecStatus } from '../domain/object-status.js';
import type { Actor, RolloutState } from '../domain/state.js';
import { ValidationError } from '../domain/validation.js';
import { CREATED_BY_ENGINE, CREATED_BY_LABEL, type CanaryObject, type CanaryObjects } from '../ports/canary-objects.js';
import { actOnRollout } from './act-on-rollout.js';
import type { Dependencies } from './dependencies.js';
import { ActiveRolloutExistsError, AppError, ConcurrentUpdateError } from './errors.js';
import { startRollout } from './start-rollout.js';
import { log } from '../log.js';

/** What one pass did; logged by the scheduled function and returned by the on-demand route. */
export interface SyncReport {
  cluster: string;
  objects: number;
  started: string[];
  /** Rollouts ended because their object changed (a new generation) or was deleted. */
  ended: string[];
  /** Objects whose spec the engine refused, with the field paths in their status. */
  invalid: string[];
  /** Objects waiting for the target's running rollout to end. */
  waiting: string[];
  /** Set when the cluster could not be listed (unreachable, 403): the other clusters went on. */
  error?: string;
}

export const SYNC_ACTOR: Actor = { id: 'cluster-sync', via: 'cluster' };

/** The one rollout id a generation of an object can ever have. */
export function rolloutIdFor(cluster: string, uid: string, generation: number): string {
  return `ro_k8s_${createHash('sha256').update(`${cluster}/${uid}/${generation}`).digest('hex').slice(0, 24)}`;
}

const emptyReport = (cluster: string): SyncReport => ({ cluster, objects: 0, started: [], ended: [], invalid: [], waiting: [] });
const objectName = (o: { namespace: string; name: string }): string => `${o.namespace}/${o.name}`;

/** One pass over every registered cluster; a cluster that fails is reported, never stops the others. */
export async function syncAllClusters(deps: Dependencies, namespacesOf: (cluster: string) => string[] | undefined = () => undefined): Promise<SyncReport[]> {
  const objectsOf = deps.canaryObjects;
  if (!objectsOf) return [];
  return Promise.all(deps.clusters.names().map(async (cluster) => {
    try {
      return await syncCluster(deps, objectsOf(cluster), cluster, namespacesOf(cluster));
    } catch (error) {
      return { ...emptyReport(cluster), error: error instanceof Error ? error.message : String(error) };
    }
  }));
}

/** One cluster: one LIST, then each object; then every rollout whose object is gone is aborted. */
export async function syncCluster(deps: Dependencies, objects: CanaryObjects, cluster: string, namespaces?: string[]): Promise<SyncReport> {
  const listed = await objects.list(namespaces);
  const report = { ...emptyReport(cluster), objects: listed.length };
  for (const object of listed) await syncOne(deps, objects, object, report);
  const present = new Set(listed.filter((o) => !o.deleting).map((o) => o.uid));
  for (const rollout of await activeFromObjects(deps, cluster)) {
    const inScope = !namespaces || namespaces.includes(rollout.source?.namespace ?? '');
    if (inScope && rollout.source && !present.has(rollout.source.uid)) await end(deps, rollout, `CanaryDeployment ${objectName(rollout.source)} was deleted`, report);
  }
  return report;
}

/**
 * What an admission webhook push carries: the object being created or updated (not yet stored: validating
 * webhooks run before the write, with uid and generation already set), or the uid of one being deleted.
 * Dry runs never get here. If the write is then refused after all, the next scheduled pass sees that.
 */
export type Admitted = { object: CanaryObject } | { deleted: { cluster: string; namespace: string; name: string; uid: string } };

export async function syncAdmitted(deps: Dependencies, objects: CanaryObjects, admitted: Admitted): Promise<SyncReport> {
  if ('object' in admitted) {
    const report = { ...emptyReport(admitted.object.cluster), objects: 1 };
    await syncOne(deps, objects, admitted.object, report);
    return report;
  }
  const { cluster, namespace, name, uid } = admitted.deleted;
  const report = emptyReport(cluster);
  for (const rollout of await activeFromObjects(deps, cluster)) {
    if (rollout.source?.uid === uid) await end(deps, rollout, `CanaryDeployment ${namespace}/${name} was deleted`, report);
  }
  return report;
}

/** One object by name (the on-demand route): synced if it exists, its rollout aborted if not. */
export async function syncObject(deps: Dependencies, objects: CanaryObjects, cluster: string, namespace: string, name: string): Promise<SyncReport> {
  const report = emptyReport(cluster);
  const object = await objects.get(namespace, name);
  if (object) {
    report.objects = 1;
    await syncOne(deps, objects, object, report);
    return report;
  }
  for (const rollout of await activeFromObjects(deps, cluster)) {
    if (rollout.source?.namespace === namespace && rollout.source.name === name) await end(deps, rollout, `CanaryDeployment ${namespace}/${name} was deleted`, report);
  }
  return report;
}

async function syncOne(deps: Dependencies, objects: CanaryObjects, object: CanaryObject, report: SyncReport): Promise<void> {
  // An object the engine created for a rollout started elsewhere is that rollout's view: adopt, never start.
  if (object.labels[CREATED_BY_LABEL] === CREATED_BY_ENGINE) return;
  if (object.deleting) {
    for (const rollout of await activeFromObjects(deps, object.cluster)) {
      if (rollout.source?.uid === object.uid) await end(deps, rollout, `CanaryDeployment ${objectName(object)} is being deleted`, report);
    }
    return;
  }
  const id = rolloutIdFor(object.cluster, object.uid, object.generation);
  if (await deps.store.get(id)) return; // this generation was started already (and may have ended)
  const source = { cluster: object.cluster, namespace: object.namespace, name: object.name, uid: object.uid, generation: object.generation };
  try {
    await startRollout(deps, { document: documentFor(object), actor: SYNC_ACTOR, id, source });
    report.started.push(objectName(object));
  } catch (error) {
    if (error instanceof ConcurrentUpdateError) return; // a racing push or pass started this very generation
    if (error instanceof ActiveRolloutExistsError) {
      // The target's lock names the running rollout: an older generation of this object ends first.
      const running = await deps.store.get(error.activeRolloutId);
      if (running?.source?.uid === object.uid && running.id !== id) {
        await end(deps, running, `CanaryDeployment ${objectName(object)} changed: generation ${object.generation} replaces ${running.source.generation}`, report);
      }
      report.waiting.push(objectName(object));
      return;
    }
    if (error instanceof ValidationError || (error instanceof AppError && error.status === 400)) {
      report.invalid.push(objectName(object));
      await refuse(objects, object, error.details.length ? error.details : [{ path: 'spec', message: error.message }], deps.clock.now());
      return;
    }
    throw error;
  }
}

/**
 * The object's document, bound to where it lives: its namespace, and its cluster. A `spec.cluster` naming
 * another cluster is refused by the store of problems below rather than silently rolled out elsewhere.
 */
function documentFor(object: CanaryObject): unknown {
  const doc = (object.document ?? {}) as { metadata?: Record<string, unknown>; spec?: Record<string, unknown> };
  const cluster = doc.spec?.cluster;
  const spec = cluster === undefined || cluster === object.cluster ? { ...doc.spec, cluster: object.cluster } : doc.spec;
  if (cluster !== undefined && cluster !== object.cluster) {
    throw new ValidationError('The CanaryDeployment is invalid', [{ path: 'spec.cluster', message: `must be "${object.cluster}" (the cluster the object is in) or unset` }]);
  }
  return { ...doc, metadata: { name: object.name, namespace: object.namespace }, spec };
}

/** Nothing starts; the object says why, with field paths, in its status and in an Event (once per generation). */
async function refuse(objects: CanaryObjects, object: CanaryObject, problems: Array<{ path: string; message: string }>, now: Date): Promise<void> {
  const status = invalidSpecStatus(problems, object.generation, object.status?.conditions, now);
  if (object.status?.observedGeneration === object.generation && object.status.conditions?.some((c) => c.reason === 'InvalidSpec')) return;
  await objects.writeStatus(object.namespace, object.name, status);
  await objects.recordEvent(object.namespace, object.name, object.uid, { type: 'Warning', reason: 'InvalidSpec', message: status.message });
}

async function end(deps: Dependencies, rollout: RolloutState, why: string, report: SyncReport): Promise<void> {
  try {
    await actOnRollout(deps, rollout.id, { kind: 'abort', actor: SYNC_ACTOR, comment: why });
    report.ended.push(rollout.id);
  } catch (error) {
    // Already rolling back or finished (a racing pass, or the rollout failed on its own): nothing to end.
    if (!(error instanceof AppError && error.status === 409)) throw error;
  }
}

/** Every active rollout has a next tick, so the due-time index lists them all, and only them. */
const ALL_ACTIVE = new Date('9999-12-31T23:59:59.999Z');
const MAX_ACTIVE = 5_000;

/** Active rollouts of a cluster that came from an object (not already rolling back). */
async function activeFromObjects(deps: Dependencies, cluster: string): Promise<RolloutState[]> {
  const active = await deps.store.listOverdue(ALL_ACTIVE, MAX_ACTIVE);
  return active.filter((s) => s.source?.cluster === cluster && !isTerminal(s.phase) && s.phase !== 'RollingBack');
}

/**
 * When a rollout started from an object ends, that object is synced at once: a newer generation waiting
 * for the target's lock starts now instead of on the next scheduled pass. Best effort: the pass is the net.
 */
export async function handOverAfterEnd(deps: Dependencies, before: RolloutState, after: RolloutState): Promise<void> {
  const objects = deps.canaryObjects;
  if (!objects || !after.source || isTerminal(before.phase) || !isTerminal(after.phase)) return;
  const { cluster, namespace, name } = after.source;
  try {
    await syncObject(deps, objects(cluster), cluster, namespace, name);
  } catch (error) {
    log.warn('sync after a rollout ended failed; the scheduled pass will retry', { rolloutId: after.id, cluster, object: `${namespace}/${name}`, error: error instanceof Error ? error.message : String(error) });
  }
}
