/**
 * Mirrors a rollout's progress into the status of the CanaryDeployment it came from, so
 * `kubectl get canary` shows phase, weight, step and health. Specs posted over HTTP have no such object:
 * then there is nothing to mirror, which is not an error.
 *
 * Kept off ClusterPort on purpose: the port already has five methods (the architecture's limit), so this
 * is a separate function the registry exposes per cluster.
 */
import type { RolloutSpec } from '../../domain/spec.js';
import type { KubeClients } from './client.js';
import { call, isAbsent } from './errors.js';

export interface MirroredStatus {
  phase: string;
  /** Percent of traffic on the canary. */
  weight: number;
  /** Current step over total, e.g. "2/6". */
  step: string;
  /** Last health score 0–100; absent until an analysis ran (cleared in the object then). */
  health?: number;
  message: string;
  rolloutId: string;
}

export async function mirrorStatus(kube: KubeClients, spec: RolloutSpec, status: MirroredStatus, now: Date = new Date()): Promise<void> {
  const ref = { kind: 'CanaryDeployment', resource: 'canarydeployments/status.deploy.codedance.io', namespace: spec.namespace, name: spec.name };
  // Merge patch on /status: no resourceVersion, so no conflict; `null` removes a stale health score.
  const body = { status: { ...status, health: status.health ?? null, observedAt: now.toISOString() } };
  try {
    await call(kube.cluster, 'patch', ref, () => kube.custom.patchStatus(
      { group: 'deploy.codedance.io', version: 'v1alpha1', namespace: spec.namespace, plural: 'canarydeployments', name: spec.name, body }));
  } catch (err) {
    if (!isAbsent(err)) throw err; // no such object (or the CRD is not installed): nothing to mirror
  }
}
