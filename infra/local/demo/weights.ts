/**
 * LOCAL DEMO ONLY — how the demo's stand-in data plane reads the canary share out of the traffic objects the
 * engine writes, the way Envoy (Istio, Gateway API) or ingress-nginx would interpret them. Pure functions
 * over the objects as read from the apiserver, validated with zod (they are external data).
 * Every function returns the canary's percentage of traffic, 0–100; "no canary route" means 0.
 */
import { z } from 'zod';

export type DemoProvider = 'istio' | 'nginx' | 'gatewayApi';

/** The engine puts this header/cookie route first while a rollout is active; weights live in the next one. */
const ISTIO_MATCH_ROUTE = 'codedance-canary-match';
const NGINX = 'nginx.ingress.kubernetes.io/';

const destination = z.looseObject({
  destination: z.looseObject({ host: z.string(), subset: z.string().optional() }),
  weight: z.number().optional(),
});
const virtualService = z.looseObject({
  spec: z.looseObject({ http: z.array(z.looseObject({ name: z.string().optional(), route: z.array(destination).optional() })).optional() }),
});
const ingress = z.looseObject({ metadata: z.looseObject({ annotations: z.record(z.string(), z.string()).optional() }) });
const backendRef = z.looseObject({
  name: z.string(), kind: z.string().optional(), group: z.string().optional(), namespace: z.string().optional(), weight: z.number().optional(),
});
const httpRoute = z.looseObject({ spec: z.looseObject({ rules: z.array(z.looseObject({ backendRefs: z.array(backendRef).optional() })).optional() }) });

const percent = (canary: number, stable: number) => {
  const total = canary + stable;
  return total <= 0 ? 0 : Math.min(100, Math.max(0, (100 * canary) / total));
};

/** Short name or FQDN (`myapp.production.svc.cluster.local`) of the app's Service, as Istio resolves hosts. */
const isAppHost = (host: string, app: string) => host === app || host.startsWith(`${app}.`);

/**
 * Istio: the first http route (after the engine's match route) that sends to the app's host. Subset
 * `canary` is the canary; any other subset, or none, is stable. A lone destination without weight gets 100.
 */
export function canaryShareOfVirtualService(raw: unknown, app: string): number {
  const http = virtualService.parse(raw).spec.http ?? [];
  const route = http.find((r) => r.name !== ISTIO_MATCH_ROUTE && (r.route ?? []).some((d) => isAppHost(d.destination.host, app)));
  const dests = (route?.route ?? []).filter((d) => isAppHost(d.destination.host, app));
  const weightOf = (d: z.infer<typeof destination>) => d.weight ?? (route?.route?.length === 1 ? 100 : 0);
  const canary = dests.filter((d) => d.destination.subset === 'canary').reduce((n, d) => n + weightOf(d), 0);
  const stable = dests.filter((d) => d.destination.subset !== 'canary').reduce((n, d) => n + weightOf(d), 0);
  return percent(canary, stable);
}

/**
 * ingress-nginx: the canary Ingress `<ingress>-canary`, only when annotated canary: "true"; its weight is
 * out of `canary-weight-total` (default 100). No canary Ingress (undefined) → 0.
 */
export function canaryShareOfIngress(raw: unknown | undefined): number {
  if (raw === undefined) return 0;
  const a = ingress.parse(raw).metadata.annotations ?? {};
  if (a[`${NGINX}canary`] !== 'true') return 0;
  const weight = Number(a[`${NGINX}canary-weight`] ?? '0');
  const total = Number(a[`${NGINX}canary-weight-total`] ?? '100');
  if (!Number.isFinite(weight) || !Number.isFinite(total) || total <= 0) return 0;
  return percent(Math.min(weight, total), total - Math.min(weight, total));
}

/**
 * Gateway API: the first rule with a backendRef to Service `<app>`; Service `<app>-canary` in the same rule
 * is the canary. A backendRef without weight counts 1, as the spec (and our CRD default) says.
 */
export function canaryShareOfHttpRoute(raw: unknown, app: string, namespace: string): number {
  const rules = httpRoute.parse(raw).spec.rules ?? [];
  const isService = (b: z.infer<typeof backendRef>, name: string) =>
    b.name === name && (b.kind ?? 'Service') === 'Service' && (b.group ?? '') === '' && (b.namespace ?? namespace) === namespace;
  const rule = rules.find((r) => (r.backendRefs ?? []).some((b) => isService(b, app)));
  const sum = (name: string) => (rule?.backendRefs ?? []).filter((b) => isService(b, name)).reduce((n, b) => n + (b.weight ?? 1), 0);
  return percent(sum(`${app}-canary`), sum(app));
}
