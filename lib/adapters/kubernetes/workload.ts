/**
 * The canary Deployment: a copy of the target with the new image and its own selector, so both versions
 * run side by side and the traffic object decides who gets what. It has no owner, so nothing but
 * deleteCanary removes it, and the engine never needs the target to outlive it.
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { CrashSignal, Observation } from '../../domain/commands.js';
import type { RolloutSpec } from '../../domain/spec.js';
import type { KubeClients } from './client.js';
import { call, callOptional, isConflict, KubernetesApiError, readExisting, retryOnConflict, translate, type ObjectRef } from './errors.js';

/** Added to the canary's selector and pod labels; `version: canary` is what mesh subsets select on. */
export const CANARY_LABELS: Readonly<Record<string, string>> = { version: 'canary', 'codedance.io/rollout-role': 'canary' };
export const canaryName = (spec: RolloutSpec): string => `${spec.targetDeployment}-canary`;

const ref = (spec: RolloutSpec, name: string, fix?: string): ObjectRef =>
  ({ kind: 'Deployment', resource: 'deployments.apps', namespace: spec.namespace, name, ...(fix ? { fix } : {}) });
const targetRef = (spec: RolloutSpec) => ref(spec, spec.targetDeployment, 'create it or fix spec.targetDeployment');

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

/** The canary Deployment built from the target (pure). */
export function canaryFromTarget(target: V1Deployment, spec: RolloutSpec, index: number): V1Deployment {
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
      annotations: { 'codedance.io/rollout': spec.name, 'codedance.io/target': spec.targetDeployment },
    },
    spec: {
      replicas: Math.max(1, target.spec?.replicas ?? 1),
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

export async function ensureCanary(kube: KubeClients, spec: RolloutSpec): Promise<void> {
  const target = await readTarget(kube, spec);
  const body = canaryFromTarget(target, spec, containerIndex(kube, target, spec));
  const canary = ref(spec, canaryName(spec));
  try {
    await kube.deployments.create({ namespace: spec.namespace, body });
    return;
  } catch (err) {
    if (!isConflict(err)) throw translate(kube.cluster, 'create', canary, err);
  }
  // Already there (a repeated tick, or an earlier rollout of another image): bring its image up to date.
  await retryOnConflict(kube.cluster, canary, async () => {
    const existing = await readExisting(kube.cluster, canary, () => kube.deployments.read({ name: canary.name, namespace: spec.namespace }));
    const containers = existing.spec?.template.spec?.containers ?? [];
    const current = containers[containerIndex(kube, existing, spec)];
    if (!current || current.image === spec.canaryImage) return;
    current.image = spec.canaryImage;
    await call(kube.cluster, 'update', canary, () => kube.deployments.replace({ name: canary.name, namespace: spec.namespace, body: existing }));
  });
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

export async function observeWorkload(kube: KubeClients, spec: RolloutSpec): Promise<Pick<Observation, 'canary' | 'stable'>> {
  const name = canaryName(spec);
  const [target, canary] = await Promise.all([
    readTarget(kube, spec),
    callOptional(kube.cluster, 'get', ref(spec, name), () => kube.deployments.read({ name, namespace: spec.namespace })),
  ]);
  const stable = { image: target.spec?.template.spec?.containers[containerIndex(kube, target, spec)]?.image, available: rolloutComplete(target) };
  if (!canary) return { canary: { exists: false, available: false }, stable };
  const podsRef: ObjectRef = { kind: 'Pod', resource: 'pods', namespace: spec.namespace, name: `(selector of ${name})` };
  const pods = await call(kube.cluster, 'list', podsRef, () =>
    kube.pods.list({ namespace: spec.namespace, labelSelector: labelSelector(canary.spec?.selector.matchLabels ?? CANARY_LABELS) }));
  const crash = crashSignalOf(canary, pods.items);
  return { canary: { exists: true, available: canaryAvailable(canary), ...(crash ? { crash } : {}) }, stable };
}

/** Strategic merge on the one container, keyed by name: idempotent and touches nothing else. */
export async function promoteStable(kube: KubeClients, spec: RolloutSpec): Promise<void> {
  await retryOnConflict(kube.cluster, targetRef(spec), async () => {
    const target = await readTarget(kube, spec);
    const container = target.spec?.template.spec?.containers[containerIndex(kube, target, spec)];
    if (!container || container.image === spec.canaryImage) return;
    const body = { spec: { template: { spec: { containers: [{ name: container.name, image: spec.canaryImage }] } } } };
    await call(kube.cluster, 'patch', targetRef(spec), () => kube.deployments.patch(
      { name: spec.targetDeployment, namespace: spec.namespace, body, patchType: 'strategic' }));
  });
}

export async function deleteCanary(kube: KubeClients, spec: RolloutSpec): Promise<void> {
  const name = canaryName(spec);
  // Background propagation: the Deployment is gone at once, the garbage collector removes its pods.
  await callOptional(kube.cluster, 'delete', ref(spec, name), () =>
    kube.deployments.delete({ name, namespace: spec.namespace, propagationPolicy: 'Background' }));
}
