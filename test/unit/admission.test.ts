import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Admitted, SyncReport } from '../../lib/app/sync-objects.js';
import { invokeHttp } from '../support/http-event.js';
import { FakeCanaryObjects } from '../support/fake-canary-objects.js';

/**
 * The admission webhook's handler in-process, with the sync replaced: what reaches syncAdmitted (or does
 * not) for each review, and what the apiserver gets back, whatever the sync does. No network.
 */
const calls: Admitted[] = [];
let behaviour: (admitted: Admitted) => Promise<SyncReport> = async () => report();
vi.mock('../../lib/app/sync-objects.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../lib/app/sync-objects.js')>()),
  syncAdmitted: async (_deps: unknown, _objects: unknown, admitted: Admitted) => {
    calls.push(admitted);
    return behaviour(admitted);
  },
}));
const { handler, SYNC_BUDGET_MS } = await import('../../functions/http/admission.js');
const { overrideDependencies, resetDependencies } = await import('../../functions/wiring.js');

const SECRET = 'webhook-secret-for-unit-tests-0123';
const SCOPED_SECRET = 'scoped-webhook-secret-0123456789';
const report = (): SyncReport => ({ cluster: 'east', objects: 1, started: [], ended: [], invalid: [], waiting: [] });

function canary(overrides: { generation?: number; deletionTimestamp?: string; namespace?: string; kind?: string } = {}) {
  return {
    apiVersion: 'deploy.codedance.io/v1alpha1', kind: overrides.kind ?? 'CanaryDeployment',
    metadata: {
      name: 'myapp', namespace: overrides.namespace ?? 'production', uid: '6f1c1b52-3f0e-4c3e-9a39-0d2f5f3c8e11', generation: overrides.generation ?? 1,
      labels: { team: 'shop' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":"copy"}', note: 'kept' },
      ...(overrides.deletionTimestamp ? { deletionTimestamp: overrides.deletionTimestamp } : {}),
    },
    spec: { targetDeployment: 'myapp', canaryVersion: 'myapp:v2' },
  };
}

function review(operation: 'CREATE' | 'UPDATE' | 'DELETE', extra: Record<string, unknown> = {}, object = canary()) {
  return {
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid: '705ab4f5-6393-11e8-b7cc-42010a800002', kind: { group: 'deploy.codedance.io', version: 'v1alpha1', kind: object.kind },
      resource: { group: 'deploy.codedance.io', version: 'v1alpha1', resource: 'canarydeployments' },
      operation, namespace: object.metadata.namespace, name: object.metadata.name, userInfo: { username: 'admin' },
      object: operation === 'DELETE' ? null : object, oldObject: operation === 'CREATE' ? null : object, dryRun: false,
      ...extra,
    },
  };
}

const post = (body: unknown, cluster = 'east', secret = SECRET) => invokeHttp(handler as never, {
  method: 'POST', path: `/admission/${cluster}/${secret}`, pathParameters: { cluster, secret }, body: JSON.stringify(body),
});
const allowedFor = (uid: string) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true } });

describe('POST /admission/{cluster}/{secret}', () => {
  const saved = { ...process.env };
  const logged: string[] = [];

  beforeAll(() => {
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'unit', AWS_SECRET_ACCESS_KEY: 'unit', CODEDANCE_LOG_LEVEL: 'debug',
      CODEDANCE_TABLE: 'admission-unit', CODEDANCE_TICK_QUEUE_URL: 'http://127.0.0.1:9/queue/none', CODEDANCE_API_TOKEN: 'unit-api-token-0123456789',
      CODEDANCE_CLUSTERS: JSON.stringify([
        { name: 'east', token: { server: 'https://127.0.0.1:9', token: 'unused' }, webhookSecret: SECRET },
        { name: 'scoped', token: { server: 'https://127.0.0.1:9', token: 'unused' }, webhookSecret: SCOPED_SECRET, namespaces: ['team-a'] },
        { name: 'no-webhook', token: { server: 'https://127.0.0.1:9', token: 'unused' } },
      ]),
    });
    resetDependencies();
    overrideDependencies({ canaryObjects: (cluster) => new FakeCanaryObjects(cluster) });
    for (const stream of ['log', 'warn', 'error'] as const) vi.spyOn(console, stream).mockImplementation((line: unknown) => { logged.push(String(line)); });
  });
  beforeEach(() => {
    calls.length = 0;
    behaviour = async () => report();
  });
  afterEach(() => { vi.useRealTimers(); });
  afterAll(() => {
    vi.restoreAllMocks();
    resetDependencies();
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });

  it('refuses a wrong secret, an unknown cluster and a cluster without a webhook secret with 403, and syncs nothing', async () => {
    for (const [cluster, secret] of [['east', 'wrong-secret-0123456789abcdef'], ['east', SCOPED_SECRET], ['west', SECRET], ['no-webhook', SECRET], ['no-webhook', '']]) {
      const response = await post(review('CREATE'), cluster, secret);
      expect(response.status, `${cluster}/${secret}`).toBe(403);
      expect(response.body.error).toMatchObject({ code: 'Forbidden', message: expect.any(String) });
      // Also a Kubernetes Status, so the apiserver's log line says why it failed open.
      expect(response.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Forbidden', code: 403 });
    }
    expect(calls).toEqual([]);
  });

  it('answers a malformed review with 400 and the field paths', async () => {
    const { request: { uid: _uid, ...withoutUid } } = review('CREATE');
    const response = await post({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', request: { ...withoutUid, operation: 'PATCH' } });

    expect(response.status).toBe(400);
    expect(response.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['apiVersion', 'request.operation', 'request.uid']);
    expect(calls).toEqual([]);
  });

  it('allows a dry run and does nothing else', async () => {
    for (const operation of ['CREATE', 'UPDATE', 'DELETE'] as const) {
      const response = await post(review(operation, { dryRun: true }));
      expect(response).toEqual({ status: 200, body: allowedFor('705ab4f5-6393-11e8-b7cc-42010a800002') });
    }
    expect(calls).toEqual([]);
  });

  it('syncs a created object as the CanaryObject the apiserver is about to store', async () => {
    const response = await post(review('CREATE'));

    expect(response).toEqual({ status: 200, body: allowedFor('705ab4f5-6393-11e8-b7cc-42010a800002') });
    expect(calls).toEqual([{
      object: {
        cluster: 'east', namespace: 'production', name: 'myapp', uid: '6f1c1b52-3f0e-4c3e-9a39-0d2f5f3c8e11', generation: 1, deleting: false,
        labels: { team: 'shop' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"huge":"copy"}', note: 'kept' },
        document: {
          apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'CanaryDeployment',
          metadata: { name: 'myapp', namespace: 'production', labels: { team: 'shop' }, annotations: { note: 'kept' } },
          spec: { targetDeployment: 'myapp', canaryVersion: 'myapp:v2' },
        },
      },
    }]);
  });

  it('passes an update on with its generation, and a deletionTimestamp as deleting', async () => {
    await post(review('UPDATE', {}, canary({ generation: 3, deletionTimestamp: '2026-01-01T00:00:00Z' })));

    expect(calls).toEqual([{ object: expect.objectContaining({ generation: 3, deleting: true }) }]);
  });

  it('syncs a deletion by the old object\'s identity', async () => {
    const response = await post(review('DELETE'));

    expect(response.body).toEqual(allowedFor('705ab4f5-6393-11e8-b7cc-42010a800002'));
    expect(calls).toEqual([{ deleted: { cluster: 'east', namespace: 'production', name: 'myapp', uid: '6f1c1b52-3f0e-4c3e-9a39-0d2f5f3c8e11' } }]);
  });

  it('allows, and logs with the object\'s identity, when the sync throws', async () => {
    behaviour = async () => { throw new Error('DynamoDB is down'); };
    logged.length = 0;
    const response = await post(review('CREATE'));

    expect(response).toEqual({ status: 200, body: allowedFor('705ab4f5-6393-11e8-b7cc-42010a800002') });
    const line = JSON.parse(logged.find((l) => l.includes('DynamoDB is down')) ?? '{}');
    expect(line).toMatchObject({ level: 'error', cluster: 'east', namespace: 'production', name: 'myapp', uid: '6f1c1b52-3f0e-4c3e-9a39-0d2f5f3c8e11' });
  });

  it('allows when the sync hangs, as soon as the budget is spent and not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    behaviour = () => new Promise<SyncReport>(() => undefined);
    let answered: Awaited<ReturnType<typeof post>> | undefined;
    const pending = post(review('CREATE')).then((r) => { answered = r; });

    await vi.advanceTimersByTimeAsync(SYNC_BUDGET_MS - 1);
    expect(answered).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect(SYNC_BUDGET_MS).toBeLessThanOrEqual(3000);
    expect(answered).toEqual({ status: 200, body: allowedFor('705ab4f5-6393-11e8-b7cc-42010a800002') });
    expect(calls).toHaveLength(1);
  });

  it('ignores objects outside the namespaces the cluster entry names, and other kinds', async () => {
    const outside = await post(review('CREATE', {}, canary({ namespace: 'team-b' })), 'scoped', SCOPED_SECRET);
    const inside = await post(review('CREATE', {}, canary({ namespace: 'team-a' })), 'scoped', SCOPED_SECRET);
    const otherKind = await post(review('CREATE', {}, canary({ kind: 'Deployment' })));

    expect([outside.status, inside.status, otherKind.status]).toEqual([200, 200, 200]);
    expect(calls).toEqual([{ object: expect.objectContaining({ cluster: 'scoped', namespace: 'team-a' }) }]);
  });

  it('allows an object it cannot read (no uid) without syncing it', async () => {
    const object = canary();
    const { uid: _uid, ...metadata } = object.metadata;
    const response = await post(review('CREATE', {}, { ...object, metadata } as never));

    expect(response.body).toEqual(allowedFor('705ab4f5-6393-11e8-b7cc-42010a800002'));
    expect(calls).toEqual([]);
  });

  it('never logs a secret', () => {
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toMatch(new RegExp(`${SECRET}|${SCOPED_SECRET}`));
  });
});
