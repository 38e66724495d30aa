/**
 * Istio: weights live in the user's VirtualService (stable/canary subsets of the stable host), the subsets
 * in a DestinationRule the engine keeps in step with the pod labels. The engine never deletes either:
 * they belong to the user, so the end state is "100 % stable", not "gone".
 */
import { z } from 'zod';
import type { RolloutSpec } from '../../domain/spec.js';
import type { KubeClients } from './client.js';
import { call, callOptional, retryOnConflict, type ObjectRef } from './errors.js';
import { MANAGED_LABELS, parseObject, sameJson, type TrafficProvider } from './traffic.js';
import { canaryMatchLabels, readTarget, stableMatchLabels } from './workload.js';

const GROUP = 'networking.istio.io';
/** v1beta1 is served by every Istio since 1.5 and still by the newest; v1 only since 1.22. */
const VERSION = 'v1beta1';
/** The header/cookie route the engine puts first while the rollout is active. */
export const MATCH_ROUTE = 'codedance-canary-match';

const meta = z.looseObject({ resourceVersion: z.string().optional() });
const destination = z.looseObject({ destination: z.looseObject({ host: z.string(), subset: z.string().optional() }), weight: z.number().optional() });
const httpRoute = z.looseObject({ name: z.string().optional(), match: z.array(z.unknown()).optional(), route: z.array(destination).optional() });
const virtualService = z.looseObject({ metadata: meta, spec: z.looseObject({ http: z.array(httpRoute).optional() }) });
const subset = z.looseObject({ name: z.string(), labels: z.record(z.string(), z.string()).optional() });
const destinationRule = z.looseObject({ metadata: meta, spec: z.looseObject({ host: z.string(), subsets: z.array(subset).optional() }) });
export type HttpRoute = z.infer<typeof httpRoute>;
type Destination = z.infer<typeof destination>;
type Subset = z.infer<typeof subset>;

const isStableHost = (host: string, stable: string) => host === stable || host.startsWith(`${stable}.`);
const weighted = (r: HttpRoute, spec: RolloutSpec) => r.name !== MATCH_ROUTE
  && (spec.trafficRouting.routes.length === 0 || (r.name !== undefined && spec.trafficRouting.routes.includes(r.name)));

/** Exactly two destinations, built from the route's own stable destination so port and headers survive. */
function split(route: HttpRoute, stableService: string, weight: number): [Destination, Destination] {
  const template = route.route?.find((d) => isStableHost(d.destination.host, stableService)) ?? route.route?.[0];
  const host = template && isStableHost(template.destination.host, stableService) ? template.destination.host : stableService;
  const base: Destination = template ?? { destination: { host } };
  return [
    { ...base, destination: { ...base.destination, host, subset: 'stable' }, weight: 100 - weight },
    { ...base, destination: { ...base.destination, host, subset: 'canary' }, weight },
  ];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Requests carrying the header (value, default "always") or cookie go to the canary regardless of weight. */
function matchRoute(first: HttpRoute, spec: RolloutSpec): HttpRoute | undefined {
  const m = spec.trafficRouting.match;
  const value = m?.value ?? 'always';
  const conditions = [
    ...(m?.header ? [{ headers: { [m.header.toLowerCase()]: { exact: value } } }] : []),
    ...(m?.cookie ? [{ headers: { cookie: { regex: `^(.*?;\\s*)?(${escape(m.cookie)}=${escape(value)})(;.*)?$` } } }] : []),
  ];
  if (conditions.length === 0) return undefined;
  const { name: _name, match: _match, route: _route, ...rest } = first;
  const canary = split(first, spec.trafficRouting.stableService, 100)[1];
  return { ...rest, name: MATCH_ROUTE, match: conditions, route: [canary] };
}

/** The VirtualService's http routes with the canary at `weight` (pure). */
export function withCanaryWeight(http: HttpRoute[], spec: RolloutSpec, weight: number): HttpRoute[] {
  const routes = http.filter((r) => r.name !== MATCH_ROUTE)
    .map((r) => (weighted(r, spec) ? { ...r, route: split(r, spec.trafficRouting.stableService, weight) } : r));
  const first = routes.find((r) => weighted(r, spec));
  const match = weight > 0 && first ? matchRoute(first, spec) : undefined;
  return match ? [match, ...routes] : routes;
}

/** Canary weight of the first weighted route; 0 when it has no canary destination yet (pure). */
export function canaryWeightOf(http: HttpRoute[], spec: RolloutSpec): number | undefined {
  const route = http.find((r) => weighted(r, spec));
  if (!route?.route?.length) return undefined;
  const canary = route.route.find((d) => d.destination.subset === 'canary' && isStableHost(d.destination.host, spec.trafficRouting.stableService));
  if (!canary) return 0;
  return canary.weight ?? (route.route.length === 1 ? 100 : 0); // Istio: a lone destination without weight gets 100
}

/** Subsets `stable` and `canary` with the given labels; other subsets and fields untouched (pure). */
export function withSubsets(subsets: Subset[], labels: { stable: Record<string, string>; canary: Record<string, string> }): Subset[] {
  const want = (name: string) => (name === 'stable' ? labels.stable : name === 'canary' ? labels.canary : undefined);
  const out = subsets.map((s) => { const l = want(s.name); return l ? { ...s, labels: l } : s; });
  for (const name of ['stable', 'canary']) if (!out.some((s) => s.name === name)) out.push({ name, labels: want(name) ?? {} });
  return out;
}

export function istioTraffic(kube: KubeClients): TrafficProvider {
  const { cluster } = kube;
  const vsRef = (spec: RolloutSpec): ObjectRef => ({ kind: 'VirtualService', resource: `virtualservices.${GROUP}`, namespace: spec.namespace, name: spec.trafficRouting.routeObject, fix: 'create it or set spec.trafficRouting.istio.virtualService' });
  const drRef = (spec: RolloutSpec): ObjectRef => ({ kind: 'DestinationRule', resource: `destinationrules.${GROUP}`, namespace: spec.namespace, name: spec.trafficRouting.destinationRule });
  const api = (spec: RolloutSpec, plural: string, name: string) => ({ group: GROUP, version: VERSION, namespace: spec.namespace, plural, name });

  const readVs = async (spec: RolloutSpec) => parseObject(cluster, virtualService,
    await call(cluster, 'get', vsRef(spec), () => kube.custom.read(api(spec, 'virtualservices', spec.trafficRouting.routeObject))),
    `VirtualService ${spec.namespace}/${spec.trafficRouting.routeObject}`);

  /** Subsets first: a route naming a subset the DestinationRule lacks makes Envoy answer 503. */
  async function ensureSubsets(spec: RolloutSpec): Promise<void> {
    const target = await readTarget(kube, spec);
    const labels = { stable: stableMatchLabels(target), canary: canaryMatchLabels(target) };
    const ref = drRef(spec);
    await retryOnConflict(cluster, ref, async () => {
      const raw = await callOptional(cluster, 'get', ref, () => kube.custom.read(api(spec, 'destinationrules', ref.name)));
      if (raw === undefined) {
        const body = { apiVersion: `${GROUP}/${VERSION}`, kind: 'DestinationRule', metadata: { name: ref.name, namespace: spec.namespace, labels: MANAGED_LABELS }, spec: { host: spec.trafficRouting.stableService, subsets: withSubsets([], labels) } };
        await call(cluster, 'create', ref, () => kube.custom.create({ ...api(spec, 'destinationrules', ref.name), body }));
        return;
      }
      const dr = parseObject(cluster, destinationRule, raw, `DestinationRule ${spec.namespace}/${ref.name}`);
      const subsets = withSubsets(dr.spec.subsets ?? [], labels);
      if (sameJson(subsets, dr.spec.subsets)) return;
      const body = { ...dr, spec: { ...dr.spec, subsets } };
      await call(cluster, 'update', ref, () => kube.custom.replace({ ...api(spec, 'destinationrules', ref.name), body }));
    });
  }

  async function setCanaryWeight(spec: RolloutSpec, weight: number): Promise<void> {
    await readVs(spec); // a missing VirtualService fails before anything is written
    await ensureSubsets(spec);
    await retryOnConflict(cluster, vsRef(spec), async () => {
      const vs = await readVs(spec);
      const http = withCanaryWeight(vs.spec.http ?? [], spec, weight);
      if (sameJson(http, vs.spec.http)) return;
      const body = { ...vs, spec: { ...vs.spec, http } };
      await call(cluster, 'update', vsRef(spec), () => kube.custom.replace({ ...api(spec, 'virtualservices', spec.trafficRouting.routeObject), body }));
    });
  }

  return {
    setCanaryWeight,
    readCanaryWeight: async (spec) => canaryWeightOf((await readVs(spec)).spec.http ?? [], spec),
    release: (spec) => setCanaryWeight(spec, 0),
  };
}
