/**
 * Istio: weights live in the user's VirtualService (stable/canary subsets of the stable host), the subsets
 * in a DestinationRule the engine keeps in step with the pod labels (istio-subsets.ts, where the `stable`
 * subset is narrowed to the target's current ReplicaSet for the rollout's duration). The engine never
 * deletes either: they belong to the user, so the end state is "100 % stable", not "gone".
 */
import { z } from 'zod';
import type { RolloutSpec } from '../../domain/spec.js';
import type { RolloutRef } from '../../ports/cluster.js';
import type { KubeClients } from './client.js';
import { call, retryOnConflict, type ObjectRef } from './errors.js';
import { destinationRules, GROUP, VERSION } from './istio-subsets.js';
import { parseObject, sameJson, unlessAbsent, type TrafficProvider } from './traffic.js';
/** The header/cookie route the engine puts first while the rollout is active. */
export const MATCH_ROUTE = 'codedance-canary-match';

const meta = z.looseObject({ resourceVersion: z.string().optional() });
const destination = z.looseObject({ destination: z.looseObject({ host: z.string(), subset: z.string().optional() }), weight: z.number().optional() });
const matchRequest = z.looseObject({ headers: z.record(z.string(), z.unknown()).optional() });
const httpRouteShape = z.looseObject({ name: z.string().optional(), match: z.array(matchRequest).optional(), route: z.array(destination).optional() });
/**
 * A route is validated but kept as read: zod would rebuild it with its keys reordered, and a route that is
 * not the target's must go back to the apiserver byte for byte.
 */
const httpRoute = z.custom<z.infer<typeof httpRouteShape>>().superRefine((value, ctx) => {
  const parsed = httpRouteShape.safeParse(value);
  if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
});
const virtualService = z.looseObject({ metadata: meta, spec: z.looseObject({ http: z.array(httpRoute).optional() }) });
export type HttpRoute = z.infer<typeof httpRoute>;
type Destination = z.infer<typeof destination>;

/**
 * The target's stable Service as Istio resolves a host written in a VirtualService of `namespace`: the short
 * name, or `<service>.<namespace>.svc.<cluster domain>`. A dotted host is taken as fully qualified, so
 * `myapp.staging.svc.cluster.local` or `myapp.example.com` is another service. Without `namespace`, any
 * `<service>.` host counts (the older, looser rule).
 */
const isStableHost = (host: string, stable: string, namespace?: string) =>
  host === stable || host.startsWith(namespace === undefined ? `${stable}.` : `${stable}.${namespace}.svc.`);
const reachesStable = (r: HttpRoute, spec: RolloutSpec) =>
  (r.route ?? []).some((d) => isStableHost(d.destination.host, spec.trafficRouting.stableService, spec.namespace));

/**
 * The routes the engine weights. Routes named in `istio.routes` are the user's explicit choice and are weighted
 * whatever they point at. Without names, only the routes with a destination on the target's stable host: a
 * VirtualService often routes to other services too, and those routes are returned as the same objects.
 */
const weighted = (r: HttpRoute, spec: RolloutSpec) => {
  if (r.name === MATCH_ROUTE) return false;
  const { routes } = spec.trafficRouting;
  return routes.length > 0 ? r.name !== undefined && routes.includes(r.name) : reachesStable(r, spec);
};

/** Exactly two destinations, built from the route's own stable destination so port and headers survive. */
function split(route: HttpRoute, stableService: string, weight: number, namespace?: string): [Destination, Destination] {
  const template = route.route?.find((d) => isStableHost(d.destination.host, stableService, namespace)) ?? route.route?.[0];
  const host = template && isStableHost(template.destination.host, stableService, namespace) ? template.destination.host : stableService;
  const base: Destination = template ?? { destination: { host } };
  return [
    { ...base, destination: { ...base.destination, host, subset: 'stable' }, weight: 100 - weight },
    { ...base, destination: { ...base.destination, host, subset: 'canary' }, weight },
  ];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Requests carrying the header (value, default "always") or cookie go to the canary regardless of weight,
 * but only requests the first weighted route would take: its own match conditions (path, method, ...) are
 * ANDed with the header, so a request for another route's service is never sent to the canary. Istio ORs
 * the entries of `match` and ANDs the fields inside one; on the same header name the engine's condition wins.
 */
function matchRoute(first: HttpRoute, spec: RolloutSpec): HttpRoute | undefined {
  const m = spec.trafficRouting.match;
  const value = m?.value ?? 'always';
  const conditions = [
    ...(m?.header ? [{ headers: { [m.header.toLowerCase()]: { exact: value } } }] : []),
    ...(m?.cookie ? [{ headers: { cookie: { regex: `^(.*?;\\s*)?(${escape(m.cookie)}=${escape(value)})(;.*)?$` } } }] : []),
  ];
  if (conditions.length === 0) return undefined;
  const { name: _name, match: own, route: _route, ...rest } = first;
  const scopes = own?.length ? own : [{}];
  const match = scopes.flatMap((scope) => conditions.map((c) => ({ ...scope, headers: { ...scope.headers, ...c.headers } })));
  const canary = split(first, spec.trafficRouting.stableService, 100, spec.namespace)[1];
  return { ...rest, name: MATCH_ROUTE, match, route: [canary] };
}

/** The VirtualService's http routes with the canary at `weight` (pure). */
export function withCanaryWeight(http: HttpRoute[], spec: RolloutSpec, weight: number): HttpRoute[] {
  const routes = http.filter((r) => r.name !== MATCH_ROUTE)
    .map((r) => (weighted(r, spec) ? { ...r, route: split(r, spec.trafficRouting.stableService, weight, spec.namespace) } : r));
  const first = routes.find((r) => weighted(r, spec));
  const match = weight > 0 && first ? matchRoute(first, spec) : undefined;
  return match ? [match, ...routes] : routes;
}

/** Canary weight of the first route `withCanaryWeight` weights; 0 when it has no canary destination yet (pure). */
export function canaryWeightOf(http: HttpRoute[], spec: RolloutSpec): number | undefined {
  const route = http.find((r) => weighted(r, spec));
  if (!route?.route?.length) return undefined;
  const canary = route.route.find((d) => d.destination.subset === 'canary' && isStableHost(d.destination.host, spec.trafficRouting.stableService, spec.namespace));
  if (!canary) return 0;
  return canary.weight ?? (route.route.length === 1 ? 100 : 0); // Istio: a lone destination without weight gets 100
}

export { withSubsets } from './istio-subsets.js';

export function istioTraffic(kube: KubeClients): TrafficProvider {
  const { cluster } = kube;
  const vsRef = (spec: RolloutSpec): ObjectRef => ({ kind: 'VirtualService', resource: `virtualservices.${GROUP}`, namespace: spec.namespace, name: spec.trafficRouting.routeObject, fix: 'create it or set spec.trafficRouting.istio.virtualService' });
  const api = (spec: RolloutSpec, plural: string, name: string) => ({ group: GROUP, version: VERSION, namespace: spec.namespace, plural, name });
  const subsets = destinationRules(kube);

  const readVs = async (spec: RolloutSpec) => parseObject(cluster, virtualService,
    await call(cluster, 'get', vsRef(spec), () => kube.custom.read(api(spec, 'virtualservices', spec.trafficRouting.routeObject))),
    `VirtualService ${spec.namespace}/${spec.trafficRouting.routeObject}`);

  /** The subsets are in place first (narrowStable runs before every weight change). */
  async function setCanaryWeight({ spec }: RolloutRef, weight: number): Promise<void> {
    await retryOnConflict(cluster, vsRef(spec), async () => {
      const vs = await readVs(spec);
      const http = withCanaryWeight(vs.spec.http ?? [], spec, weight);
      if (sameJson(http, vs.spec.http)) return;
      const body = { ...vs, spec: { ...vs.spec, http } };
      await call(cluster, 'update', vsRef(spec), () => kube.custom.replace({ ...api(spec, 'virtualservices', spec.trafficRouting.routeObject), body }));
    });
  }

  return {
    narrowStable: (rollout, hash) => subsets.narrow(rollout, hash),
    setCanaryWeight,
    async read(rollout) {
      const { spec } = rollout;
      const [vs, narrowed] = await Promise.all([unlessAbsent(() => readVs(spec)), subsets.narrowed(rollout)]);
      return {
        weight: vs ? canaryWeightOf(vs.spec.http ?? [], spec) : undefined,
        missing: vs ? [] : [`VirtualService ${spec.namespace}/${spec.trafficRouting.routeObject}`],
        foreign: [],
        narrowed,
      };
    },
    // The VirtualService is the user's: back to 100 % stable, never deleted. Missing: nothing routes.
    release: async (rollout) => { await unlessAbsent(() => setCanaryWeight(rollout, 0)); },
    restoreStable: (rollout) => subsets.restore(rollout),
  };
}
