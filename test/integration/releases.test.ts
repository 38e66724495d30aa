import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { seedDemoApp } from '../../infra/local/demo/seed.js';
import { startClusters, type LocalClusters } from '../../infra/local/kubernetes/launcher.js';
import { createClusterRegistry } from '../../lib/adapters/kubernetes/registry.js';
import { advanceRelease } from '../../lib/app/advance-release.js';
import { startRollout } from '../../lib/app/start-rollout.js';
import { rolloutDocumentFor } from '../../lib/domain/release.js';
import { handler as createRelease } from '../../functions/http/create-release.js';
import { handler as getRelease } from '../../functions/http/get-release.js';
import { handler as getReleaseEvents } from '../../functions/http/get-release-events.js';
import { handler as actOnRelease } from '../../functions/http/act-on-release.js';
import { handler as releaseScheduler } from '../../functions/schedule/release-scheduler.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';
import { invokeHttp } from '../support/http-event.js';

/**
 * Batch releases on the local stack: three clusters (one etcd, three kube-apiservers from the
 * launcher), twelve services in each, DynamoDB Local + SQS, the real handlers. Metrics are the only
 * fake (healthy); a faulty service is an image whose pods crash-loop for real (kwok).
 */
const TOKEN = 'integration-token-0123456789';
const CLUSTERS = ['c1', 'c2', 'c3'];
const SERVICES = Array.from({ length: 12 }, (_, i) => `svc-${String(i + 1).padStart(2, '0')}`);
const NAMESPACE = 'shop';
const lambdaContext = { awsRequestId: 'test', functionName: 'test', getRemainingTimeInMillis: () => 60_000 } as never;

let local: LocalClusters;
let engine: EngineHarness;
let schedulerTimer: NodeJS.Timeout | undefined;

const cluster = (name: string) => local.clusters.find((c) => c.name === name)!;
const apps = (name: string) => { const kc = new KubeConfig(); kc.loadFromFile(cluster(name).kubeconfigPath); return kc.makeApiClient(AppsV1Api); };
async function imageOf(clusterName: string, service: string): Promise<string | undefined> {
  const d = await apps(clusterName).readNamespacedDeployment({ name: service, namespace: NAMESPACE });
  return d.spec?.template.spec?.containers[0]?.image;
}

function releaseYaml(name: string, image: (service: string) => string, options: { services?: string[]; waves?: unknown[] } = {}): string {
  return stringify({
    apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'Release', metadata: { name },
    spec: {
      templates: {
        quick: {
          strategy: { type: 'Linear', steps: [{ weight: 50, pause: '10s' }, { weight: 100, pause: '0s' }] },
          analysis: { interval: '5s', window: '5s' },
          autoRollback: { enabled: true, onPodCrash: true, onMetricsFail: true },
        },
      },
      services: (options.services ?? SERVICES).map((s) => ({ targetDeployment: s, namespace: NAMESPACE, image: image(s), template: 'quick' })),
      waves: options.waves ?? [
        { name: 'canary-cluster', clusters: ['c1'], maxParallel: 4 },
        { name: 'rest', clusters: ['c2', 'c3'], maxParallel: 4 },
      ],
      haltOnFailure: true,
    },
  });
}

type Cell = { service: string; cluster: string; wave: string; phase: string; rolloutId: string; reason?: string };
type View = { id: string; phase: string; message: string; haltReason?: string; waves: Array<{ name: string; phase: string }>; matrix: Cell[] };

const view = async (id: string): Promise<View> => (await invokeHttp(getRelease, { method: 'GET', path: `/releases/${id}`, pathParameters: { id }, token: TOKEN })).body;
const events = async (id: string): Promise<Array<{ type: string; message: string; data?: Record<string, unknown> }>> =>
  (await invokeHttp(getReleaseEvents, { method: 'GET', path: `/releases/${id}/events`, pathParameters: { id }, token: TOKEN })).body.items;

async function create(yaml: string): Promise<View> {
  const out = await invokeHttp(createRelease, { method: 'POST', path: '/releases', body: yaml, contentType: 'application/yaml', token: TOKEN });
  expect(out.status, JSON.stringify(out.body)).toBe(201);
  return out.body;
}

/** Watches a release to its end, recording the most rollouts seen running at once per cluster. */
async function watch(id: string, until: string[], timeoutMs: number) {
  const peak = new Map<string, number>();
  const final = await waitUntil(`release ${id} to end`, async () => {
    const v = await view(id);
    for (const c of CLUSTERS) {
      const running = v.matrix.filter((m) => m.cluster === c && !['Pending', 'Completed', 'Failed', 'Cancelled'].includes(m.phase)).length;
      peak.set(c, Math.max(peak.get(c) ?? 0, running));
    }
    return until.includes(v.phase) ? v : undefined;
  }, timeoutMs, 500);
  return { final, peak };
}

describe('batch releases across three clusters', () => {
  beforeAll(async () => {
    local = await startClusters({ names: CLUSTERS });
    for (const c of CLUSTERS) {
      for (let i = 0; i < SERVICES.length; i += 6) {
        await Promise.all(SERVICES.slice(i, i + 6).map((app) => seedDemoApp({ kubeconfigPath: cluster(c).kubeconfigPath, namespace: NAMESPACE, app, image: `${app}:v1`, provider: 'istio', replicas: 1 })));
      }
    }
    const clusters = createClusterRegistry(CLUSTERS.map((name) => ({ name, kubeconfig: { path: cluster(name).engineKubeconfigPath } })));
    // 1 real second = 10 simulated: the 10 s pause takes one second, deadlines stay generous.
    engine = await startEngineHarness({ timeFactor: 10, clusters });
    await engine.startPollers();
    // The minute schedule, faster: completions nudge their release at once, this is only the backstop.
    schedulerTimer = setInterval(() => { void releaseScheduler({}, lambdaContext).catch(() => undefined); }, 5_000);
  }, 900_000);

  afterAll(async () => {
    if (schedulerTimer) clearInterval(schedulerTimer);
    await engine?.stop();
    await local?.stop();
  });

  it('rolls 12 services over the canary cluster, then the other two at most 4 at once per cluster', async () => {
    const created = await create(releaseYaml('sdk-2', (s) => `${s}:v2`));
    expect(created.matrix).toHaveLength(36);
    const { final, peak } = await watch(created.id, ['Completed', 'Failed', 'Cancelled'], 480_000);

    expect(final.phase, final.message).toBe('Completed');
    expect(final.waves.map((w) => w.phase)).toEqual(['Completed', 'Completed']);
    expect(final.matrix.every((m) => m.phase === 'Completed')).toBe(true);
    for (const c of CLUSTERS) {
      expect(await Promise.all(SERVICES.map((s) => imageOf(c, s)))).toEqual(SERVICES.map((s) => `${s}:v2`));
      expect(peak.get(c) ?? 0).toBeLessThanOrEqual(4);
    }
    const trail = await events(created.id);
    const types = trail.map((e) => e.type);
    expect(types[0]).toBe('ReleaseCreated');
    expect(types.at(-1)).toBe('ReleaseCompleted');
    // No rollout of the second wave started before the first wave completed.
    const firstWaveDone = trail.findIndex((e) => e.type === 'WaveCompleted');
    const restStarts = trail.flatMap((e, i) => (e.type === 'RolloutsStarted' && (e.data?.rollouts as Array<{ cluster: string }>).some((r) => r.cluster !== 'c1') ? [i] : []));
    expect(restStarts.length).toBeGreaterThan(0);
    expect(Math.min(...restStarts)).toBeGreaterThan(firstWaveDone);
    // Exactly one rollout per service and cluster.
    const rollouts = (await engine.store.list({ limit: 200 })).items.filter((r) => r.releaseId === created.id);
    expect(rollouts).toHaveLength(36);
  });

  it('halts in its wave when one service fails, cancels the later wave, and says why', async () => {
    const created = await create(releaseYaml('sdk-3', (s) => (s === 'svc-05' ? `${s}:v3-crash` : `${s}:v3`)));
    const { final } = await watch(created.id, ['Completed', 'Failed', 'Cancelled'], 300_000);

    expect(final.phase).toBe('Failed');
    expect(final.waves.map((w) => w.phase)).toEqual(['Failed', 'Cancelled']);
    const failed = final.matrix.find((m) => m.service === 'svc-05' && m.cluster === 'c1');
    expect(failed?.phase).toBe('Failed');
    expect(failed?.reason).toMatch(/PodCrash/);
    expect(final.haltReason).toMatch(/^svc-05 in c1 failed: PodCrash/);
    const later = final.matrix.filter((m) => m.cluster !== 'c1');
    expect(later.every((m) => m.phase === 'Cancelled' && /halted because svc-05 in c1 failed/.test(m.reason ?? ''))).toBe(true);
    // Nothing changed in the clusters of the cancelled wave; the faulty service was rolled back.
    expect(await Promise.all(SERVICES.map((s) => imageOf('c2', s)))).toEqual(SERVICES.map((s) => `${s}:v2`));
    expect(await imageOf('c1', 'svc-05')).toBe('svc-05:v2');
    const trail = await events(created.id);
    const halted = trail.find((e) => e.type === 'ReleaseHalted');
    expect(halted?.message).toMatch(/svc-05 in c1 failed: PodCrash.*cancelled waves rest/);
    expect(trail.at(-1)?.type).toBe('ReleaseFailed');
  });

  it('never starts a rollout twice: a crashed pass, concurrent scheduler passes and the approval racing', async () => {
    const created = await create(releaseYaml('sdk-4', (s) => `${s}:v4`, {
      services: ['svc-01', 'svc-02', 'svc-03'],
      waves: [{ name: 'gated', clusters: ['c3'], maxParallel: 3, approval: true }],
    }));
    expect(created.waves[0]?.phase).toBe('AwaitingApproval');
    // A pass that crashed after starting svc-01's rollout but before saving the release.
    const release = (await engine.deps.releases!.get(created.id))!;
    const orphan = release.items[0]!;
    await startRollout(engine.deps, { id: orphan.rolloutId, releaseId: created.id, document: rolloutDocumentFor(release.plan, orphan), actor: { id: 'crashed pass', via: 'release' } });

    const approve = invokeHttp(actOnRelease, { method: 'POST', path: `/releases/${created.id}/approve`, pathParameters: { id: created.id, action: 'approve' }, token: TOKEN, body: '{"comment":"go"}' });
    const outcomes = await Promise.allSettled([approve, advanceRelease(engine.deps, created.id), advanceRelease(engine.deps, created.id)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const { final } = await watch(created.id, ['Completed', 'Failed', 'Cancelled'], 240_000);

    expect(final.phase, final.message).toBe('Completed');
    const rollouts = (await engine.store.list({ limit: 200 })).items.filter((r) => r.releaseId === created.id);
    expect(rollouts.map((r) => r.id).sort()).toEqual(final.matrix.map((m) => m.rolloutId).sort());
    expect(rollouts.find((r) => r.id === orphan.rolloutId)?.createdBy.id).toBe('crashed pass');
    expect((await events(created.id)).some((e) => e.type === 'WaveApproved' && /approved by/.test(e.message))).toBe(true);
  });
});
