/**
 * ingress-nginx: the user's Ingress stays untouched; a second Ingress `<ingress>-canary` with the same
 * hosts/paths, pointing at the canary Service, carries the canary annotations ingress-nginx reads.
 * ingress-nginx sends the rest to the stable Service, whose selector is narrowed to the target's current
 * ReplicaSet while the rollout runs (stable-selection.ts): canary pods carry the target's labels too.
 *
 * Lifecycle: at weight 0 the canary Ingress stays, with weight "0" and no header/cookie match, so a repeated
 * tick is a no-op. deleteCanary (via release) removes it together with the canary Service: both exist only
 * for the canary pods, and without them no request can reach a Deployment that is going away. Both carry
 * the rollout's id; an Ingress or Service under those names without one is a user's and is left alone.
 */
import type { V1HTTPIngressPath, V1Ingress, V1IngressBackend } from '@kubernetes/client-node';
import type { RolloutSpec } from '../../domain/spec.js';
import type { RolloutRef } from '../../ports/cluster.js';
import { deleteCanaryService, ensureCanaryService, foreignCanaryService } from './canary-service.js';
import type { KubeClients } from './client.js';
import { call, callOptional, retryOnConflict, type ObjectRef } from './errors.js';
import { deleteIfOurs, foreignError, foreignNote, ownedAnnotations, ownershipOf } from './ownership.js';
import { narrowService, restoreService, serviceNarrowed } from './stable-selection.js';
import { MANAGED_LABELS, sameJson, unlessAbsent, type TrafficProvider } from './traffic.js';

const A = 'nginx.ingress.kubernetes.io/';
/** Annotations of the stable Ingress worth copying: the class decides which controller serves the copy. */
const COPIED = ['kubernetes.io/ingress.class'];

export const canaryIngressName = (spec: RolloutSpec): string => `${spec.trafficRouting.routeObject}-canary`;
const FOREIGN_FIX = 'rename or delete it, or set spec.trafficRouting.nginx.ingress to an Ingress whose "-canary" name is free';

/** The canary Ingress (pure): only paths that reach the stable Service, re-pointed at the canary Service. */
export function canaryIngressFrom(stable: V1Ingress, rollout: RolloutRef, weight: number): V1Ingress {
  const { spec } = rollout;
  const { stableService, canaryService, match } = spec.trafficRouting;
  const toCanary = (b: V1IngressBackend | undefined): V1IngressBackend | undefined =>
    (b?.service?.name === stableService ? { ...b, service: { ...b.service, name: canaryService } } : undefined);
  const rules = (stable.spec?.rules ?? []).flatMap((rule) => {
    const paths = (rule.http?.paths ?? []).flatMap((p): V1HTTPIngressPath[] => { const backend = toCanary(p.backend); return backend ? [{ ...p, backend }] : []; });
    return paths.length ? [{ ...rule, http: { paths } }] : [];
  });
  const defaultBackend = toCanary(stable.spec?.defaultBackend);
  const copied = Object.fromEntries(Object.entries(stable.metadata?.annotations ?? {}).filter(([k]) => COPIED.includes(k)));
  // Header/cookie routing only while the rollout is active, like Istio's match route.
  const byMatch = weight > 0 && match ? {
    ...(match.header ? { [`${A}canary-by-header`]: match.header, ...(match.value ? { [`${A}canary-by-header-value`]: match.value } : {}) } : {}),
    ...(match.cookie ? { [`${A}canary-by-cookie`]: match.cookie } : {}),
  } : {};
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: canaryIngressName(spec),
      namespace: spec.namespace,
      labels: { ...MANAGED_LABELS },
      annotations: { ...copied, [`${A}canary`]: 'true', [`${A}canary-weight`]: String(weight), ...byMatch, ...ownedAnnotations(rollout) },
    },
    spec: {
      ...(stable.spec?.ingressClassName ? { ingressClassName: stable.spec.ingressClassName } : {}),
      ...(defaultBackend ? { defaultBackend } : {}),
      rules,
    },
  };
}

/** Weight the canary Ingress asks ingress-nginx for; no canary Ingress means no canary traffic (pure). */
export function canaryWeightOfIngress(canary: V1Ingress | undefined): number | undefined {
  const annotations = canary?.metadata?.annotations ?? {};
  if (!canary || annotations[`${A}canary`] !== 'true') return 0;
  const weight = Number(annotations[`${A}canary-weight`] ?? '0');
  return Number.isInteger(weight) ? weight : undefined;
}

export function nginxTraffic(kube: KubeClients): TrafficProvider {
  const { cluster } = kube;
  const ingressRef = (spec: RolloutSpec, name: string, fix?: string): ObjectRef =>
    ({ kind: 'Ingress', resource: 'ingresses.networking.k8s.io', namespace: spec.namespace, name, ...(fix ? { fix } : {}) });
  const stableRef = (spec: RolloutSpec) => ingressRef(spec, spec.trafficRouting.routeObject, 'create it or set spec.trafficRouting.nginx.ingress');
  const canaryRef = (spec: RolloutSpec) => ingressRef(spec, canaryIngressName(spec));
  const read = (spec: RolloutSpec, ref: ObjectRef) => () => kube.ingresses.read({ name: ref.name, namespace: spec.namespace });

  return {
    narrowStable: (rollout, hash) => narrowService(kube, rollout, hash),

    async setCanaryWeight(rollout, weight) {
      const { spec } = rollout;
      const stable = await call(cluster, 'get', stableRef(spec), read(spec, stableRef(spec)));
      // Weight 0 needs no canary Service, and no canary Ingress where there is none: back to stable must
      // work even when a user's object holds the canary names (a rollback after a Foreign refusal).
      if (weight > 0) await ensureCanaryService(kube, rollout);
      const desired = canaryIngressFrom(stable, rollout, weight);
      const ref = canaryRef(spec);
      await retryOnConflict(cluster, ref, async () => {
        const existing = await callOptional(cluster, 'get', ref, read(spec, ref));
        if (!existing) {
          if (weight > 0) await call(cluster, 'create', ref, () => kube.ingresses.create({ namespace: spec.namespace, body: desired }));
          return;
        }
        if (ownershipOf(existing, rollout.id) === 'foreign') {
          if (weight > 0) throw foreignError(cluster, ref, FOREIGN_FIX);
          return; // a user's Ingress: left as it is, this rollout routes nothing through it
        }
        // Ours, or a leftover of an earlier rollout: rewritten whole as this rollout's.
        if (sameJson(existing.metadata?.annotations, desired.metadata?.annotations) && sameJson(existing.spec, desired.spec)) return;
        const body: V1Ingress = { ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion } };
        await call(cluster, 'update', ref, () => kube.ingresses.replace({ name: ref.name, namespace: spec.namespace, body }));
      });
    },

    async read(rollout) {
      const { spec } = rollout;
      const [stable, canary, foreignService, narrowed] = await Promise.all([
        unlessAbsent(() => call(cluster, 'get', stableRef(spec), read(spec, stableRef(spec)))),
        callOptional(cluster, 'get', canaryRef(spec), read(spec, canaryRef(spec))),
        foreignCanaryService(kube, rollout),
        serviceNarrowed(kube, rollout),
      ]);
      const foreignIngress = canary && ownershipOf(canary, rollout.id) === 'foreign';
      return {
        // A missing user Ingress routes nothing: that is the fact to report, not "0 %".
        weight: stable ? canaryWeightOfIngress(foreignIngress ? undefined : canary) : undefined,
        missing: [...(stable ? [] : [`Ingress ${spec.namespace}/${spec.trafficRouting.routeObject}`]),
          ...(narrowed === undefined ? [`Service ${spec.namespace}/${spec.trafficRouting.stableService}`] : [])],
        foreign: [...(foreignIngress ? [foreignNote(canaryRef(spec))] : []), ...(foreignService ? [foreignService] : [])],
        narrowed: narrowed ?? false,
      };
    },

    async release(rollout) {
      const { spec } = rollout;
      const ref = canaryRef(spec);
      await deleteIfOurs(kube, rollout, ref, read(spec, ref), (uid) => kube.ingresses.delete({ name: ref.name, namespace: spec.namespace, uid }));
      await deleteCanaryService(kube, rollout);
    },

    restoreStable: (rollout) => restoreService(kube, rollout),
  };
}
