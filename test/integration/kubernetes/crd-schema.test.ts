/**
 * The CanaryDeployment CRD (infra/k8s/crds/canarydeployment.yaml, generated from the zod spec) on a real
 * apiserver, as `kubectl` users meet it: the product's myapp.yaml is accepted verbatim, obvious mistakes are
 * refused at `kubectl apply` with the field named, and the status the engine writes shows in the printer
 * columns and satisfies `kubectl wait --for=condition=Ready`.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startClusters, type LocalCluster, type LocalClusters } from '../../../infra/local/kubernetes/launcher.js';
import { createClusterRegistry, type KubernetesClusterRegistry } from '../../../lib/adapters/kubernetes/registry.js';
import { objectStatus } from '../../../lib/domain/object-status.js';
import { exampleDocument, stateFrom } from '../../support/fixtures.js';

const MINUTE = 60_000;
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const NS = 'production';

interface Run { code: number; stdout: string; stderr: string }
function kubectl(cluster: LocalCluster, args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', cluster.kubeconfigPath, ...args], { cwd: ROOT, timeout: 2 * MINUTE, maxBuffer: 8 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}
const ok = (run: Run, what: string): string => {
  expect(run.code, `${what} failed: ${run.stderr}`).toBe(0);
  return run.stdout;
};

const myapp = () => parse(readFileSync(`${ROOT}examples/myapp.yaml`, 'utf8')) as { metadata: { name: string }; spec: Record<string, unknown> };
/** myapp.yaml under another name with its spec changed. */
const variant = (name: string, spec: Record<string, unknown>): string =>
  stringify({ ...myapp(), metadata: { name, namespace: NS }, spec: { ...myapp().spec, ...spec } });

let local: LocalClusters | undefined;
let cluster: LocalCluster;
let registry: KubernetesClusterRegistry;

beforeAll(async () => {
  local = await startClusters({ names: ['crd'], nodes: 1 });
  cluster = local.clusters[0]!;
  // The engine's own least-privileged identity writes the status, as it does in production.
  registry = createClusterRegistry([{ name: 'crd', kubeconfig: { path: cluster.engineKubeconfigPath } }]);
  ok(await kubectl(cluster, ['create', 'namespace', NS]), 'create namespace');
}, 10 * MINUTE);

afterAll(async () => {
  await local?.stop();
}, 2 * MINUTE);

describe('the CanaryDeployment CRD on a real apiserver', () => {
  it('accepts examples/myapp.yaml verbatim with kubectl apply, and keeps its spec whole (nothing pruned)', async () => {
    // Act
    const out = ok(await kubectl(cluster, ['apply', '-f', 'examples/myapp.yaml']), 'kubectl apply myapp.yaml');

    // Assess
    expect(out).toMatch(/canarydeployment\.deploy\.codedance\.io\/myapp created/);
    const stored = JSON.parse(ok(await kubectl(cluster, ['get', 'canarydeployment', 'myapp', '-n', NS, '-o', 'json']), 'get')) as { spec: unknown; metadata: { generation: number } };
    expect(stored.spec).toEqual(myapp().spec);
    expect(stored.metadata.generation).toBe(1);
  });

  it('accepts the other example and the documented variations the engine accepts', async () => {
    ok(await kubectl(cluster, ['apply', '-f', 'examples/order-service.yaml']), 'kubectl apply order-service.yaml');
    const variations = [
      variant('latency-ms', { metrics: { latency: { p50: 250, p99: '1.5s' } } }),
      variant('fixed-scale', { canaryScale: { type: 'Fixed', replicas: 2 }, trafficRouting: { provider: 'nginx' }, scaleDownDelay: '30s' }),
      variant('upper-image', { canaryVersion: 'Registry.Example.com:5000/Team/MyApp:V2' }),
    ];
    for (const doc of variations) ok(await kubectl(cluster, ['apply', '-f', '-'], doc), `kubectl apply ${doc.slice(0, 80)}`);
  });

  it('refuses a weight written as a word, naming the field', async () => {
    // Prepare
    const doc = variant('bad-weight', { strategy: { type: 'Linear', steps: [{ weight: 'ten', pause: '5m' }, { weight: 100 }] } });

    // Act
    const run = await kubectl(cluster, ['apply', '-f', '-'], doc);

    // Assess
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('The CanaryDeployment "bad-weight" is invalid');
    expect(run.stderr).toMatch(/spec\.strategy\.steps\[0\]\.weight: Invalid value: "string": spec\.strategy\.steps\[0\]\.weight in body must be of type integer/);
    expect((await kubectl(cluster, ['get', 'canarydeployment', 'bad-weight', '-n', NS])).code).not.toBe(0);
  });

  it.each([
    ['an unknown field (strict field validation, by name)', { strategy: { type: 'Linear', stepz: [{ weight: 100 }] } }, /unknown field "spec\.strategy\.stepz"/],
    ['an unknown strategy', { strategy: { type: 'BlueGreen' } }, /spec\.strategy\.type: Unsupported value: "BlueGreen"/],
    ['a duration in words', { analysis: { interval: 'ten minutes' } }, /spec\.analysis\.interval/],
    ['an upper-case Deployment name', { targetDeployment: 'MyApp' }, /spec\.targetDeployment/],
    ['a success rate above 100', { metrics: { successRate: { threshold: 101 } } }, /spec\.metrics\.successRate\.threshold/],
    ['too many canary replicas', { canaryScale: { type: 'Fixed', replicas: 5000 } }, /spec\.canaryScale\.replicas/],
  ])('refuses %s', async (_what, spec, message) => {
    const run = await kubectl(cluster, ['apply', '-f', '-'], variant('refused', spec));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
  });

  it('refuses a missing required field', async () => {
    const { canaryVersion: _dropped, ...spec } = myapp().spec;
    const run = await kubectl(cluster, ['apply', '-f', '-'], stringify({ ...myapp(), metadata: { name: 'no-version', namespace: NS }, spec }));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/spec\.canaryVersion: Required value/);
  });

  it("shows the engine's status in kubectl get, and kubectl wait --for=condition=Ready returns once it is Ready", async () => {
    // Prepare: the object applied above, and the rollout the engine runs for it.
    const stored = JSON.parse(ok(await kubectl(cluster, ['get', 'canarydeployment', 'myapp', '-n', NS, '-o', 'json']), 'get')) as { metadata: { uid: string; generation: number } };
    const source = { cluster: 'crd', namespace: NS, name: 'myapp', uid: stored.metadata.uid, generation: stored.metadata.generation };
    const base = stateFrom(exampleDocument('myapp'), { id: 'ro_crd', source });
    const progressing = { ...base, phase: 'Progressing' as const, stepIndex: 1, canaryWeight: 50, message: 'step 2 of 3 healthy',
      analysis: { failures: 0, consecutiveInconclusive: 0, last: { at: new Date().toISOString(), verdict: 'pass' as const, score: 98.5, reason: 'ok' } } };
    const objects = registry.objects('crd');

    // Act: mid-rollout, then completed.
    await objects.writeStatus(NS, 'myapp', objectStatus(progressing, undefined, new Date()));
    const mid = ok(await kubectl(cluster, ['get', 'canarydeployment', 'myapp', '-n', NS, '-o', 'wide']), 'get -o wide');
    const notYet = await kubectl(cluster, ['wait', '--for=condition=Ready', 'canarydeployment/myapp', '-n', NS, '--timeout=2s']);
    const waiting = kubectl(cluster, ['wait', '--for=condition=Ready', 'canarydeployment/myapp', '-n', NS, '--timeout=60s']);
    await registry.mirror({ ...progressing, phase: 'Completed', stepIndex: 2, canaryWeight: 0, message: 'myapp:v2.0.0 promoted' });
    const waited = await waiting;

    // Assess
    const [header, row] = mid.trim().split('\n');
    expect(header!.split(/\s{2,}/)).toEqual(['NAME', 'PHASE', 'WEIGHT', 'STEP', 'HEALTH', 'READY', 'MESSAGE', 'AGE']);
    expect(row).toMatch(/^myapp\s+Progressing\s+50\s+2\/3\s+98\.5\s+False\s+step 2 of 3 healthy\s+\S+$/);
    expect(notYet.code).not.toBe(0);
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toMatch(/canarydeployment\.deploy\.codedance\.io\/myapp condition met/);
    const done = ok(await kubectl(cluster, ['get', 'canarydeployment', 'myapp', '-n', NS]), 'get');
    expect(done).toMatch(/myapp\s+Completed\s+0\s+3\/3\s+98\.5\s+True\s+\S+/);
    const described = ok(await kubectl(cluster, ['describe', 'canarydeployment', 'myapp', '-n', NS]), 'describe');
    expect(described).toMatch(/Observed Generation:\s+1/);
    expect(described).toMatch(/Type:\s+Ready/);
  });
});
