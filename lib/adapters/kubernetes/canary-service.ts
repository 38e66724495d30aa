/**
 * The canary Service for providers that route by Service (ingress-nginx, Gateway API): same ports as the
 * stable Service, selecting only canary pods. The engine owns it, so it is created and deleted per rollout.
 */
import type { V1Service } from '@kubernetes/client-node';
import type { RolloutSpec } from '../../domain/spec.js';
import type { KubeClients } from './client.js';
import { call, callOptional, isConflict, KubernetesApiError, readExisting, retryOnConflict, translate, type ObjectRef } from './errors.js';
import { MANAGED_LABELS, sameJson } from './traffic.js';
import { canaryMatchLabels, readTarget } from './workload.js';

const serviceRef = (spec: RolloutSpec, name: string, fix?: string): ObjectRef =>
  ({ kind: 'Service', resource: 'services', namespace: spec.namespace, name, ...(fix ? { fix } : {}) });

/** The canary Service built from the stable one (pure): ports copied, ClusterIP and node ports left out. */
export function canaryServiceFrom(stable: V1Service, spec: RolloutSpec, selector: Record<string, string>): V1Service {
  const ports = (stable.spec?.ports ?? []).map(({ name, port, targetPort, protocol, appProtocol }) =>
    ({ port, ...(name ? { name } : {}), ...(targetPort !== undefined ? { targetPort } : {}), ...(protocol ? { protocol } : {}), ...(appProtocol ? { appProtocol } : {}) }));
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: spec.trafficRouting.canaryService, namespace: spec.namespace, labels: { ...MANAGED_LABELS }, annotations: { 'codedance.io/rollout': spec.name } },
    spec: { type: 'ClusterIP', selector, ports },
  };
}

export async function ensureCanaryService(kube: KubeClients, spec: RolloutSpec): Promise<void> {
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
  const desired = canaryServiceFrom(stable, spec, canaryMatchLabels(target));
  const ref = serviceRef(spec, canaryService);
  try {
    await kube.services.create({ namespace: spec.namespace, body: desired });
    return;
  } catch (err) {
    if (!isConflict(err)) throw translate(kube.cluster, 'create', ref, err);
  }
  await retryOnConflict(kube.cluster, ref, async () => {
    const existing = await readExisting(kube.cluster, ref, () => kube.services.read({ name: canaryService, namespace: spec.namespace }));
    const current = canaryServiceFrom(existing, spec, existing.spec?.selector ?? {});
    if (sameJson(existing.spec?.selector, desired.spec?.selector) && sameJson(current.spec?.ports, desired.spec?.ports)) return;
    // Keep clusterIP and the rest of what the apiserver filled in; replace only selector and ports.
    const body: V1Service = { ...existing, spec: { ...existing.spec, selector: desired.spec?.selector, ports: desired.spec?.ports } };
    await call(kube.cluster, 'update', ref, () => kube.services.replace({ name: canaryService, namespace: spec.namespace, body }));
  });
}

export async function deleteCanaryService(kube: KubeClients, spec: RolloutSpec): Promise<void> {
  const name = spec.trafficRouting.canaryService;
  await callOptional(kube.cluster, 'delete', serviceRef(spec, name), () => kube.services.delete({ name, namespace: spec.namespace }));
}
