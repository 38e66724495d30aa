/**
 * The canary Service for providers that route by Service (ingress-nginx, Gateway API): same ports as the
 * stable Service, selecting only canary pods (canaryMatchLabels: the target's selector plus `version:
 * canary`). The engine creates it per rollout with the rollout's id; one without an id is a user's and is
 * never adopted, changed or deleted (see ownership.ts).
 */
import type { V1Service } from '@kubernetes/client-node';
import type { RolloutSpec } from '../../domain/spec.js';
import type { RolloutRef } from '../../ports/cluster.js';
import type { KubeClients } from './client.js';
import { call, callOptional, KubernetesApiError, retryOnConflict, type ObjectRef } from './errors.js';
import { deleteIfOurs, foreignError, foreignNote, ownedAnnotations, ownershipOf } from './ownership.js';
import { MANAGED_LABELS, sameJson } from './traffic.js';
import { canaryMatchLabels, readTarget } from './workload.js';

const serviceRef = (spec: RolloutSpec, name: string, fix?: string): ObjectRef =>
  ({ kind: 'Service', resource: 'services', namespace: spec.namespace, name, ...(fix ? { fix } : {}) });
const canaryRef = (spec: RolloutSpec) => serviceRef(spec, spec.trafficRouting.canaryService);
const FOREIGN_FIX = 'rename or delete it, or set spec.trafficRouting.canaryService to another name';

/** The canary Service built from the stable one (pure): ports copied, ClusterIP and node ports left out. */
export function canaryServiceFrom(stable: V1Service, rollout: RolloutRef, selector: Record<string, string>): V1Service {
  const { spec } = rollout;
  const ports = (stable.spec?.ports ?? []).map(({ name, port, targetPort, protocol, appProtocol }) =>
    ({ port, ...(name ? { name } : {}), ...(targetPort !== undefined ? { targetPort } : {}), ...(protocol ? { protocol } : {}), ...(appProtocol ? { appProtocol } : {}) }));
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: spec.trafficRouting.canaryService, namespace: spec.namespace, labels: { ...MANAGED_LABELS }, annotations: ownedAnnotations(rollout) },
    spec: { type: 'ClusterIP', selector, ports },
  };
}

export async function ensureCanaryService(kube: KubeClients, rollout: RolloutRef): Promise<void> {
  const { spec } = rollout;
  const { stableService, canaryService } = spec.trafficRouting;
  if (canaryService === stableService) {
    // Rewriting the stable Service's selector would send all traffic to the canary.
    throw new KubernetesApiError(kube.cluster, 'Invalid', `spec.trafficRouting.canaryService must differ from stableService (${stableService})`, true);
  }
  const [target, stable] = await Promise.all([
    readTarget(kube, spec),
    call(kube.cluster, 'get', serviceRef(spec, stableService, 'create it or set spec.trafficRouting.stableService'),
      () => kube.services.read({ name: stableService, namespace: spec.namespace })),
  ]);
  const desired = canaryServiceFrom(stable, rollout, canaryMatchLabels(target));
  const ref = canaryRef(spec);
  await retryOnConflict(kube.cluster, ref, async () => {
    const existing = await callOptional(kube.cluster, 'get', ref, () => kube.services.read({ name: canaryService, namespace: spec.namespace }));
    if (!existing) {
      await call(kube.cluster, 'create', ref, () => kube.services.create({ namespace: spec.namespace, body: desired }));
      return;
    }
    if (ownershipOf(existing, rollout.id) === 'foreign') throw foreignError(kube.cluster, ref, FOREIGN_FIX);
    // Ours, or a leftover of an earlier rollout: made this rollout's (selector, ports, id). Keep clusterIP
    // and whatever else the apiserver filled in.
    const annotations = { ...existing.metadata?.annotations, ...desired.metadata?.annotations };
    const current = canaryServiceFrom(existing, rollout, existing.spec?.selector ?? {});
    if (sameJson(existing.spec?.selector, desired.spec?.selector) && sameJson(current.spec?.ports, desired.spec?.ports)
      && sameJson(existing.metadata?.annotations, annotations)) return;
    const body: V1Service = {
      ...existing,
      metadata: { ...existing.metadata, annotations },
      spec: { ...existing.spec, selector: desired.spec?.selector, ports: desired.spec?.ports },
    };
    await call(kube.cluster, 'update', ref, () => kube.services.replace({ name: canaryService, namespace: spec.namespace, body }));
  });
}

/** A user's Service under the canary name, listed by observe(); undefined when absent or the engine's. */
export async function foreignCanaryService(kube: KubeClients, rollout: RolloutRef): Promise<string | undefined> {
  const { spec } = rollout;
  const ref = canaryRef(spec);
  const existing = await callOptional(kube.cluster, 'get', ref, () => kube.services.read({ name: ref.name, namespace: spec.namespace }));
  return existing && ownershipOf(existing, rollout.id) === 'foreign' ? foreignNote(ref) : undefined;
}

/** Deletes the canary Service only if this rollout created it. */
export async function deleteCanaryService(kube: KubeClients, rollout: RolloutRef): Promise<void> {
  const { spec } = rollout;
  const ref = canaryRef(spec);
  await deleteIfOurs(kube, rollout, ref, () => kube.services.read({ name: ref.name, namespace: spec.namespace }),
    (uid) => kube.services.delete({ name: ref.name, namespace: spec.namespace, uid }));
}
