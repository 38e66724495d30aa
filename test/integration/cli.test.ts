import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { seedDemoApp } from '../../infra/local/demo/seed.js';
import { startClusters, type LocalClusters } from '../../infra/local/kubernetes/launcher.js';
import { waitUntil } from '../support/engine-harness.js';

/**
 * `codedance` as a user runs it — `node bin/codedance.js …` in a child process — against the local
 * stack: `npm run start:api` (DynamoDB Local, local-aws-sqs, serverless-offline) driving one real local
 * Kubernetes cluster with the demo app seeded. There is no Prometheus, so every analysis is inconclusive:
 * the rollouts here use steps with `pause: 0s` (which advance without evidence) or Manual approvals.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const ADMIN = 'cli-admin-token-0123456789abcdef';
const VIEWER = 'cli-viewer-token-0123456789abcdef';
const DEPLOYER = 'cli-deployer-token-0123456789abcdef';
let local: LocalClusters;
let stack: ChildProcess;
let base = '';
let work = '';

interface Result { code: number | null; stdout: string; stderr: string }

/** Runs the CLI from a directory other than the repository's, with an empty HOME (no config file). */
function codedance(args: string[], options: { token?: string; input?: string } = {}): Promise<Result> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/codedance.js'), ...args], {
      cwd: work,
      env: { PATH: process.env.PATH, HOME: work, CODEDANCE_API_URL: base, CODEDANCE_TOKEN: options.token ?? ADMIN },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += String(d); });
    child.stderr.on('data', (d) => { stderr += String(d); });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

const file = (name: string, doc: unknown): string => {
  const path = join(work, name);
  writeFileSync(path, stringify(doc));
  return path;
};

const rolloutDoc = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'CanaryDeployment', metadata: { name, namespace: 'production' },
  spec: { targetDeployment: name, ...spec },
});

async function getJson(id: string): Promise<any> {
  const r = await codedance(['get', id, '-o', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const idFrom = (stdout: string): string => /\b(ro_[A-Za-z0-9]+)\b/.exec(stdout)?.[1] ?? '';

describe('the codedance CLI against the local stack', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'codedance-cli-'));
    local = await startClusters({ names: ['default'] });
    const cluster = local.clusters[0]!;
    for (const app of ['myapp', 'crashy']) {
      await seedDemoApp({ kubeconfigPath: cluster.kubeconfigPath, namespace: 'production', app, image: `${app}:v1`, provider: 'istio' });
    }
    const infoFile = join(work, 'info.json');
    const port = String(20000 + Math.floor(Math.random() * 20000));
    stack = spawn('npm', ['run', 'start:api', '--', '--port', port, '--stage', `clitest${port}`, '--info-file', infoFile], {
      cwd: ROOT,
      env: {
        ...process.env, CODEDANCE_API_TOKEN: ADMIN, CODEDANCE_LAMBDA_PORT: String(Number(port) + 1),
        CODEDANCE_API_TOKENS: JSON.stringify([
          { name: 'cli-admin', token: ADMIN, role: 'admin' }, { name: 'cli-viewer', token: VIEWER, role: 'viewer' }, { name: 'cli-deployer', token: DEPLOYER, role: 'deployer' },
        ]),
        // The engine uses the least-privileged token bound to its ClusterRole, as in infra/local/full-stack.ts.
        CODEDANCE_CLUSTERS: JSON.stringify([{ name: 'default', kubeconfig: { path: cluster.engineKubeconfigPath } }]),
      },
      detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    stack.stdout?.on('data', (d) => { output += String(d); });
    stack.stderr?.on('data', (d) => { output += String(d); });
    await waitUntil('start:api to print ready', async () => /^ready$/m.test(output) || (stack.exitCode !== null ? Promise.reject(new Error(output)) : false), 300_000, 250);
    base = JSON.parse(readFileSync(infoFile, 'utf8')).url;
  }, 600_000);

  afterAll(async () => {
    if (stack?.pid) {
      process.kill(-stack.pid, 'SIGTERM');
      await new Promise((r) => stack.once('exit', r));
    }
    await local?.stop();
  });

  it('serves the OpenAPI document at /openapi.json without a token', async () => {
    const response = await fetch(`${base}/openapi.json`);
    expect(response.status).toBe(200);
    const doc: any = await response.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/rollouts', '/rollouts/{id}/{action}', '/releases/{id}']));
  });

  it('a bad file prints every field path and exits 2, before and after the API', async () => {
    const local = await codedance(['apply', '-f', join(ROOT, 'examples/cli/bad-rollout.yaml')]);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('spec.strategy.steps[0].weight: must be between 1 and 100');
    expect(local.stderr).toContain('spec.colour: is not a known field');
    // Valid on its own, refused by the API, which knows the registered clusters.
    const remote = await codedance(['apply', '-f', file('mars.yaml', rolloutDoc('myapp', { canaryVersion: 'myapp:v9', cluster: 'mars' }))]);
    expect(remote.code).toBe(2);
    expect(remote.stderr).toContain('error: UnknownCluster (HTTP 400): Cluster "mars" is not registered');
    expect(remote.stderr).toContain('  spec.cluster: must be one of: default');
  });

  it('a viewer token is refused with exit 4 naming the role it lacks', async () => {
    const r = await codedance(['apply', '-f', join(ROOT, 'examples/cli/manual.yaml')], { token: VIEWER });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('This action needs the deployer role; token "cli-viewer" has viewer');
    expect(r.stderr).toContain('`codedance apply` needs a token with the deployer role');
    const list = await codedance(['list'], { token: 'not-a-valid-token-at-all' });
    expect(list.code).toBe(4);
    expect(list.stderr).toContain('Unauthorized (HTTP 401)');
  });

  it('a Manual rollout: apply, approve moves it on, list shows it, watch exits 0 on Completed', async () => {
    const applied = await codedance(['apply', '-f', '-'], { input: readFileSync(join(ROOT, 'examples/cli/manual.yaml'), 'utf8') });
    expect(applied.code, applied.stderr).toBe(0);
    const id = idFrom(applied.stdout);
    expect(applied.stdout).toMatch(/^rollout ro_\w+ created: myapp production\/myapp on cluster default -> myapp:v2.0.0/);

    const waiting = await waitUntil('the first approval gate', async () => {
      const v = await getJson(id);
      return v.phase === 'Paused' && v.pause?.reason === 'AwaitingApproval' ? v : undefined;
    }, 120_000, 500);
    expect(waiting).toMatchObject({ canaryWeight: 0, step: { index: -1 } });

    const listed = await codedance(['list', '--namespace', 'production', '--phase', 'Paused']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+myapp\\s+production\\s+default\\s+Paused \\(AwaitingApproval\\)\\s+0/2\\s+0%`, 'm'));

    const timedOut = await codedance(['watch', id, '--timeout', '2s', '--interval', '500ms']);
    expect(timedOut.code).toBe(3);
    expect(timedOut.stderr).toContain(`rollout ${id} is still Paused`);

    const refused = await codedance(['approve', id], { token: DEPLOYER });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('needs the approver role');

    const approved = await codedance(['approve', id, '--comment', 'ship step 1']);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`approve ${id}: accepted`);
    const moved = await waitUntil('step 1 at 50%', async () => {
      const v = await getJson(id);
      return v.canaryWeight === 50 ? v : undefined;
    }, 60_000, 500);
    expect(moved.approvals[0]).toMatchObject({ decision: 'approved', actor: { id: 'cli-admin' }, comment: 'ship step 1' });

    const watching = codedance(['watch', id, '--interval', '500ms', '--timeout', '3m']);
    await waitUntil('the second approval gate', async () => (await getJson(id)).pause?.reason === 'AwaitingApproval', 60_000, 500);
    expect((await codedance(['approve', id])).code).toBe(0);
    const watched = await watching;
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toContain('phase Completed');
    expect(watched.stdout).toMatch(/step 1\/2\s+\[##########----------\]\s+50%/);
    expect(watched.stdout).not.toContain('\x1b[');

    const events = await codedance(['events', id]);
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(/RolloutStarted[\s\S]*ApprovalRequested[\s\S]*Completed/);
  });

  it('a crash-looping canary: watch exits 1 with the reason', async () => {
    const path = file('crashy.yaml', rolloutDoc('crashy', {
      canaryVersion: 'crashy:v2-crash', autoRollback: { enabled: true, onPodCrash: true },
      strategy: { type: 'Linear', steps: [{ weight: 50, pause: '0s' }, { weight: 100, pause: '0s' }] },
    }));
    const applied = await codedance(['apply', '-f', path, '-o', 'json']);
    expect(applied.code, applied.stderr).toBe(0);
    const id = JSON.parse(applied.stdout).id;
    const watched = await codedance(['watch', id, '--interval', '500ms', '--timeout', '3m']);
    expect(watched.code, watched.stdout + watched.stderr).toBe(1);
    expect(watched.stdout).toContain('phase Failed (PodCrash)');
    expect(watched.stdout).toMatch(/last: .*crashy-canary-[a-z0-9-]+ is CrashLoopBackOff/);
  });

  it('releases: apply prints the id, get prints the matrix, list shows it; a viewer cannot cancel', async () => {
    const path = file('release.yaml', {
      apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'Release', metadata: { name: 'cli-release' },
      spec: {
        services: [{ targetDeployment: 'ledger', namespace: 'finance', image: 'ledger:2' }, { targetDeployment: 'audit', namespace: 'finance', image: 'audit:2' }],
        waves: [{ name: 'only', clusters: ['default'], approval: true }],
      },
    });
    const applied = await codedance(['apply', '-f', path]);
    expect(applied.code, applied.stderr).toBe(0);
    const id = /\b(rel_[A-Za-z0-9]+)\b/.exec(applied.stdout)?.[1] ?? '';
    expect(id).not.toBe('');
    const got = await codedance(['releases', 'get', id]);
    expect(got.code, got.stderr).toBe(0);
    expect(got.stdout).toMatch(/^SERVICE\s+default$/m);
    expect(got.stdout).toMatch(/^ledger\s+\w+$/m);
    expect(got.stdout).toMatch(/^audit\s+\w+$/m);
    expect((await codedance(['releases', 'list'])).stdout).toContain(id);
    const refused = await codedance(['releases', 'cancel', id], { token: VIEWER });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('needs the deployer role');
    const cancelled = await codedance(['releases', 'cancel', id, '--comment', 'test over']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const watched = await codedance(['releases', 'watch', id, '--interval', '500ms', '--timeout', '1m']);
    expect(watched.code, watched.stdout + watched.stderr).toBe(1);
    expect(watched.stdout).toContain('phase Cancelled');
  });
});
