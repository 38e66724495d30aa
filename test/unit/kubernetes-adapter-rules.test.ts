/**
 * The Kubernetes adapter's pure parts (no network): error translation, conflict retries, crash signals,
 * readiness, and each provider's rewrite of its traffic object. Pure, so they could live in test/unit.
 */
import { ApiException, type V1Deployment, type V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { retryOnConflict, translate } from '../../lib/adapters/kubernetes/errors.js';
import { canaryWeightOfRules, withCanaryWeight as gatewayWeight } from '../../lib/adapters/kubernetes/gateway-api.js';
import { canaryWeightOf, withCanaryWeight as istioWeight, withSubsets } from '../../lib/adapters/kubernetes/istio.js';
import { canaryWeightOfIngress } from '../../lib/adapters/kubernetes/nginx.js';
import { connect } from '../../lib/adapters/kubernetes/client.js';
import { clusterConfigSchema, createClusterRegistry } from '../../lib/adapters/kubernetes/registry.js';
import { canaryAvailable, crashSignalOf, rolloutComplete } from '../../lib/adapters/kubernetes/workload.js';
import { specFor } from '../integration/kubernetes-adapter/seed.js';

const vsRef = { kind: 'VirtualService', resource: 'virtualservices.networking.istio.io', namespace: 'production', name: 'myapp', fix: 'create it or set spec.trafficRouting.istio.virtualService' };
const apiError = (code: number, body: unknown) => new ApiException(code, 'failed', body, {});

describe('translate', () => {
  it.each([
    [404, { reason: 'NotFound', details: { name: 'myapp', kind: 'virtualservices' } }, 'NotFound', true, 'VirtualService production/myapp not found: create it or set spec.trafficRouting.istio.virtualService'],
    [404, { reason: 'NotFound', message: 'the server could not find the requested resource', details: {} }, 'CrdMissing', true, 'virtualservices.networking.istio.io is not served by the apiserver: install the VirtualService CRD'],
    [403, { reason: 'Forbidden' }, 'Forbidden', true, `forbidden: the engine's ClusterRole lacks "patch" on virtualservices.networking.istio.io`],
    [422, { reason: 'Invalid', message: 'spec.http: bad' }, 'Invalid', true, '(apiserver: spec.http: bad)'],
    [503, 'unavailable', 'Unavailable', false, 'apiserver answered 503'],
    [429, {}, 'Unavailable', false, 'answered 429'],
  ])('HTTP %i → %s', (code, body, failure, permanent, message) => {
    const err = translate('east', 'patch', vsRef, apiError(code, body));
    expect(err).toMatchObject({ failure, permanent, transient: !permanent, code: 'DependencyFailed' });
    expect(err.message).toContain(message);
    expect(err.message).toContain('kubernetes cluster "east"');
  });

  it('reads the Status from the raw JSON text client-node passes for codes it has no model for', () => {
    const text = JSON.stringify({ kind: 'Status', reason: 'NotFound', details: { name: 'myapp', kind: 'virtualservices' }, code: 404 });
    expect(translate('east', 'get', vsRef, apiError(404, text)).failure).toBe('NotFound');
    expect(translate('east', 'get', vsRef, apiError(404, '404 page not found')).failure).toBe('CrdMissing');
  });

  it('a network failure is transient and keeps the cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = translate('east', 'get', vsRef, new TypeError('fetch failed', { cause }));
    expect(err).toMatchObject({ failure: 'Unavailable', permanent: false });
    expect(err.message).toContain('ECONNREFUSED');
  });
});

describe('retryOnConflict', () => {
  it('re-runs the read-modify-write on 409 and gives up after 5 tries as a transient error', async () => {
    let calls = 0;
    await expect(retryOnConflict('east', vsRef, async () => { calls++; if (calls < 3) throw apiError(409, {}); return 'ok'; })).resolves.toBe('ok');
    calls = 0;
    await expect(retryOnConflict('east', vsRef, async () => { calls++; throw apiError(409, {}); })).rejects.toMatchObject({ failure: 'Conflict', permanent: false });
    expect(calls).toBe(5);
  });
});

const deployment = (spec: V1Deployment['spec'], status: V1Deployment['status'], generation = 2): V1Deployment =>
  ({ metadata: { name: 'web-canary', generation }, ...(spec ? { spec } : {}), ...(status ? { status } : {}) });
const podSpec = { selector: {}, template: {} };
const pod = (name: string, statuses: NonNullable<V1Pod['status']>['containerStatuses'], deleting = false): V1Pod =>
  ({ metadata: { name, ...(deleting ? { deletionTimestamp: new Date() } : {}) }, status: { containerStatuses: statuses } });
const container = (over: Partial<NonNullable<NonNullable<V1Pod['status']>['containerStatuses']>[number]>) =>
  ({ name: 'app', image: 'x', imageID: '', ready: false, restartCount: 0, ...over });

describe('crashSignalOf', () => {
  const d = deployment({ ...podSpec, replicas: 1 }, {});
  it.each([
    ['CrashLoopBackOff', [pod('p1', [container({ restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } } })])], { pod: 'p1', reason: 'CrashLoopBackOff', restarts: 1 }],
    ['OOMKilled', [pod('p2', [container({ restartCount: 1, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } })])], { pod: 'p2', reason: 'OOMKilled', restarts: 1 }],
    ['3 restarts', [pod('p3', [container({ restartCount: 3, ready: true, state: { running: {} } })])], { pod: 'p3', reason: 'Restarts', restarts: 3 }],
    ['a bad image', [pod('p4', [container({ state: { waiting: { reason: 'ImagePullBackOff' } } })])], { pod: 'p4', reason: 'ImagePullBackOff', restarts: 0 }],
    ['2 restarts', [pod('p5', [container({ restartCount: 2 })])], undefined],
    ['a terminating crashed pod', [pod('p6', [container({ restartCount: 9 })], true)], undefined],
  ])('%s', (_name, pods, expected) => {
    expect(crashSignalOf(d, pods)).toEqual(expected);
  });

  it('reports the progress deadline when no pod says more', () => {
    const stuck = deployment(podSpec, { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] });
    expect(crashSignalOf(stuck, [])).toEqual({ pod: 'web-canary', reason: 'ProgressDeadlineExceeded', restarts: 0 });
  });
});

describe('readiness', () => {
  it('canary: all desired replicas updated and available at the current generation', () => {
    expect(canaryAvailable(deployment({ ...podSpec, replicas: 2 }, { observedGeneration: 2, updatedReplicas: 2, availableReplicas: 2 }))).toBe(true);
    expect(canaryAvailable(deployment({ ...podSpec, replicas: 2 }, { observedGeneration: 1, updatedReplicas: 2, availableReplicas: 2 }))).toBe(false);
    expect(canaryAvailable(deployment({ ...podSpec, replicas: 2 }, { observedGeneration: 2, updatedReplicas: 2, availableReplicas: 1 }))).toBe(false);
  });
  it('stable: no old replicas left', () => {
    expect(rolloutComplete(deployment({ ...podSpec, replicas: 2 }, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }))).toBe(true);
    expect(rolloutComplete(deployment({ ...podSpec, replicas: 2 }, { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 3 }))).toBe(false);
  });
});

describe('Istio rewrite', () => {
  const spec = specFor('ns', 'istio', { trafficRouting: { istio: { routes: ['main'] }, match: { cookie: 'canary' } } });
  const http = [
    { name: 'main', route: [{ destination: { host: 'web.ns.svc.cluster.local', port: { number: 80 } } }] },
    { name: 'admin', route: [{ destination: { host: 'admin' } }] },
  ];
  it('weights only the named routes, keeps the FQDN host and port, and puts the cookie route first', () => {
    const out = istioWeight(http, spec, 20);
    expect(out.map((r) => r.name)).toEqual(['codedance-canary-match', 'main', 'admin']);
    expect(out[0]?.match).toEqual([{ headers: { cookie: { regex: '^(.*?;\\s*)?(canary=always)(;.*)?$' } } }]);
    expect(out[1]?.route).toEqual([
      { destination: { host: 'web.ns.svc.cluster.local', port: { number: 80 }, subset: 'stable' }, weight: 80 },
      { destination: { host: 'web.ns.svc.cluster.local', port: { number: 80 }, subset: 'canary' }, weight: 20 },
    ]);
    expect(out[2]).toEqual(http[1]);
    expect(canaryWeightOf(out, spec)).toBe(20);
    expect(istioWeight(out, spec, 0).map((r) => r.name)).toEqual(['main', 'admin']);
    expect(canaryWeightOf(http, spec)).toBe(0);
  });
  it('keeps other subsets and their fields', () => {
    const out = withSubsets([{ name: 'legacy', labels: { v: '0' } }, { name: 'canary', labels: { old: 'x' }, trafficPolicy: {} }], { stable: { app: 'web' }, canary: { app: 'web', version: 'canary' } });
    expect(out).toEqual([{ name: 'legacy', labels: { v: '0' } }, { name: 'canary', labels: { app: 'web', version: 'canary' }, trafficPolicy: {} }, { name: 'stable', labels: { app: 'web' } }]);
  });
});

describe('Gateway API rewrite', () => {
  const spec = specFor('ns', 'gatewayApi');
  it('splits rules that reach the stable Service and reads unweighted refs as weight 1', () => {
    const rules = [{ backendRefs: [{ name: 'web', port: 80 }] }, { backendRefs: [{ name: 'other' }] }];
    const out = gatewayWeight(rules, spec, 10);
    expect(out).toEqual([{ backendRefs: [{ name: 'web', port: 80, weight: 90 }, { name: 'web-canary', port: 80, weight: 10 }] }, rules[1]]);
    expect(canaryWeightOfRules(out, spec)).toBe(10);
    expect(canaryWeightOfRules([{ backendRefs: [{ name: 'web' }, { name: 'web-canary' }] }], spec)).toBe(50);
    expect(canaryWeightOfRules(rules, spec)).toBe(0);
    expect(canaryWeightOfRules([{ backendRefs: [{ name: 'other' }] }], spec)).toBeUndefined();
  });
});

describe('nginx read-back', () => {
  it('no canary Ingress means 0', () => {
    expect(canaryWeightOfIngress(undefined)).toBe(0);
    expect(canaryWeightOfIngress({ metadata: { annotations: { 'nginx.ingress.kubernetes.io/canary': 'true', 'nginx.ingress.kubernetes.io/canary-weight': '35' } } })).toBe(35);
  });
});

describe('clusterConfigSchema', () => {
  it('accepts each auth mode and rejects a token mode with both token and tokenSecret', () => {
    expect(clusterConfigSchema.safeParse({ name: 'east', kubeconfig: { path: '/k', context: 'c' } }).success).toBe(true);
    expect(clusterConfigSchema.safeParse({ name: 'east', token: { server: 'https://k:6443', tokenSecret: '/codedance/east' } }).success).toBe(true);
    expect(clusterConfigSchema.safeParse({ name: 'prod', eks: { clusterName: 'prod', region: 'eu-west-1', server: 'https://x.eks.amazonaws.com', caData: 'LS0t' } }).success).toBe(true);
    expect(clusterConfigSchema.safeParse({ name: 'east', token: { server: 'https://k', token: 'a', tokenSecret: 'b' } }).success).toBe(false);
    expect(clusterConfigSchema.safeParse({ name: 'east' }).success).toBe(false);
  });
});

describe('client and registry', () => {
  it('EKS mode puts a fresh k8s-aws-v1 token on every request', async () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' });
      const conn = await connect({ eks: { clusterName: 'prod', region: 'eu-west-1', server: 'https://x.eks.amazonaws.com', caData: 'LS0t' } });
      const headers = async () => (await conn.requestOptions()).headers as Record<string, unknown>;
      const [first, second] = [await headers(), await headers()];
      expect(String(first.authorization)).toMatch(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/);
      expect(second.authorization).toBeDefined();
    } finally {
      process.env = saved;
    }
  });

  it('builds clusters lazily, caches them and names the known clusters for an unknown one', () => {
    let resolved = 0;
    const registry = createClusterRegistry([{ name: 'east', token: { server: 'https://east:6443', tokenSecret: 's' } }, { name: 'west', kubeconfig: { path: '/nope' } }], async () => { resolved++; return 't'; });
    expect(registry.get('east')).toBe(registry.get('east'));
    expect(resolved).toBe(0);
    expect(() => registry.get('north')).toThrow(expect.objectContaining({ code: 'UnknownCluster', details: [{ path: 'spec.cluster', message: 'must be one of: east, west' }] }));
  });
});
