/**
 * The CanaryDeployment objects adapter (lib/adapters/kubernetes/canary-objects.ts) against a real apiserver,
 * as the engine's least-privileged identity: LIST, GET, create (idempotent, labelled), status writes that
 * replace what they name, Events `kubectl describe` shows, and the status mirror of a running rollout.
 * Objects are seeded with the ADMIN kubeconfig, as a user's kubectl would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusters, type LocalClusters } from '../../../infra/local/kubernetes/launcher.js';
import { createClusterRegistry, type KubernetesClusterRegistry } from '../../../lib/adapters/kubernetes/registry.js';
import { invalidSpecStatus, objectStatus } from '../../../lib/domain/object-status.js';
import type { RolloutState } from '../../../lib/domain/state.js';
import { CREATED_BY_ENGINE, CREATED_BY_LABEL, ROLLOUT_ID_ANNOTATION } from '../../../lib/ports/canary-objects.js';
import { documentWith, stateFrom } from '../../support/fixtures.js';
import { adminClients, seed, type Admin } from './seed.js';

const CANARY = { group: 'deploy.codedance.io', version: 'v1alpha1', plural: 'canarydeployments' } as const;
type Stored = { metadata: { uid: string; generation: number; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, unknown>; status?: Record<string, unknown> };

let local: LocalClusters | undefined;
let admin: Admin;
let registry: KubernetesClusterRegistry;

beforeAll(async () => {
  local = await startClusters({ names: ['objects'], nodes: 1 });
  const [cluster] = local.clusters;
  if (!cluster) throw new Error('no cluster started');
  admin = adminClients(cluster.kubeconfigPath);
  registry = createClusterRegistry([{ name: 'objects', kubeconfig: { path: cluster.engineKubeconfigPath } }]);
  await seed(admin, ['team-a', 'team-b', 'team-c'].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));
}, 600_000);

afterAll(async () => {
  await local?.stop();
});

const document = (namespace: string, name: string, spec: Record<string, unknown> = {}) =>
  documentWith(spec, { name, namespace }) as { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec: Record<string, unknown> };
const apply = (namespace: string, name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>) => {
  const doc = document(namespace, name, spec);
  return admin.custom.createNamespacedCustomObject({ ...CANARY, namespace, body: { ...doc, metadata: { ...doc.metadata, ...(labels ? { labels } : {}), annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(doc) } } } });
};
const read = (namespace: string, name: string) => admin.custom.getNamespacedCustomObject({ ...CANARY, namespace, name }) as Promise<Stored>;
const stateFor = (stored: Stored, namespace: string, name: string, patch: Partial<RolloutState> = {}): RolloutState =>
  stateFrom(document(namespace, name), { id: `ro_${name}`, source: { cluster: 'objects', namespace, name, uid: stored.metadata.uid, generation: stored.metadata.generation }, ...patch });

describe('listing and reading CanaryDeployment objects', () => {
  it('lists every namespace in one call, or only the named ones, with uid, generation, labels and the document', async () => {
    // Prepare
    await apply('team-a', 'web', {}, { team: 'a' });
    await apply('team-b', 'api', { canaryVersion: 'api:v2' });
    await apply('team-c', 'jobs');
    const objects = registry.objects('objects');

    // Act
    const all = await objects.list();
    const some = await objects.list(['team-a', 'team-b', 'team-a']);

    // Assess
    expect(all.map((o) => `${o.namespace}/${o.name}`).sort()).toEqual(['team-a/web', 'team-b/api', 'team-c/jobs']);
    expect(some.map((o) => `${o.namespace}/${o.name}`).sort()).toEqual(['team-a/web', 'team-b/api']);
    const web = all.find((o) => o.name === 'web')!;
    const stored = await read('team-a', 'web');
    expect(web).toMatchObject({ cluster: 'objects', namespace: 'team-a', uid: stored.metadata.uid, generation: 1, labels: { team: 'a' }, deleting: false });
    expect(web.status).toBeUndefined();
    // The document is what the user wrote, without kubectl's copy of it.
    expect(web.document).toEqual({ ...document('team-a', 'web'), metadata: { name: 'web', namespace: 'team-a', labels: { team: 'a' } } });
    expect(web.annotations['kubectl.kubernetes.io/last-applied-configuration']).toBeDefined();
  });

  it('gets one object, undefined when it does not exist, and sees a new generation after a spec change', async () => {
    const objects = registry.objects('objects');
    expect(await objects.get('team-a', 'nope')).toBeUndefined();
    await admin.custom.patchNamespacedCustomObject({ ...CANARY, namespace: 'team-b', name: 'api', body: [{ op: 'replace', path: '/spec/canaryVersion', value: 'api:v3' }] });
    const api = await objects.get('team-b', 'api');
    expect(api).toMatchObject({ generation: 2, document: { spec: { canaryVersion: 'api:v3' } } });
  });
});

describe('creating the object of a rollout started elsewhere', () => {
  it('creates it labelled as the engine’s, with the rollout id, and a second create changes nothing', async () => {
    // Prepare
    const objects = registry.objects('objects');
    const doc = document('team-c', 'from-http', { canaryVersion: 'from-http:v2' });

    // Act
    await objects.create(doc, 'ro_http_1');
    const first = await read('team-c', 'from-http');
    await objects.create(doc, 'ro_http_1');

    // Assess
    expect(first.metadata.labels).toEqual({ [CREATED_BY_LABEL]: CREATED_BY_ENGINE });
    expect(first.metadata.annotations).toEqual({ [ROLLOUT_ID_ANNOTATION]: 'ro_http_1' });
    expect(first.spec).toEqual(doc.spec);
    expect((await read('team-c', 'from-http')).metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    const listed = (await objects.list(['team-c'])).find((o) => o.name === 'from-http');
    expect(listed?.labels[CREATED_BY_LABEL]).toBe(CREATED_BY_ENGINE);
  });
});

describe('status and Events', () => {
  it('replaces the status it writes: a stale health score and rollout id are cleared; a missing object is nothing', async () => {
    // Prepare
    const objects = registry.objects('objects');
    const stored = await read('team-a', 'web');
    const running = stateFor(stored, 'team-a', 'web', {
      phase: 'Progressing', stepIndex: 0, canaryWeight: 10, message: 'step 1',
      analysis: { failures: 0, consecutiveInconclusive: 0, last: { at: new Date().toISOString(), verdict: 'pass', score: 99, reason: 'ok' } },
    });
    await objects.writeStatus('team-a', 'web', objectStatus(running, undefined, new Date()));

    // Act
    const refused = invalidSpecStatus([{ path: 'spec.targetDeployment', message: 'Deployment team-a/web not found' }], 1, undefined, new Date());
    await objects.writeStatus('team-a', 'web', refused);
    await objects.writeStatus('team-a', 'gone', refused);

    // Assess
    const status = (await read('team-a', 'web')).status!;
    expect(status).toMatchObject({ phase: 'Failed', observedGeneration: 1, weight: 0, message: refused.message });
    expect(status).not.toHaveProperty('health');
    expect(status).not.toHaveProperty('rolloutId');
    expect(status.conditions).toEqual(refused.conditions);
    const listed = await objects.get('team-a', 'web');
    expect(listed?.status).toEqual({ observedGeneration: 1, conditions: refused.conditions });
  });

  it('records an Event on the object that kubectl describe shows, and never throws when it cannot', async () => {
    // Prepare
    const objects = registry.objects('objects');
    const stored = await read('team-a', 'web');

    // Act
    await objects.recordEvent('team-a', 'web', stored.metadata.uid, { type: 'Warning', reason: 'InvalidSpec', message: 'spec.targetDeployment: Deployment team-a/web not found' });
    await objects.recordEvent('no-such-namespace', 'web', 'uid-x', { type: 'Normal', reason: 'Started', message: 'x' });

    // Assess
    const events = await admin.core.listNamespacedEvent({ namespace: 'team-a', fieldSelector: `involvedObject.uid=${stored.metadata.uid}` });
    expect(events.items).toHaveLength(1);
    expect(events.items[0]).toMatchObject({
      type: 'Warning', reason: 'InvalidSpec', message: 'spec.targetDeployment: Deployment team-a/web not found', count: 1,
      source: { component: 'codedance' },
      involvedObject: { apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'CanaryDeployment', name: 'web', namespace: 'team-a', uid: stored.metadata.uid },
    });
  });

  it('mirrors a running rollout with conditions, writes nothing when nothing changed, and keeps transition times', async () => {
    // Prepare
    await apply('team-b', 'mirrored');
    const stored = await read('team-b', 'mirrored');
    const progressing = stateFor(stored, 'team-b', 'mirrored', { phase: 'Progressing', stepIndex: 0, canaryWeight: 10, message: 'step 1 of 3' });

    // Act
    await registry.mirror(progressing);
    const first = await read('team-b', 'mirrored');
    await registry.mirror(progressing);
    const unchanged = await read('team-b', 'mirrored');
    await new Promise((r) => setTimeout(r, 1_100)); // transition times have whole seconds
    await registry.mirror({ ...progressing, stepIndex: 1, canaryWeight: 50, message: 'step 2 of 3' });
    const second = await read('team-b', 'mirrored');

    // Assess
    expect(first.status).toMatchObject({ observedGeneration: 1, phase: 'Progressing', weight: 10, step: '1/3', rolloutId: 'ro_mirrored' });
    expect(unchanged.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(second.status).toMatchObject({ weight: 50, step: '2/3' });
    const times = (s: Stored) => (s.status?.conditions as Array<{ type: string; lastTransitionTime: string }>).map((c) => `${c.type} ${c.lastTransitionTime}`);
    expect(times(second)).toEqual(times(first));
    expect((second.status?.conditions as Array<{ message: string }>)[1]?.message).toBe('step 2 of 3');
  });

  it('never lets an older rollout overwrite the status of a newer generation, nor write into another object', async () => {
    // Prepare: generation 2's rollout has written; generation 1's rollout is still rolling back.
    await apply('team-c', 'moving');
    const v1 = await read('team-c', 'moving');
    await admin.custom.patchNamespacedCustomObject({ ...CANARY, namespace: 'team-c', name: 'moving', body: [{ op: 'replace', path: '/spec/canaryVersion', value: 'moving:v3' }] });
    const v2 = await read('team-c', 'moving');
    const newer = stateFor(v2, 'team-c', 'moving', { id: 'ro_gen2', phase: 'Initializing', message: 'generation 2 starting' });
    await registry.mirror(newer);
    const before = await read('team-c', 'moving');

    // Act
    await registry.mirror(stateFor(v1, 'team-c', 'moving', { id: 'ro_gen1', phase: 'RollingBack', message: 'replaced by generation 2' }));
    await registry.mirror(stateFor({ ...v2, metadata: { ...v2.metadata, uid: 'another-object' } }, 'team-c', 'moving', { id: 'ro_other', phase: 'Progressing' }));

    // Assess
    const after = await read('team-c', 'moving');
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.status).toMatchObject({ observedGeneration: 2, rolloutId: 'ro_gen2' });
  });

  it('mirrors a rollout started over HTTP into the object created for it, with that object’s generation', async () => {
    const objects = registry.objects('objects');
    const doc = document('team-a', 'http-made', { cluster: 'objects' });
    await objects.create(doc, 'ro_http_2');
    await registry.mirror(stateFrom(doc, { id: 'ro_http_2', phase: 'Progressing', message: 'step 1' }));
    await registry.mirror(stateFrom(doc, { id: 'ro_someone_else', phase: 'Failed', message: 'not mine' }));
    const status = (await read('team-a', 'http-made')).status;
    expect(status).toMatchObject({ observedGeneration: 1, phase: 'Progressing', rolloutId: 'ro_http_2' });
  });
});
