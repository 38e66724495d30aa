import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoApp } from '../../../infra/local/demo/seed.js';
import { startClusters, type LocalClusters } from '../../../infra/local/kubernetes/launcher.js';
import { createClusterRegistry, type KubernetesClusterRegistry } from '../../../lib/adapters/kubernetes/registry.js';
import { rolloutIdFor, syncAllClusters } from '../../../lib/app/sync-objects.js';
import type { RolloutState } from '../../../lib/domain/state.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../../support/engine-harness.js';
import { FakeMetrics } from '../../support/fake-metrics.js';
import { value } from '../../../lib/domain/measurement.js';

/**
 * The quick start as a new user follows it: CRD and RBAC installed, then `kubectl apply` of a
 * CanaryDeployment and `kubectl get canarydeployment -w`. Nothing runs in the cluster: the engine (its
 * least-privileged token) hears of objects through the cluster sync, run here every second as the
 * scheduled function runs every minute, and writes their status. Metrics are the only fake.
 */
const run = promisify(execFile);
let local: LocalClusters;
let engine: EngineHarness;
let registry: KubernetesClusterRegistry;
let syncing: NodeJS.Timeout | undefined;
const kubectl = async (args: string[], stdin?: string): Promise<string> => {
  const child = run('kubectl', ['--kubeconfig', local.clusters[0]!.kubeconfigPath, ...args], { timeout: 60_000 });
  if (stdin !== undefined) { child.child.stdin?.end(stdin); }
  return (await child).stdout;
};
const apps = () => { const kc = new KubeConfig(); kc.loadFromFile(local.clusters[0]!.kubeconfigPath); return kc.makeApiClient(AppsV1Api); };
const byUid = async (ns: string, name: string) => JSON.parse(await kubectl(['get', 'canarydeployment', name, '-n', ns, '-o', 'json'])) as { metadata: { uid: string; generation: number }; status?: { phase?: string; conditions?: Array<{ type: string; status: string; reason: string }> } };
const terminal = (id: string) => async (): Promise<RolloutState | undefined> => {
  const s = await engine.store.get(id);
  return s && (s.phase === 'Completed' || s.phase === 'Failed') ? s : undefined;
};
const canaryDeployment = (ns: string, name: string, image: string, pause = '5m') => `apiVersion: deploy.codedance.io/v1alpha1
kind: CanaryDeployment
metadata: { name: ${name}, namespace: ${ns} }
spec:
  cluster: local
  targetDeployment: ${name}
  canaryVersion: ${image}
  strategy: { type: Linear, steps: [{ weight: 20, pause: ${pause} }, { weight: 100 }] }
`;

describe('kubectl apply of a CanaryDeployment drives the engine (local control plane)', () => {
  beforeAll(async () => {
    local = await startClusters({ names: ['local'] });
    registry = createClusterRegistry([
      { name: 'local', kubeconfig: { path: local.clusters[0]!.engineKubeconfigPath } },
      // A registered cluster nobody answers for: its sync fails, the other's must not wait for it.
      { name: 'gone', timeoutMs: 2_000, token: { server: 'https://127.0.0.1:9', token: 'x' } },
    ]);
    // 1 real second = 2 simulated minutes: the myapp example's 5m and 10m pauses take seconds.
    engine = await startEngineHarness({ timeFactor: 120, clusters: registry });
    engine.deps.canaryObjects = (cluster) => registry.objects(cluster);
    engine.deps.statusMirror = registry;
    await engine.startPollers();
    const tick = async () => { await syncAllClusters(engine.deps).catch(() => undefined); syncing = setTimeout(() => void tick(), 1_000); };
    void tick();
  }, 600_000);

  afterAll(async () => {
    clearTimeout(syncing);
    syncing = undefined;
    await engine?.stop();
    await local?.stop();
  });

  it("the product description's myapp YAML, applied verbatim, reaches Completed; kubectl shows each weight and `wait --for=condition=Ready` returns", async () => {
    await seedDemoApp({ kubeconfigPath: local.clusters[0]!.kubeconfigPath, namespace: 'production', app: 'myapp', image: 'myapp:v1', provider: 'istio' });
    const weights = new Set<string>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        const line = await kubectl(['get', 'canarydeployment', 'myapp', '-n', 'production', '--no-headers']).catch(() => '');
        const columns = line.trim().split(/\s+/); // NAME PHASE WEIGHT STEP HEALTH READY AGE
        if (columns[2] && /^\d+$/.test(columns[2])) weights.add(columns[2]);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    await kubectl(['apply', '-f', '-'], readFileSync('examples/myapp.yaml', 'utf8'));
    await kubectl(['wait', '--for=condition=Ready', 'canarydeployment/myapp', '-n', 'production', '--timeout=180s']);
    watching = false;
    await watch;

    const object = await byUid('production', 'myapp');
    const done = await engine.store.get(rolloutIdFor('local', object.metadata.uid, object.metadata.generation));
    expect(done?.phase).toBe('Completed');
    expect(object.status).toMatchObject({ phase: 'Completed', observedGeneration: 1 });
    expect([...weights]).toEqual(expect.arrayContaining(['10', '50', '100']));
    expect((await apps().readNamespacedDeployment({ name: 'myapp', namespace: 'production' })).spec?.template.spec?.containers[0]?.image).toBe('myapp:v2.0.0');
  });

  it('a faulty canaryVersion ends Failed, with the reason in kubectl describe', async () => {
    await seedDemoApp({ kubeconfigPath: local.clusters[0]!.kubeconfigPath, namespace: 'faulty', app: 'faulty', image: 'faulty:v1', provider: 'istio' });
    engine.metrics.set('faulty', { requests: value(1000), successRate: value(90), errorRate: value(10), latencyMs: { p50: value(20), p90: value(50), p99: value(100) }, custom: {} });
    await kubectl(['apply', '-f', '-'], canaryDeployment('faulty', 'faulty', 'faulty:v2'));
    await kubectl(['wait', '--for=condition=Failed', 'canarydeployment/faulty', '-n', 'faulty', '--timeout=180s']);

    const described = await kubectl(['describe', 'canarydeployment', 'faulty', '-n', 'faulty']);
    expect(described).toMatch(/MetricsFailed/);
    expect(described).toMatch(/errorRate/);
  });

  it('changing canaryVersion mid-rollout rolls the first back and completes the second; both generations in the audit trail', async () => {
    await seedDemoApp({ kubeconfigPath: local.clusters[0]!.kubeconfigPath, namespace: 'change', app: 'change', image: 'change:v1', provider: 'istio' });
    await kubectl(['apply', '-f', '-'], canaryDeployment('change', 'change', 'change:v2', '1h'));
    const first = await byUid('change', 'change');
    const firstId = rolloutIdFor('local', first.metadata.uid, 1);
    await waitUntil('first at 20 %', async () => (await engine.store.get(firstId))?.canaryWeight === 20, 120_000);

    await kubectl(['apply', '-f', '-'], canaryDeployment('change', 'change', 'change:v3', '1m'));
    const secondId = rolloutIdFor('local', first.metadata.uid, 2);
    const old = await waitUntil('first ended', terminal(firstId), 120_000);
    const next = await waitUntil('second ended', terminal(secondId), 180_000);

    expect(old).toMatchObject({ phase: 'Failed', failure: { reason: 'Aborted' } });
    expect(next).toMatchObject({ phase: 'Completed', spec: { canaryImage: 'change:v3' } });
    expect(Date.parse(next.createdAt)).toBeGreaterThanOrEqual(Date.parse(old.updatedAt) - 1_000);
    expect((await engine.deps.audit.events(firstId)).find((e) => e.type === 'Aborted')?.data?.comment).toMatch(/generation 2 replaces 1/);
    expect((await engine.deps.audit.events(secondId)).find((e) => e.type === 'RolloutStarted')?.data?.source).toMatchObject({ generation: 2 });
  });

  it('kubectl delete mid-rollout aborts: 100 % stable, canary gone', async () => {
    await seedDemoApp({ kubeconfigPath: local.clusters[0]!.kubeconfigPath, namespace: 'gone', app: 'gone', image: 'gone:v1', provider: 'istio' });
    await kubectl(['apply', '-f', '-'], canaryDeployment('gone', 'gone', 'gone:v2', '1h'));
    const object = await byUid('gone', 'gone');
    const id = rolloutIdFor('local', object.metadata.uid, 1);
    await waitUntil('at 20 %', async () => (await engine.store.get(id))?.canaryWeight === 20, 120_000);

    await kubectl(['delete', 'canarydeployment', 'gone', '-n', 'gone']);
    const done = await waitUntil('aborted', terminal(id), 120_000);

    expect(done).toMatchObject({ phase: 'Failed', failure: { reason: 'Aborted' } });
    await expect(apps().readNamespacedDeployment({ name: 'gone-canary', namespace: 'gone' })).rejects.toMatchObject({ code: 404 });
  });

  it('an invalid object gets InvalidSpec with field paths; the server-side schema rejects a wrong type at apply', async () => {
    const refused = await kubectl(['apply', '-f', '-'], canaryDeployment('default', 'typo', 'typo:v2').replace('weight: 20', 'weight: "twenty"')).then(() => '', (e: { stderr?: string }) => e.stderr ?? '');
    expect(refused).toMatch(/spec\.strategy\.steps\[0\]\.weight/);

    await kubectl(['apply', '-f', '-'], canaryDeployment('default', 'order', 'order:v2').replace('{ weight: 20, pause: 5m }, { weight: 100 }', '{ weight: 60 }, { weight: 30 }, { weight: 100 }'));
    await waitUntil('InvalidSpec in status', async () => (await byUid('default', 'order')).status?.conditions?.some((c) => c.type === 'Failed' && c.reason === 'InvalidSpec'), 60_000);
    const described = await kubectl(['describe', 'canarydeployment', 'order', '-n', 'default']);
    expect(described).toMatch(/spec\.strategy\.steps\[1\]\.weight/);
    expect(described).toMatch(/InvalidSpec/);
  });

  it('one unreachable cluster does not hold up another cluster\'s sync', async () => {
    const reports = await syncAllClusters(engine.deps);
    expect(reports.find((r) => r.cluster === 'gone')?.error).toBeDefined();
    expect(reports.find((r) => r.cluster === 'local')?.error).toBeUndefined();
  });
});
