/**
 * Gateway API: the user's HTTPRoute splits each rule that reaches the stable Service between it and the
 * canary Service by backendRef weights. A backendRef without `weight` counts as 1 (spec default), so the
 * engine always writes both weights explicitly and reads percentages as canary / (stable + canary).
 * The stable Service's selector is narrowed to the target's current ReplicaSet while the rollout runs
 * (stable-selection.ts), so the stable share never reaches canary pods.
 */
import { z } from 'zod';
import type { RolloutSpec } from '../../domain/spec.js';
import { deleteCanaryService, ensureCanaryService, foreignCanaryService } from './canary-service.js';
import type { KubeClients } from './client.js';
import { call, retryOnConflict, type ObjectRef } from './errors.js';
import { narrowService, restoreService, serviceNarrowed } from './stable-selection.js';
import { parseObject, sameJson, unlessAbsent, type TrafficProvider } from './traffic.js';

const GROUP = 'gateway.networking.k8s.io';
const VERSION = 'v1';

const backendRef = z.looseObject({
  name: z.string(), kind: z.string().optional(), group: z.string().optional(), namespace: z.string().optional(), weight: z.number().optional(),
});
const rule = z.looseObject({ backendRefs: z.array(backendRef).optional() });
const httpRoute = z.looseObject({ metadata: z.looseObject({ resourceVersion: z.string().optional() }), spec: z.looseObject({ rules: z.array(rule).optional() }) });
export type Rule = z.infer<typeof rule>;
type BackendRef = z.infer<typeof backendRef>;

/** A core Service in the route's own namespace (kind and group default to Service / ""). */
const isService = (ref: BackendRef, name: string, namespace: string) =>
  ref.name === name && (ref.kind ?? 'Service') === 'Service' && (ref.group ?? '') === '' && (ref.namespace ?? namespace) === namespace;

const stableOf = (r: Rule, spec: RolloutSpec) => r.backendRefs?.find((b) => isService(b, spec.trafficRouting.stableService, spec.namespace));
const canaryOf = (r: Rule, spec: RolloutSpec) => r.backendRefs?.find((b) => isService(b, spec.trafficRouting.canaryService, spec.namespace));

/**
 * Rules that reach the stable Service get exactly two backendRefs, stable at 100-w and canary at w; the
 * canary copies the stable ref (port, filters). Rules for other backends are left alone (pure).
 */
export function withCanaryWeight(rules: Rule[], spec: RolloutSpec, weight: number): Rule[] {
  return rules.map((r) => {
    const stable = stableOf(r, spec);
    if (!stable) return r;
    return { ...r, backendRefs: [{ ...stable, weight: 100 - weight }, { ...stable, name: spec.trafficRouting.canaryService, weight }] };
  });
}

/** Rules back to the stable Service alone, as before the rollout (pure). */
export function withoutCanary(rules: Rule[], spec: RolloutSpec): Rule[] {
  return rules.map((r) => {
    const stable = stableOf(r, spec);
    return stable ? { ...r, backendRefs: [{ ...stable, weight: 100 }] } : r;
  });
}

/** Canary percentage of the first rule that reaches the stable Service (pure). */
export function canaryWeightOfRules(rules: Rule[], spec: RolloutSpec): number | undefined {
  const r = rules.find((x) => stableOf(x, spec));
  if (!r) return undefined;
  const canary = canaryOf(r, spec);
  if (!canary) return 0;
  const c = canary.weight ?? 1;
  const total = (stableOf(r, spec)?.weight ?? 1) + c;
  return total === 0 ? 0 : Math.round((100 * c) / total);
}

export function gatewayApiTraffic(kube: KubeClients): TrafficProvider {
  const { cluster } = kube;
  const ref = (spec: RolloutSpec): ObjectRef => ({
    kind: 'HTTPRoute', resource: `httproutes.${GROUP}`, namespace: spec.namespace, name: spec.trafficRouting.routeObject,
    fix: 'create it or set spec.trafficRouting.gatewayApi.httpRoute',
  });
  const api = (spec: RolloutSpec) => ({ group: GROUP, version: VERSION, namespace: spec.namespace, plural: 'httproutes', name: spec.trafficRouting.routeObject });
  const read = async (spec: RolloutSpec) => parseObject(cluster, httpRoute,
    await call(cluster, 'get', ref(spec), () => kube.custom.read(api(spec))),
    `HTTPRoute ${spec.namespace}/${spec.trafficRouting.routeObject}`);

  const rewrite = (spec: RolloutSpec, change: (rules: Rule[]) => Rule[]) => retryOnConflict(cluster, ref(spec), async () => {
    const route = await read(spec);
    const rules = change(route.spec.rules ?? []);
    if (sameJson(rules, route.spec.rules)) return;
    const body = { ...route, spec: { ...route.spec, rules } };
    await call(cluster, 'update', ref(spec), () => kube.custom.replace({ ...api(spec), body }));
  });

  return {
    narrowStable: (rollout, hash) => narrowService(kube, rollout, hash),
    async setCanaryWeight(rollout, weight) {
      const { spec } = rollout;
      await read(spec); // fail on a missing route before creating the canary Service
      if (weight === 0) {
        // Back to stable needs no canary Service (a user's may hold its name): zero an existing canary
        // backendRef, add none.
        await rewrite(spec, (rules) => (rules.some((r) => canaryOf(r, spec)) ? withCanaryWeight(rules, spec, 0) : rules));
        return;
      }
      await ensureCanaryService(kube, rollout); // a backendRef to a missing Service would fail its requests
      await rewrite(spec, (rules) => withCanaryWeight(rules, spec, weight));
    },
    async read(rollout) {
      const { spec } = rollout;
      const [route, foreignService, narrowed] = await Promise.all([
        unlessAbsent(() => read(spec)), foreignCanaryService(kube, rollout), serviceNarrowed(kube, rollout),
      ]);
      return {
        weight: route ? canaryWeightOfRules(route.spec.rules ?? [], spec) : undefined,
        missing: [...(route ? [] : [`HTTPRoute ${spec.namespace}/${spec.trafficRouting.routeObject}`]),
          ...(narrowed === undefined ? [`Service ${spec.namespace}/${spec.trafficRouting.stableService}`] : [])],
        foreign: foreignService ? [foreignService] : [],
        narrowed: narrowed ?? false,
      };
    },
    async release(rollout) {
      // No route (or no CRD), no traffic to the canary Service: safe to delete it.
      await unlessAbsent(() => rewrite(rollout.spec, (rules) => withoutCanary(rules, rollout.spec)));
      await deleteCanaryService(kube, rollout);
    },
    restoreStable: (rollout) => restoreService(kube, rollout),
  };
}
