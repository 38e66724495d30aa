/**
 * The canary Deployment's shape and health (mostly pure): a copy of the target with the new image and its
 * own selector, so both versions run side by side and the traffic object decides who gets what. It has no
 * owner reference, so nothing but deleteCanary removes it, and the engine never needs the target to outlive
 * it. The calls that create, scale and delete it are in canary-deployment.ts.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { CrashSignal } from '../../domain/commands.js';
import type { RolloutSpec } from '../../domain/spec.js';
import type { RolloutRef } from '../../ports/cluster.js';
import type { KubeClients } from './client.js';
import { call, KubernetesApiError, type ObjectRef } from './errors.js';
import { ownedAnnotations } from './ownership.js';

/** Added to the canary's selector and pod labels; `version: canary` is what mesh subsets select on. */
export const CANARY_LABELS: Readonly<Record<string, string>> = { version: 'canary', 'codedance.io/rollout-role': 'canary' };
export const canaryName = (spec: RolloutSpec): string => `${spec.targetDeployment}-canary`;

export const deploymentRef = (spec: RolloutSpec, name: string, fix?: string): ObjectRef =>
  ({ kind: 'Deployment', resource: 'deployments.apps', namespace: spec.namespace, name, ...(fix ? { fix } : {}) });
export const targetRef = (spec: RolloutSpec): ObjectRef => deploymentRef(spec, spec.targetDeployment, 'create it or fix spec.targetDeployment');

export function readTarget(kube: KubeClients, spec: RolloutSpec): Promise<V1Deployment> {
  return call(kube.cluster, 'get', targetRef(spec), () => kube.deployments.read({ name: spec.targetDeployment, namespace: spec.namespace }));
}

/** The canary's selector: the target's, made distinct by CANARY_LABELS. */
export const canaryMatchLabels = (target: V1Deployment): Record<string, string> =>
  ({ ...target.spec?.selector.matchLabels, ...CANARY_LABELS });

/** Labels of stable pods for a mesh subset: the target's selector, narrowed by its `version` label if it has one. */
export function stableMatchLabels(target: V1Deployment): Record<string, string> {
  const version = target.spec?.template.metadata?.labels?.version;
  return { ...target.spec?.selector.matchLabels, ...(version && version !== CANARY_LABELS.version ? { version } : {}) };
}

export const labelSelector = (labels: Record<string, string>): string => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');

/** Index of the container whose image rolls: `spec.container`, else the first. */
export function containerIndex(kube: KubeClients, deployment: V1Deployment, spec: RolloutSpec): number {
  const containers = deployment.spec?.template.spec?.containers ?? [];
  const index = spec.container === undefined ? 0 : containers.findIndex((c) => c.name === spec.container);
  if (index < 0 || containers.length === 0) {
    throw new KubernetesApiError(kube.cluster, 'Invalid', `Deployment ${spec.namespace}/${deployment.metadata?.name} has no container "${spec.container ?? '(any)'}": its containers are ${containers.map((c) => c.name).join(', ') || 'none'}; fix spec.container`, true);
  }
  return index;
}

/**
 * The canary Deployment built from the target (pure): the target's current template with the new image,
 * annotated with the rollout's id so it is known as this rollout's own (see ownership.ts).
 */
export function canaryFromTarget(target: V1Deployment, rollout: RolloutRef, index: number, replicas: number): V1Deployment {
  const { spec } = rollout;
  const template = target.spec?.template;
  const containers = (template?.spec?.containers ?? []).map((c, i) => (i === index ? { ...c, image: spec.canaryImage } : c));
  const expressions = target.spec?.selector.matchExpressions;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: canaryName(spec),
      namespace: spec.namespace,
      labels: { ...target.metadata?.labels, ...CANARY_LABELS },
      annotations: { ...ownedAnnotations(rollout), 'codedance.io/target': spec.targetDeployment },
    },
    spec: {
      replicas,
      selector: { matchLabels: canaryMatchLabels(target), ...(expressions ? { matchExpressions: expressions } : {}) },
      template: {
        metadata: { labels: { ...template?.metadata?.labels, ...CANARY_LABELS }, ...(template?.metadata?.annotations ? { annotations: template.metadata.annotations } : {}) },
        spec: { ...template?.spec, containers },
      },
      ...(target.spec?.strategy ? { strategy: target.spec.strategy } : {}),
      ...(target.spec?.minReadySeconds ? { minReadySeconds: target.spec.minReadySeconds } : {}),
      // The rollout's deadline becomes the canary's, so a stuck canary shows ProgressDeadlineExceeded in time.
      progressDeadlineSeconds: Math.max(1, Math.ceil(spec.progressDeadlineMs / 1000)),
      revisionHistoryLimit: 2,
    },
  };
}

/** Every replica updated and available, and the controller has seen the latest spec. */
export function canaryAvailable(d: V1Deployment): boolean {
  const desired = d.spec?.replicas ?? 1;
  const s = d.status ?? {};
  return (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && (s.updatedReplicas ?? 0) >= desired && (s.availableReplicas ?? 0) >= desired;
}

/** `kubectl rollout status` semantics: no old pods left and every new one available. */
export function rolloutComplete(d: V1Deployment): boolean {
  const s = d.status ?? {};
  const updated = s.updatedReplicas ?? 0;
  return (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && updated === (d.spec?.replicas ?? 1)
    && (s.replicas ?? 0) === updated && (s.availableReplicas ?? 0) === updated;
}

/** Waiting reasons that mean the canary will not start without a fix; a bad image counts, not just crashes. */
const FATAL_WAITING = new Set(['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CreateContainerConfigError', 'CreateContainerError']);
const RESTART_LIMIT = 3;

/** The worst crash signal among the canary's pods, else the Deployment's progress deadline (pure). */
export function crashSignalOf(canary: V1Deployment, pods: V1Pod[]): CrashSignal | undefined {
  const signals: CrashSignal[] = [];
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue; // a pod on its way out belongs to an earlier canary revision
    for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
      const waiting = c.state?.waiting?.reason;
      const oom = c.lastState?.terminated?.reason === 'OOMKilled' || c.state?.terminated?.reason === 'OOMKilled';
      const reason = waiting && FATAL_WAITING.has(waiting) ? waiting : oom ? 'OOMKilled' : c.restartCount >= RESTART_LIMIT ? 'Restarts' : undefined;
      if (reason) signals.push({ pod: pod.metadata?.name ?? '?', reason, restarts: c.restartCount });
    }
  }
  signals.sort((a, b) => b.restarts - a.restarts);
  if (signals[0]) return signals[0];
  const progressing = canary.status?.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded') {
    return { pod: canary.metadata?.name ?? '?', reason: 'ProgressDeadlineExceeded', restarts: 0 };
  }
  return undefined;
}
