/**
 * ingress-nginx: the user's Ingress stays untouched; a second Ingress `<ingress>-canary` with the same
 * hosts/paths, pointing at the canary Service, carries the canary annotations ingress-nginx reads.
 *
 * Lifecycle: at weight 0 the canary Ingress stays, with weight "0" and no header/cookie match, so a repeated
 * tick is a no-op. deleteCanary (via release) removes it together with the canary Service: both exist only
 * for the canary pods, and without them no request can reach a Deployment that is going away.
 */
import type { V1HTTPIngressPath, V1Ingress, V1IngressBackend } from '@kubernetes/client-node';
import type { RolloutSpec } from '../../domain/spec.js';
import { deleteCanaryService, ensureCanaryService } from './canary-service.js';
import type { KubeClients } from './client.js';
import { call, callOptional, isConflict, readExisting, retryOnConflict, translate, type ObjectRef } from './errors.js';
import { MANAGED_LABELS, sameJson, type TrafficProvider } from './traffic.js';

const A = 'nginx.ingress.kubernetes.io/';
/** Annotations of the stable Ingress worth copying: the class decides which controller serves the copy. */
const COPIED = ['kubernetes.io/ingress.class'];

export const canaryIngressName = (spec: RolloutSpec): string => `${spec.trafficRouting.routeObject}-canary`;

/** The canary Ingress (pure): only paths that reach the stable Service, re-pointed at the canary Service. */
export function canaryIngressFrom(stable: V1Ingress, spec: RolloutSpec, weight: number): V1Ingress {
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
      annotations: { ...copied, [`${A}canary`]: 'true', [`${A}canary-weight`]: String(weight), ...byMatch, 'codedance.io/rollout': spec.name },
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
  const read = (spec: RolloutSpec, ref: ObjectRef) => kube.ingresses.read({ name: ref.name, namespace: spec.namespace });
  const readStable = (spec: RolloutSpec) => call(cluster, 'get', stableRef(spec), () => read(spec, stableRef(spec)));

  return {
    async setCanaryWeight(spec, weight) {
      const stable = await readStable(spec);
      await ensureCanaryService(kube, spec);
      const desired = canaryIngressFrom(stable, spec, weight);
      const ref = ingressRef(spec, canaryIngressName(spec));
      try {
        await kube.ingresses.create({ namespace: spec.namespace, body: desired });
        return;
      } catch (err) {
        if (!isConflict(err)) throw translate(cluster, 'create', ref, err);
      }
      await retryOnConflict(cluster, ref, async () => {
        const existing = await readExisting(cluster, ref, () => read(spec, ref));
        if (sameJson(existing.metadata?.annotations, desired.metadata?.annotations) && sameJson(existing.spec, desired.spec)) return;
        const body: V1Ingress = { ...desired, metadata: { ...desired.metadata, resourceVersion: existing.metadata?.resourceVersion } };
        await call(cluster, 'update', ref, () => kube.ingresses.replace({ name: ref.name, namespace: spec.namespace, body }));
      });
    },

    async readCanaryWeight(spec) {
      await readStable(spec); // a missing user Ingress is the fault to report, not "0 %"
      const ref = ingressRef(spec, canaryIngressName(spec));
      return canaryWeightOfIngress(await callOptional(cluster, 'get', ref, () => read(spec, ref)));
    },

    async release(spec) {
      const ref = ingressRef(spec, canaryIngressName(spec));
      await callOptional(cluster, 'delete', ref, () => kube.ingresses.delete({ name: ref.name, namespace: spec.namespace }));
      await deleteCanaryService(kube, spec);
    },
  };
}
