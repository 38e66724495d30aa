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
import { narrowedRule, restoredRule } from '../../lib/adapters/kubernetes/istio-subsets.js';
import { foreignError, ownershipOf } from '../../lib/adapters/kubernetes/ownership.js';
import { narrowed, restored } from '../../lib/adapters/kubernetes/stable-selection.js';
import { imageManagerOf, targetFailure, templateHash } from '../../lib/adapters/kubernetes/target-facts.js';
import { canaryFromTarget } from '../../lib/adapters/kubernetes/workload.js';

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
  it('without named routes weights only the routes to the stable host and leaves every other route as it was', () => {
    // Prepare: one VirtualService routing to the target (short name and FQDN) and to two other services
    const mine = specFor('production', 'istio', { trafficRouting: { stableService: 'myapp', match: { header: 'x-canary' } } });
    const other = { match: [{ uri: { prefix: '/other' } }], name: 'other', route: [{ weight: 100, destination: { port: { number: 8080 }, host: 'other-svc' } }], timeout: '5s' };
    const sameNameElsewhere = { name: 'staging', route: [{ destination: { host: 'myapp.staging.svc.cluster.local' } }] };
    const http = [
      other,
      { name: 'api', match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host: 'myapp', port: { number: 80 } } }] },
      sameNameElsewhere,
      { name: 'fqdn', route: [{ destination: { host: 'myapp.production.svc.cluster.local' }, weight: 100 }] },
    ];
    const before = JSON.stringify(http);

    // Act
    const out = istioWeight(http, mine, 30);

    // Assess: the other routes are the same objects, key order included; the target's are split 70/30
    expect(JSON.stringify(http)).toBe(before);
    expect(out.map((r) => r.name)).toEqual(['codedance-canary-match', 'other', 'api', 'staging', 'fqdn']);
    expect(out[1]).toBe(other);
    expect(JSON.stringify(out[1])).toBe(JSON.stringify(JSON.parse(before)[0]));
    expect(out[3]).toBe(sameNameElsewhere);
    expect(out[2]?.route).toEqual([
      { destination: { host: 'myapp', port: { number: 80 }, subset: 'stable' }, weight: 70 },
      { destination: { host: 'myapp', port: { number: 80 }, subset: 'canary' }, weight: 30 },
    ]);
    expect(out[4]?.route).toEqual([
      { destination: { host: 'myapp.production.svc.cluster.local', subset: 'stable' }, weight: 70 },
      { destination: { host: 'myapp.production.svc.cluster.local', subset: 'canary' }, weight: 30 },
    ]);
    expect(canaryWeightOf(out, mine)).toBe(30);
    // the header route is built from the first weighted route only, and keeps its path
    expect(out[0]).toEqual({ name: 'codedance-canary-match', match: [{ uri: { prefix: '/api' }, headers: { 'x-canary': { exact: 'always' } } }], route: [{ destination: { host: 'myapp', port: { number: 80 }, subset: 'canary' }, weight: 100 }] });

    // Act: back to 0 and up again
    const zero = istioWeight(out, mine, 0);
    const again = istioWeight(zero, mine, 30);

    // Assess
    expect(zero.map((r) => r.name)).toEqual(['other', 'api', 'staging', 'fqdn']);
    expect(canaryWeightOf(zero, mine)).toBe(0);
    expect(zero[0]).toBe(other);
    expect(again[1]).toBe(other);
    expect(JSON.stringify(again[1])).toBe(JSON.stringify(JSON.parse(before)[0]));
    expect(again).toEqual(out);
  });
  it('reads the weight from the first route to the stable host, not from a route to another service', () => {
    const mine = specFor('production', 'istio', { trafficRouting: { stableService: 'myapp' } });
    const http = [
      { name: 'other', route: [{ destination: { host: 'other-svc', subset: 'canary' }, weight: 50 }] },
      { name: 'main', route: [{ destination: { host: 'myapp', subset: 'stable' }, weight: 90 }, { destination: { host: 'myapp', subset: 'canary' }, weight: 10 }] },
    ];
    expect(canaryWeightOf(http, mine)).toBe(10);
    expect(canaryWeightOf([http[0]!], mine)).toBeUndefined();
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

describe('stable selection: narrowing and restoring (pure)', () => {
  const ORIGINAL = 'codedance.io/original-selector';
  const BY = 'codedance.io/narrowed-by';
  const hashed = (hash: string) => (original: Record<string, string> | null) => ({ ...original, 'pod-template-hash': hash });

  it('stores the selection as it was in the same write, and keeps that original when it re-points to a new hash', () => {
    const first = narrowed({ app: 'web' }, { team: 'a' }, 'ro_1', hashed('h1'));
    const again = narrowed(first.labels, first.annotations, 'ro_1', hashed('h2'));
    expect(first).toEqual({ labels: { app: 'web', 'pod-template-hash': 'h1' }, annotations: { team: 'a', [ORIGINAL]: '{"app":"web"}', [BY]: 'ro_1' } });
    expect(again).toEqual({ labels: { app: 'web', 'pod-template-hash': 'h2' }, annotations: first.annotations });
  });

  it('restores exactly what was stored and removes only its own annotations; not narrowed is nothing to do', () => {
    const n = narrowed({ app: 'web', tier: 'api' }, undefined, 'ro_1', hashed('h1'));
    expect(restored(n.labels, n.annotations)).toEqual({ labels: { app: 'web', tier: 'api' }, annotations: undefined });
    expect(restored(n.labels, { ...n.annotations, team: 'a' })).toEqual({ labels: { app: 'web', tier: 'api' }, annotations: { team: 'a' } });
    expect(restored({ app: 'web' }, { team: 'a' })).toBeUndefined();
  });

  it('an engine-added selection ("absent") or a mangled record restores to the current labels without the hash', () => {
    expect(narrowed(null, undefined, 'ro_1', hashed('h1')).annotations[ORIGINAL]).toBe('absent');
    expect(restored({ app: 'web', 'pod-template-hash': 'h1' }, { [ORIGINAL]: 'absent', [BY]: 'ro_1' })?.labels).toEqual({ app: 'web' });
    expect(restored({ app: 'web', 'pod-template-hash': 'h1' }, { [ORIGINAL]: '{not json', [BY]: 'ro_1' })?.labels).toEqual({ app: 'web' });
  });

  it('Istio: narrows the stable subset only and restores the user\'s subset exactly', () => {
    const dr = { metadata: { resourceVersion: '5' }, spec: { host: 'web', subsets: [{ name: 'stable', labels: { app: 'web' } }, { name: 'legacy', labels: { app: 'old' } }] } };
    const labels = { stable: { app: 'web', 'pod-template-hash': 'h1' }, canary: { app: 'web', version: 'canary' } };
    const n = narrowedRule(dr, { id: 'ro_1', spec: specFor('production', 'istio') }, labels);
    expect(n.spec.subsets).toEqual([{ name: 'stable', labels: labels.stable }, { name: 'legacy', labels: { app: 'old' } }, { name: 'canary', labels: labels.canary }]);
    const back = restoredRule(n);
    expect(back?.spec.subsets?.filter((s) => s.name !== 'canary')).toEqual(dr.spec.subsets);
    expect(back?.metadata).toEqual(dr.metadata);
    expect(restoredRule(dr)).toBeUndefined();
  });
});

describe('ownership of canary objects', () => {
  it('this rollout\'s id is ours, another id is a leftover, none is foreign', () => {
    const meta = (annotations?: Record<string, string>) => ({ metadata: { annotations } });
    expect(ownershipOf(meta({ 'codedance.io/rollout-id': 'ro_1' }), 'ro_1')).toBe('ours');
    expect(ownershipOf(meta({ 'codedance.io/rollout-id': 'ro_0' }), 'ro_1')).toBe('leftover');
    expect(ownershipOf(meta({ 'codedance.io/rollout': 'web' }), 'ro_1')).toBe('foreign');
    expect(ownershipOf(meta(), 'ro_1')).toBe('foreign');
  });

  it('a foreign object is a permanent error naming it and the fix', () => {
    const err = foreignError('east', { kind: 'Deployment', resource: 'deployments.apps', namespace: 'shop', name: 'web-canary' }, 'rename or delete it');
    expect(err).toMatchObject({ failure: 'Foreign', permanent: true, transient: false });
    expect(err.message).toContain('Deployment shop/web-canary exists but was not created by Codedance');
    expect(err.message).toContain('rename or delete it');
  });

  it('the canary Deployment carries the rollout id and the replicas asked for', () => {
    const target: V1Deployment = { metadata: { name: 'web', labels: { app: 'web' } }, spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'demo:v1' }] } } } };
    const canary = canaryFromTarget(target, { id: 'ro_1', spec: specFor('shop', 'nginx') }, 0, 1);
    expect(canary.metadata?.annotations).toMatchObject({ 'codedance.io/rollout-id': 'ro_1', 'codedance.io/rollout': 'web-rollout' });
    expect(canary.spec?.replicas).toBe(1);
    expect(canary.spec?.template.spec?.containers[0]?.image).toBe('demo:v2');
  });
});

describe('target facts for hand edits and promotion', () => {
  const target = (template: object, extra: Partial<V1Deployment> = {}): V1Deployment => ({ ...extra, spec: { selector: {}, template } as V1Deployment['spec'] });
  const image = (name: string) => ({ 'f:spec': { 'f:template': { 'f:spec': { 'f:containers': { [`k:{"name":"${name}"}`]: { '.': {}, 'f:image': {}, 'f:name': {} } } } } } });

  it('templateHash: 16 hex characters, independent of key order, changed by any template edit', () => {
    const a = templateHash(target({ metadata: { labels: { app: 'web', tier: 'api' } }, spec: { containers: [{ name: 'app', image: 'demo:v1' }] } }));
    const b = templateHash(target({ spec: { containers: [{ image: 'demo:v1', name: 'app' }] }, metadata: { labels: { tier: 'api', app: 'web' } } }));
    const c = templateHash(target({ metadata: { labels: { app: 'web', tier: 'api' } }, spec: { containers: [{ name: 'app', image: 'demo:v2' }] } }));
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('targetFailure: the progress deadline or a replica failure, with the controller\'s message', () => {
    const withConditions = (conditions: object[]) => ({ status: { conditions } } as V1Deployment);
    expect(targetFailure(withConditions([{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "web-1" has timed out progressing.' }])))
      .toBe('ProgressDeadlineExceeded: ReplicaSet "web-1" has timed out progressing.');
    expect(targetFailure(withConditions([{ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'exceeded quota' }]))).toBe('FailedCreate: exceeded quota');
    expect(targetFailure(withConditions([{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }]))).toBeUndefined();
  });

  it('imageManagerOf: the latest manager owning the rolled container\'s image, not another container\'s', () => {
    const managed = [
      { manager: 'kubectl-create', operation: 'Update', time: '2025-01-01T10:00:00Z', fieldsV1: image('app') },
      { manager: 'argocd', operation: 'Apply', time: '2025-01-01T12:00:00Z', fieldsV1: image('app') },
      { manager: 'sidecar-injector', operation: 'Update', time: '2025-01-01T13:00:00Z', fieldsV1: image('proxy') },
    ];
    // As read from the apiserver (JSON): client-node's type says Date for `time`, the wire has a string.
    const d = JSON.parse(JSON.stringify(target({}, { metadata: {} }))) as V1Deployment;
    Object.assign(d.metadata ?? {}, { managedFields: managed });
    expect(imageManagerOf(d, 'app')).toBe('argocd');
    expect(imageManagerOf(d, 'proxy')).toBe('sidecar-injector');
    expect(imageManagerOf(d, 'none')).toBeUndefined();
  });
});
