import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoApp } from '../../infra/local/demo/seed.js';
import { startClusters, type LocalClusters } from '../../infra/local/kubernetes/launcher.js';
import { createClusterRegistry } from '../../lib/adapters/kubernetes/registry.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { startEngineHarness, waitUntil, type EngineHarness } from '../support/engine-harness.js';
import { startFaultProxy, type FaultProxy, type FaultRule } from '../support/fault-proxy.js';
import { recordCanaryWeights } from '../support/traffic-recorder.js';
import { expectAuditIntact, settleWithinOneSweeperPeriod, startShortRollout } from './fault-helpers.js';

/**
 * The apiserver answering 409 and 500, or not answering, through a fault-injecting proxy in front of a
 * real local kube-apiserver; the engine's kubeconfig points at the proxy. Each fault hits its own
 * rollout (its own namespace) while it walks its weights; a failed call fails the tick, SQS redelivers
 * it, and once the fault clears each rollout completes: traffic 100% on the promoted stable Deployment,
 * the canary gone, the walk never skipping or repeating a step.
 */
interface Scenario { name: string; strikes: 'at-start' | 'at-first-step'; rule: (ns: string) => FaultRule; enough: number }
const SCENARIOS: Scenario[] = [
  // Creating the canary answers 409 although it does not exist (as when a deletion finishes between the
  // create and the read that follows it): a reason to retry, not to fail the rollout.
  { name: 'create-conflict', strikes: 'at-start', rule: (ns) => ({ methods: ['POST'], path: new RegExp(`/namespaces/${ns}/deployments`), fault: 409 }), enough: 3 },
  // Every write of the VirtualService conflicts (the engine's retry-on-conflict gives up after 5 tries).
  { name: 'conflict', strikes: 'at-first-step', rule: (ns) => ({ methods: ['PUT', 'PATCH'], path: new RegExp(`/namespaces/${ns}/virtualservices/`), fault: 409 }), enough: 10 },
  // The apiserver fails everything about Deployments, reads included.
  { name: 'internal', strikes: 'at-first-step', rule: (ns) => ({ path: new RegExp(`/apis/apps/v1/namespaces/${ns}/deployments`), fault: 500 }), enough: 4 },
  // The apiserver hangs: nothing in the namespace is answered, the engine's 1.5 s request timeout fires.
  { name: 'timeout', strikes: 'at-first-step', rule: (ns) => ({ path: new RegExp(`/namespaces/${ns}/`), fault: 'stall' }), enough: 3 },
];
const ruleOf = (s: Scenario): FaultRule => ({ ...s.rule(s.name), name: s.name });

describe('the apiserver answering 409, 500 and timing out (fault proxy in front of a real apiserver)', () => {
  let local: LocalClusters;
  let proxy: FaultProxy;
  let engine: EngineHarness;
  const settled = new Map<string, RolloutState>();
  const walks = new Map<string, number[]>();
  const phaseDuring = new Map<string, string>();

  beforeAll(async () => {
    local = await startClusters({ names: ['faulty'] });
    const cluster = local.clusters[0]!;
    proxy = await startFaultProxy(cluster);
    const clusters = createClusterRegistry([{ name: 'faulty', timeoutMs: 1_500, token: { server: proxy.url, caData: cluster.caData, token: cluster.engineToken } }]);
    // Real time (no warp): a Deployment rolling out on the real control plane takes real seconds, and
    // the recovery bar (one sweeper period) is measured against them.
    engine = await startEngineHarness({ timeFactor: 1, clusters, maxReceiveCount: 20 });
    await engine.startPollers();
    await Promise.all(SCENARIOS.map((s) => seedDemoApp({ kubeconfigPath: cluster.kubeconfigPath, namespace: s.name, app: s.name, image: `${s.name}:v1`, provider: 'istio', replicas: 2 })));
    const recorders = new Map(SCENARIOS.map((s) => [s.name, recordCanaryWeights(cluster.kubeconfigPath, s.name, s.name, 'istio')]));
    proxy.setRules(SCENARIOS.filter((s) => s.strikes === 'at-start').map(ruleOf));
    const started = await Promise.all(SCENARIOS.map((s) => startShortRollout(engine, s.name, {
      cluster: 'faulty', strategy: { type: 'Linear', steps: [{ weight: 10, pause: '5s' }, { weight: 50, pause: '5s' }, { weight: 100, pause: '0s' }] },
      analysis: { interval: '5s' },
    }, s.name)));
    // Strike once each rollout carries canary traffic, and keep the fault on until it has bitten.
    const later = started.filter((r) => SCENARIOS.find((s) => s.name === r.spec.targetDeployment)?.strikes === 'at-first-step');
    await waitUntil('rollouts at their first step', async () => (await Promise.all(later.map((r) => engine.store.get(r.id)))).every((s) => s && s.stepIndex >= 0), 120_000);
    proxy.setRules(SCENARIOS.map(ruleOf));
    // Until each fault has bitten enough (or, were the engine wrong, has ended its rollout).
    await waitUntil('each fault to bite', async () => {
      const states = await Promise.all(started.map((r) => engine.store.get(r.id)));
      return SCENARIOS.every((s) => (proxy.faulted[s.name] ?? 0) >= s.enough || states.find((st) => st?.spec.targetDeployment === s.name)?.phase === 'Failed');
    }, 60_000);
    const during = await Promise.all(started.map((r) => engine.store.get(r.id)));
    for (const s of during) phaseDuring.set(s!.spec.targetDeployment, s!.phase);
    proxy.setRules([]);
    const states = await settleWithinOneSweeperPeriod(engine, started.map((r) => r.id));
    for (const state of states) settled.set(state.spec.targetDeployment, state);
    for (const [name, recorder] of recorders) {
      await recorder.stop();
      walks.set(name, recorder.walk);
    }
  }, 600_000);

  afterAll(async () => {
    await engine?.stop();
    await proxy?.stop();
    await local?.stop();
  });

  it.each(SCENARIOS.map((s) => [s.name]))('%s: the rollout completes once the apiserver recovers, with the cluster matching', async (name) => {
    const state = settled.get(name)!;
    expect(state.phase).toBe('Completed');
    // The fault failed ticks (SQS redelivered them); it held the rollout, it did not end it.
    expect(engine.tickFailures.length).toBeGreaterThan(0);
    expect(['Initializing', 'Progressing', 'Paused', 'Promoting']).toContain(phaseDuring.get(name));
    const kc = new KubeConfig();
    kc.loadFromFile(local.clusters[0]!.kubeconfigPath);
    const apps = kc.makeApiClient(AppsV1Api);
    const target = await apps.readNamespacedDeployment({ name, namespace: name });
    expect(target.spec?.template.spec?.containers[0]?.image).toBe(`${name}:v2`);
    await expect(apps.readNamespacedDeployment({ name: `${name}-canary`, namespace: name })).rejects.toMatchObject({ code: 404 });
    expect(await recordCanaryWeights(local.clusters[0]!.kubeconfigPath, name, name, 'istio').current()).toBe(0);
    const walk = walks.get(name)!;
    expect(walk.filter((w) => w > 0)).toEqual([10, 50, 100]);
    await expectAuditIntact(engine, state.id);
  });
});
