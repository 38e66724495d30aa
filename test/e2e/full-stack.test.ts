import { readFileSync } from 'node:fs';
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFullStack, type FullStack } from '../../infra/local/full-stack.js';
import { api, startRolloutFromYaml, watchRollout, type ApiTarget } from '../../infra/local/rollout-watch.js';
import { recordCanaryWeights } from '../support/traffic-recorder.js';

/**
 * End to end on the full local stack, exactly what `npm start` runs: a local cluster with myapp behind
 * an Istio VirtualService, the demo workload under load, real Prometheus at 1 s scrapes, and the engine
 * over serverless-offline. Given a rollout document, when it runs, then the cluster and the audit say so.
 */
let stack: FullStack;
let target: ApiTarget;

const events = async (id: string) => (await api(target, 'GET', `/rollouts/${id}/events`) as { items: Array<{ type: string; message: string; data?: Record<string, unknown> }> }).items;
const image = async (): Promise<string | undefined> => {
  const kc = new KubeConfig();
  kc.loadFromFile(stack.kubeconfigPath);
  return (await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'myapp', namespace: 'production' })).spec?.template.spec?.containers[0]?.image;
};

async function rollOut(file: string) {
  const recorder = recordCanaryWeights(stack.kubeconfigPath, 'production', 'myapp', 'istio');
  const started = await startRolloutFromYaml(target, readFileSync(file, 'utf8'));
  const done = await watchRollout(target, started.id, () => undefined, 240_000);
  await recorder.stop();
  return { done, walk: recorder.walk, finalWeight: await recorder.current(), audit: await events(started.id) };
}

describe('full local stack', () => {
  beforeAll(async () => {
    stack = await startFullStack({ port: 31000 + Math.floor(Math.random() * 1000), stage: `e2e${Date.now() % 100000}`, log: () => undefined, offlineOutput: () => undefined });
    target = { url: stack.api.url, token: stack.api.token };
  });
  afterAll(async () => stack?.stop());

  it('a healthy myapp:v2 walks every step and is promoted', async () => {
    const { done, walk, finalWeight, audit } = await rollOut('examples/demo/myapp-v2.yaml');
    expect(done.phase).toBe('Completed');
    expect(walk.filter((w) => w > 0)).toEqual([10, 50, 100]);
    expect(finalWeight).toBe(0);
    expect(await image()).toBe('myapp:v2');
    expect(audit.filter((e) => e.type === 'Analysis').some((e) => e.data?.verdict === 'pass')).toBe(true);
  });

  it('a faulty myapp:v2-faulty (8% 5xx) is rolled back for its error rate', async () => {
    const { done, finalWeight, audit } = await rollOut('examples/demo/myapp-v2-faulty.yaml');
    expect(done.phase).toBe('Failed');
    expect(done.failure?.reason).toBe('MetricsFailed');
    expect(finalWeight).toBe(0);
    expect(await image()).toBe('myapp:v2');
    const rollback = audit.find((e) => e.type === 'RollbackStarted');
    expect(rollback?.message).toMatch(/errorRate|successRate/);
    expect(audit.at(-1)?.type).toBe('RolledBack');
  });

  it('a slow myapp:v2-slow (+400 ms) is rolled back for latency', async () => {
    const { done, finalWeight, audit } = await rollOut('examples/demo/myapp-v2-slow.yaml');
    expect(done.phase).toBe('Failed');
    expect(finalWeight).toBe(0);
    expect(audit.find((e) => e.type === 'RollbackStarted')?.message).toMatch(/latencyP99/);
  });
});
