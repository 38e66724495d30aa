/**
 * What is the engine's: every object the engine creates for a rollout (canary Deployment, canary Service,
 * canary Ingress) carries the annotation `codedance.io/rollout-id: <id>`. The names are predictable
 * (`<target>-canary`), so a person or another tool may already use one; the annotation, not the name,
 * decides.
 *
 * - ours: this rollout's id. Updated, scaled, deleted.
 * - leftover: another rollout's id (an earlier rollout that did not clean up). Never reused as it is:
 *   rebuilt from the current target by ensureCanary, left alone by deleteCanary (it is not this rollout's).
 * - foreign: no rollout id at all. Never adopted, changed or deleted; the rollout fails naming the fix.
 */
import type { RolloutRef } from '../../ports/cluster.js';
import type { KubeClients } from './client.js';
import { call, callOptional, isNotFound, KubernetesApiError, retryOnConflict, type ObjectRef } from './errors.js';

export const ROLLOUT_ID = 'codedance.io/rollout-id';

export type Ownership = 'ours' | 'leftover' | 'foreign';

interface Meta { metadata?: { annotations?: Record<string, string> | undefined; uid?: string | undefined } | undefined }

export function ownershipOf(object: Meta, id: string): Ownership {
  const owner = object.metadata?.annotations?.[ROLLOUT_ID];
  return owner === undefined ? 'foreign' : owner === id ? 'ours' : 'leftover';
}

/** How observe() lists an object it will not touch. */
export const foreignNote = (ref: ObjectRef): string => `${ref.kind} ${ref.namespace}/${ref.name} (not created by Codedance)`;

/** Permanent: retrying cannot help until a person renames, deletes or re-points. */
export function foreignError(cluster: string, ref: ObjectRef, fix: string): KubernetesApiError {
  return new KubernetesApiError(cluster, 'Foreign',
    `${ref.kind} ${ref.namespace}/${ref.name} exists but was not created by Codedance (no ${ROLLOUT_ID} annotation), so it is never adopted, changed or deleted: ${fix}`, true);
}

/** The annotations of an object the engine creates for this rollout. */
export const ownedAnnotations = (rollout: RolloutRef): Record<string, string> =>
  ({ 'codedance.io/rollout': rollout.spec.name, [ROLLOUT_ID]: rollout.id });

/**
 * Deletes the object only if it carries this rollout's id, with a uid precondition: an object created under
 * the same name between our read and our delete answers 409, and the next attempt reads it afresh.
 * Returns the deleted object, or undefined when there was nothing of ours (absent, leftover or foreign).
 */
export async function deleteIfOurs<T extends Meta>(
  kube: KubeClients, rollout: RolloutRef, ref: ObjectRef,
  read: () => Promise<T>, remove: (uid: string) => Promise<unknown>,
): Promise<T | undefined> {
  return retryOnConflict(kube.cluster, ref, async () => {
    const found = await callOptional(kube.cluster, 'get', ref, read);
    const uid = found?.metadata?.uid;
    if (!found || !uid || ownershipOf(found, rollout.id) !== 'ours') return undefined;
    try {
      await call(kube.cluster, 'delete', ref, () => remove(uid));
      return found;
    } catch (err) {
      if (isNotFound(err)) return undefined; // someone else deleted it first: nothing left to undo
      throw err;
    }
  });
}
