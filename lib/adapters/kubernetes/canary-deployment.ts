/**
 * The apiserver side of the canary Deployment and the target: create / rebuild / scale the canary (only
 * ever one this rollout owns, see ownership.ts), observe both, set the target's image, delete the canary.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { RolloutRef, ClusterObservation } from '../../ports/cluster.js';
import type { KubeClients } from './client.js';
import { call, callOptional, KubernetesApiError, retryOnConflict, type ObjectRef } from './errors.js';
import { deleteIfOurs, foreignError, foreignNote, ownershipOf } from './ownership.js';
import { imageManagerOf, targetFailure, templateHash } from './target-facts.js';
import {
  canaryAvailable, canaryFromTarget, canaryName, CANARY_LABELS, containerIndex, crashSignalOf, deploymentRef, labelSelector,
  readTarget, rolloutComplete, targetRef,
} from './workload.js';

const canaryRef = (rollout: RolloutRef): ObjectRef => deploymentRef(rollout.spec, canaryName(rollout.spec));
const readCanary = (kube: KubeClients, rollout: RolloutRef) => () => kube.deployments.read({ name: canaryName(rollout.spec), namespace: rollout.spec.namespace });
const FOREIGN_FIX = 'rename or delete it, or choose another target name for the rollout';

/** Not ours: fail before the caller changes anything (stable narrowing included). */
export async function assertCanaryNotForeign(kube: KubeClients, rollout: RolloutRef): Promise<void> {
  const ref = canaryRef(rollout);
  const existing = await callOptional(kube.cluster, 'get', ref, readCanary(kube, rollout));
  if (existing && ownershipOf(existing, rollout.id) === 'foreign') throw foreignError(kube.cluster, ref, FOREIGN_FIX);
}

/**
 * Creates the canary from the target's current template with `replicas`; this rollout's canary is only
 * scaled or given the new image; a leftover of an earlier rollout is deleted (uid precondition) and built
 * anew, because its template may be stale and a Deployment's selector cannot change in place.
 */
export async function ensureCanaryDeployment(kube: KubeClients, rollout: RolloutRef, target: V1Deployment, replicas: number): Promise<void> {
  const { spec } = rollout;
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new KubernetesApiError(kube.cluster, 'Invalid', `canary replicas must be a whole number ≥ 0, got ${replicas}`, true);
  }
  const index = containerIndex(kube, target, spec);
  const desired = canaryFromTarget(target, rollout, index, replicas);
  const ref = canaryRef(rollout);
  const create = () => call(kube.cluster, 'create', ref, () => kube.deployments.create({ namespace: spec.namespace, body: desired }));
  await retryOnConflict(kube.cluster, ref, async () => {
    const existing = await callOptional(kube.cluster, 'get', ref, readCanary(kube, rollout));
    if (!existing) return create(); // a 409 here (created in between) is retried: the next read decides
    const owner = ownershipOf(existing, rollout.id);
    if (owner === 'foreign') throw foreignError(kube.cluster, ref, FOREIGN_FIX);
    if (existing.metadata?.deletionTimestamp) {
      throw new KubernetesApiError(kube.cluster, 'Conflict', `${ref.kind} ${ref.namespace}/${ref.name} is being deleted; will retry`, false);
    }
    if (owner === 'leftover') {
      const uid = existing.metadata?.uid;
      await call(kube.cluster, 'delete', ref, () => kube.deployments.delete({ name: ref.name, namespace: spec.namespace, propagationPolicy: 'Background', ...(uid ? { uid } : {}) }));
      return create();
    }
    const current = existing.spec?.template.spec?.containers[containerIndex(kube, existing, spec)];
    if (!current || !existing.spec || (current.image === spec.canaryImage && existing.spec.replicas === replicas)) return;
    current.image = spec.canaryImage;
    existing.spec.replicas = replicas;
    await call(kube.cluster, 'update', ref, () => kube.deployments.replace({ name: ref.name, namespace: spec.namespace, body: existing }));
  });
}

type WorkloadView = Pick<ClusterObservation, 'canary' | 'stable'> & { missing: string[]; foreign: string[] };

export async function observeWorkload(kube: KubeClients, rollout: RolloutRef): Promise<WorkloadView> {
  const { spec } = rollout;
  const ref = canaryRef(rollout);
  const [target, canary] = await Promise.all([
    callOptional(kube.cluster, 'get', targetRef(spec), () => kube.deployments.read({ name: spec.targetDeployment, namespace: spec.namespace })),
    callOptional(kube.cluster, 'get', ref, readCanary(kube, rollout)),
  ]);
  const missing = target ? [] : [`Deployment ${spec.namespace}/${spec.targetDeployment}`];
  const owner = canary && ownershipOf(canary, rollout.id);
  const foreign = owner === 'foreign' ? [foreignNote(ref)] : [];
  const stable = target ? stableFacts(kube, rollout, target) : { exists: false, available: false };
  if (!canary || owner !== 'ours') return { canary: { exists: false, available: false }, stable, missing, foreign };
  const podsRef: ObjectRef = { kind: 'Pod', resource: 'pods', namespace: spec.namespace, name: `(selector of ${ref.name})` };
  const pods = await call(kube.cluster, 'list', podsRef, () =>
    kube.pods.list({ namespace: spec.namespace, labelSelector: labelSelector(canary.spec?.selector.matchLabels ?? CANARY_LABELS) }));
  const crash = crashSignalOf(canary, pods.items);
  return {
    canary: { exists: true, available: canaryAvailable(canary), replicas: canary.spec?.replicas ?? 1, ...(crash ? { crash } : {}) },
    stable, missing, foreign,
  };
}

function stableFacts(kube: KubeClients, { spec }: RolloutRef, target: V1Deployment): ClusterObservation['stable'] {
  const container = target.spec?.template.spec?.containers[containerIndex(kube, target, spec)];
  const failed = targetFailure(target);
  const imageManager = container ? imageManagerOf(target, container.name) : undefined;
  return {
    exists: true,
    image: container?.image,
    available: rolloutComplete(target),
    replicas: target.spec?.replicas ?? 1,
    templateHash: templateHash(target),
    ...(failed ? { failed } : {}),
    ...(imageManager ? { imageManager } : {}),
  };
}

/** Strategic merge on the one container, keyed by name: idempotent and touches nothing else. */
export async function setStableImage(kube: KubeClients, { spec }: RolloutRef, image: string): Promise<void> {
  await retryOnConflict(kube.cluster, targetRef(spec), async () => {
    const target = await readTarget(kube, spec);
    const container = target.spec?.template.spec?.containers[containerIndex(kube, target, spec)];
    if (!container || container.image === image) return;
    const body = { spec: { template: { spec: { containers: [{ name: container.name, image }] } } } };
    await call(kube.cluster, 'patch', targetRef(spec), () => kube.deployments.patch(
      { name: spec.targetDeployment, namespace: spec.namespace, body, patchType: 'strategic' }));
  });
}

/** How long deleteCanary waits for the garbage collector to start removing the canary's pods. */
const POD_EXIT_WAIT_MS = 10_000;

/**
 * Deletes this rollout's canary (never a leftover or foreign one). Background propagation: the Deployment
 * is gone at once and the garbage collector removes its pods. Returns once none of its pods is live any
 * more, because the caller restores the stable selection next and the restored selector matches them.
 * The wait is bounded to the call that deletes: a repeated call finds the Deployment gone and goes on.
 */
export async function deleteCanaryDeployment(kube: KubeClients, rollout: RolloutRef, wait = POD_EXIT_WAIT_MS): Promise<void> {
  const { spec } = rollout;
  const ref = canaryRef(rollout);
  const deleted = await deleteIfOurs(kube, rollout, ref, readCanary(kube, rollout),
    (uid) => kube.deployments.delete({ name: ref.name, namespace: spec.namespace, propagationPolicy: 'Background', uid }));
  const selector = deleted?.spec?.selector.matchLabels;
  if (!selector) return;
  const podsRef: ObjectRef = { kind: 'Pod', resource: 'pods', namespace: spec.namespace, name: `(pods of deleted ${ref.name})` };
  const deadline = Date.now() + wait;
  for (;;) {
    const pods = await call(kube.cluster, 'list', podsRef, () => kube.pods.list({ namespace: spec.namespace, labelSelector: labelSelector(selector) }));
    const live = pods.items.filter((p) => !p.metadata?.deletionTimestamp).map((p) => p.metadata?.name ?? '?');
    if (live.length === 0) return;
    if (Date.now() >= deadline) {
      throw new KubernetesApiError(kube.cluster, 'Conflict', `canary pods ${live.join(', ')} are still running ${wait / 1000}s after Deployment ${ref.namespace}/${ref.name} was deleted (garbage collector behind?); the stable selection is restored once they stop; will retry`, false);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
