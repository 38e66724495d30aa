/**
 * How stable traffic stays stable. Canary pods carry the target's labels (plus `version: canary`), so a
 * stable Service selecting `app: x`, or an Istio `stable` subset without a version label, would also pick
 * canary pods: the split would not be the weight, at 0 % included.
 *
 * The choice (Argo Rollouts'): while a rollout runs, stable selection is narrowed to the target's current
 * ReplicaSet by its `pod-template-hash`, a label only the target's own pods of that revision have.
 * - ingress-nginx, Gateway API: the stable Service's selector gets `pod-template-hash: <H>`.
 * - Istio: the Service is left alone (a subset filters the host Service's endpoints, so narrowing the
 *   Service would empty the canary subset); the DestinationRule's `stable` subset gets the hash instead.
 *
 * Crash-safe by construction: the same write that narrows also stores the selection as it was before
 * (annotation `codedance.io/original-selector`, JSON, or `absent` for a subset the engine added) and the
 * rollout id (`codedance.io/narrowed-by`). Whatever happens afterwards, the object itself says how to
 * restore it; restoring needs neither the target nor any state, and is idempotent. A repeated narrowing
 * keeps the first stored original, so narrowing twice never stores a narrowed selection as "original".
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { z } from 'zod';
import type { RolloutRef } from '../../ports/cluster.js';
import type { KubeClients } from './client.js';
import { call, callOptional, KubernetesApiError, retryOnConflict, type ObjectRef } from './errors.js';
import { labelSelector } from './workload.js';

export const HASH_LABEL = 'pod-template-hash';
export const ORIGINAL_SELECTOR = 'codedance.io/original-selector';
export const NARROWED_BY = 'codedance.io/narrowed-by';
/** Stored when the engine itself added the narrowed selection (an Istio subset that did not exist). */
export const ABSENT = 'absent';

export type Labels = Record<string, string>;
type Annotations = Record<string, string>;

const labelsJson = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
}).pipe(z.record(z.string(), z.string()));

/**
 * The narrowed selection and the annotations that record how to undo it (pure). `current` is the selection
 * now (null: none exists); `narrow` builds the narrowed labels from the original ones.
 */
export function narrowed(current: Labels | null, annotations: Annotations | undefined, id: string, narrow: (original: Labels | null) => Labels): { labels: Labels; annotations: Annotations } {
  const stored = annotations?.[ORIGINAL_SELECTOR];
  const original = stored === undefined ? current : stored === ABSENT ? null : parseLabels(stored, current);
  return {
    labels: narrow(original),
    annotations: { ...annotations, [ORIGINAL_SELECTOR]: stored ?? (current === null ? ABSENT : JSON.stringify(current)), [NARROWED_BY]: id },
  };
}

/**
 * The selection as it was before the engine narrowed it, and the annotations without the engine's (pure).
 * Undefined: not narrowed, nothing to do. For `absent` the engine's own un-narrowed labels stay (the
 * VirtualService may still name the subset; removing it would make Envoy answer 503).
 */
export function restored(current: Labels | null, annotations: Annotations | undefined): { labels: Labels; annotations: Annotations | undefined } | undefined {
  const stored = annotations?.[ORIGINAL_SELECTOR];
  if (stored === undefined) return undefined;
  const labels = stored === ABSENT ? withoutHash(current) : parseLabels(stored, current);
  const { [ORIGINAL_SELECTOR]: _o, [NARROWED_BY]: _n, ...rest } = annotations ?? {};
  return { labels, annotations: Object.keys(rest).length ? rest : undefined };
}

export const isNarrowed = (annotations: Annotations | undefined): boolean => annotations?.[ORIGINAL_SELECTOR] !== undefined;

/** A stored value someone mangled: the best restoration left is the current labels without the hash. */
function parseLabels(stored: string, current: Labels | null): Labels {
  const parsed = labelsJson.safeParse(stored);
  return parsed.success ? parsed.data : withoutHash(current);
}

function withoutHash(labels: Labels | null): Labels {
  const { [HASH_LABEL]: _h, ...rest } = labels ?? {};
  return rest;
}

const replicaSetList = z.object({
  items: z.array(z.looseObject({
    metadata: z.looseObject({
      labels: z.record(z.string(), z.string()).optional(),
      annotations: z.record(z.string(), z.string()).optional(),
      ownerReferences: z.array(z.looseObject({ uid: z.string(), controller: z.boolean().optional() })).optional(),
    }),
  })),
});

const REVISION = 'deployment.kubernetes.io/revision';

/**
 * The `pod-template-hash` of the target's current ReplicaSet: the one it controls whose revision is the
 * Deployment's. Not there yet (the deployment controller has not caught up with a new or changed target)
 * is transient: narrowing to an older revision would select pods that are going away.
 */
export async function currentRevisionHash(kube: KubeClients, target: V1Deployment): Promise<string> {
  const namespace = target.metadata?.namespace ?? '';
  const name = target.metadata?.name ?? '';
  const revision = target.metadata?.annotations?.[REVISION];
  const ref: ObjectRef = { kind: 'ReplicaSet', resource: 'replicasets.apps', namespace, name: `(revision ${revision ?? '?'} of ${name})` };
  const caughtUp = (target.status?.observedGeneration ?? 0) >= (target.metadata?.generation ?? 0);
  if (revision !== undefined && caughtUp) {
    const raw = await call(kube.cluster, 'list', ref, () => kube.replicasets.list({ namespace, labelSelector: labelSelector(target.spec?.selector.matchLabels ?? {}) }));
    const list = replicaSetList.safeParse(raw);
    if (!list.success) throw new KubernetesApiError(kube.cluster, 'Invalid', `ReplicaSets of Deployment ${namespace}/${name} have an unexpected shape (${list.error.message})`, true);
    const current = list.data.items.find((rs) => rs.metadata.annotations?.[REVISION] === revision
      && rs.metadata.ownerReferences?.some((o) => o.controller && o.uid === target.metadata?.uid));
    const hash = current?.metadata.labels?.[HASH_LABEL];
    if (hash) return hash;
  }
  throw new KubernetesApiError(kube.cluster, 'Conflict', `Deployment ${namespace}/${name} has no ReplicaSet for its current revision yet (the deployment controller has not caught up); will retry`, false);
}

const serviceRef = (namespace: string, name: string, fix?: string): ObjectRef =>
  ({ kind: 'Service', resource: 'services', namespace, name, ...(fix ? { fix } : {}) });

/**
 * Narrows the stable Service's selector to revision `hash` (idempotent; re-points after a promotion).
 * A Service without a selector has its endpoints managed by hand: there is nothing to narrow.
 */
export async function narrowService(kube: KubeClients, { id, spec }: RolloutRef, hash: string): Promise<void> {
  const name = spec.trafficRouting.stableService;
  const ref = serviceRef(spec.namespace, name, 'create it or set spec.trafficRouting.stableService');
  await retryOnConflict(kube.cluster, ref, async () => {
    const svc = await call(kube.cluster, 'get', ref, () => kube.services.read({ name, namespace: spec.namespace }));
    const selector = svc.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) return;
    const next = narrowed(selector, svc.metadata?.annotations, id, (original) => ({ ...original, [HASH_LABEL]: hash }));
    if (sameLabels(next.labels, selector) && sameLabels(next.annotations, svc.metadata?.annotations)) return;
    await replaceService(kube, ref, svc, next.labels, next.annotations);
  });
}

/** Puts the stable Service's selector back as it was; idempotent, a missing Service is nothing to undo. */
export async function restoreService(kube: KubeClients, { spec }: RolloutRef): Promise<void> {
  const name = spec.trafficRouting.stableService;
  const ref = serviceRef(spec.namespace, name);
  await retryOnConflict(kube.cluster, ref, async () => {
    const svc = await callOptional(kube.cluster, 'get', ref, () => kube.services.read({ name, namespace: spec.namespace }));
    const back = svc && restored(svc.spec?.selector ?? null, svc.metadata?.annotations);
    if (!svc || !back) return;
    await replaceService(kube, ref, svc, back.labels, back.annotations);
  });
}

/** Whether the stable Service is narrowed now; undefined when it does not exist. */
export async function serviceNarrowed(kube: KubeClients, { spec }: RolloutRef): Promise<boolean | undefined> {
  const name = spec.trafficRouting.stableService;
  const svc = await callOptional(kube.cluster, 'get', serviceRef(spec.namespace, name), () => kube.services.read({ name, namespace: spec.namespace }));
  return svc && isNarrowed(svc.metadata?.annotations);
}

/** Selector and annotations in one write, with the resourceVersion read: the crash-safety rests on it. */
function replaceService(kube: KubeClients, ref: ObjectRef, svc: V1Service, selector: Labels, annotations: Annotations | undefined) {
  const { annotations: _a, ...meta } = svc.metadata ?? {};
  const body: V1Service = { ...svc, metadata: { ...meta, ...(annotations ? { annotations } : {}) }, spec: { ...svc.spec, selector } };
  return call(kube.cluster, 'update', ref, () => kube.services.replace({ name: ref.name, namespace: ref.namespace, body }));
}

const sameLabels = (a: Labels | undefined, b: Labels | undefined): boolean => JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b ?? {}).sort());
