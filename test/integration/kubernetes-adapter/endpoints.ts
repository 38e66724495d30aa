/**
 * What a Service really selects, read the way a proxy sees it: the pods named by its EndpointSlices
 * (computed by the controller-manager's EndpointSlice controller), not its selector.
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Admin } from './seed.js';

/** Names of the ready pods behind Service `service`, from its EndpointSlices. */
export async function endpointPods(admin: Admin, namespace: string, service: string): Promise<string[]> {
  const slices = await admin.discovery.listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` });
  return slices.items.flatMap((s) => s.endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false && e.targetRef?.kind === 'Pod')
    .map((e) => e.targetRef?.name ?? '?')
    .sort();
}

export interface PodsByRole { stable: string[]; canary: string[]; all: V1Pod[] }

/** Live pods of the namespace, split by what they are (canary pods carry `version: canary`). */
export async function podsByRole(admin: Admin, namespace: string): Promise<PodsByRole> {
  const pods = (await admin.core.listNamespacedPod({ namespace })).items.filter((p) => !p.metadata?.deletionTimestamp);
  const names = (canary: boolean) => pods.filter((p) => (p.metadata?.labels?.version === 'canary') === canary).map((p) => p.metadata?.name ?? '?').sort();
  return { stable: names(false), canary: names(true), all: pods };
}

/** The pods among `names` whose labels match `labels` (how Istio picks a subset's endpoints). */
export function matching(pods: V1Pod[], names: string[], labels: Record<string, string>): string[] {
  return pods.filter((p) => names.includes(p.metadata?.name ?? '')
    && Object.entries(labels).every(([k, v]) => p.metadata?.labels?.[k] === v)).map((p) => p.metadata?.name ?? '?').sort();
}
