import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { documentWith } from '../support/fixtures.js';
import { waitUntil } from '../support/engine-harness.js';

/**
 * The HTTP API as a user meets it: `npm run start:api` (DynamoDB Local, local-aws-sqs,
 * serverless-offline with the esbuild bundles), driven over HTTP.
 */
const TOKEN = 'api-test-token-0123456789abcdef';
let stack: ChildProcess;
let base = '';

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    method, body, headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/yaml' } : {}), ...headers },
  });
  const text = await response.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: response.status, json, text };
}

const yamlOf = (doc: unknown): string => stringify(doc);
const example = (name: string): string => readFileSync(`examples/${name}.yaml`, 'utf8');

describe('HTTP API over serverless-offline', () => {
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'codedance-api-'));
    const infoFile = join(dir, 'info.json');
    const port = String(20000 + Math.floor(Math.random() * 20000));
    stack = spawn('npm', ['run', 'start:api', '--', '--port', port, '--stage', `apitest${port}`, '--info-file', infoFile], {
      env: {
        ...process.env, CODEDANCE_API_TOKEN: TOKEN, CODEDANCE_LAMBDA_PORT: String(Number(port) + 1),
        // Registered but unreachable: these tests exercise the API, not the cluster.
        CODEDANCE_CLUSTERS: JSON.stringify([{ name: 'default', token: { server: 'https://127.0.0.1:9', token: 'unused' } }, { name: 'eu-prod', token: { server: 'https://127.0.0.1:9', token: 'unused' } }]),
      },
      detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    stack.stdout?.on('data', (d) => { output += String(d); });
    stack.stderr?.on('data', (d) => { output += String(d); });
    await waitUntil('start:api to print ready', async () => /^ready$/m.test(output) || (stack.exitCode !== null ? Promise.reject(new Error(output)) : false), 240_000, 250);
    const info = JSON.parse(readFileSync(infoFile, 'utf8'));
    base = info.url;
  }, 300_000);

  afterAll(async () => {
    if (stack?.pid) {
      process.kill(-stack.pid, 'SIGTERM');
      await new Promise((r) => stack.once('exit', r));
    }
  });

  it('answers /healthz without a token', async () => {
    const r = await fetch(`${base}/healthz`);
    expect(r.status).toBe(200);
  });

  it('accepts both example documents as YAML, and they can be read and listed', async () => {
    const order = await call('POST', '/rollouts', example('order-service'));
    expect(order.status, order.text).toBe(201);
    expect(order.json).toMatchObject({ name: 'order-service', namespace: 'production', phase: 'Initializing', canaryImage: 'order-service:v2.0.0' });
    const myapp = await call('POST', '/rollouts', example('myapp'));
    expect(myapp.status, myapp.text).toBe(201);

    const read = await call('GET', `/rollouts/${myapp.json.id}`);
    expect(read.json).toMatchObject({ id: myapp.json.id, name: 'myapp', spec: { steps: [{ weight: 10 }, { weight: 50 }, { weight: 100 }] } });
    const listed = await call('GET', '/rollouts?namespace=production&cluster=default');
    expect(listed.json.items.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining([order.json.id, myapp.json.id]));
    const events = await call('GET', `/rollouts/${myapp.json.id}/events`);
    expect(events.json.items[0]).toMatchObject({ type: 'RolloutStarted', actor: { id: 'local-admin', via: 'api' } });
  });

  it('accepts JSON, filters by phase and paginates with a cursor', async () => {
    const doc = documentWith({ targetDeployment: 'json-app', cluster: 'eu-prod' }, { name: 'json-app' });
    const created = await call('POST', '/rollouts', JSON.stringify(doc), { 'content-type': 'application/json' });
    expect(created.status, created.text).toBe(201);
    expect((await call('GET', '/rollouts?cluster=eu-prod')).json.items.map((r: { id: string }) => r.id)).toEqual([created.json.id]);
    expect((await call('GET', '/rollouts?phase=Completed')).json.items).toEqual([]);
    const first = await call('GET', '/rollouts?limit=1');
    expect(first.json.items).toHaveLength(1);
    const second = await call('GET', `/rollouts?limit=1&cursor=${encodeURIComponent(first.json.nextCursor)}`);
    expect(second.json.items[0].id).not.toBe(first.json.items[0].id);
    expect((await call('GET', '/rollouts?phase=Sideways')).json.error.details[0].path).toBe('phase');
  });

  it('refuses a second rollout of an active target, naming the active one', async () => {
    const doc = yamlOf(documentWith({ targetDeployment: 'twice' }, { name: 'twice' }));
    const first = await call('POST', '/rollouts', doc);
    const second = await call('POST', '/rollouts', doc);
    expect(second.status).toBe(409);
    expect(second.json.error.message).toContain(first.json.id);
  });

  it('lists every validation problem with its field path', async () => {
    const bad = yamlOf(documentWith({ targetDeployment: 'Bad_Name', canaryVersion: undefined, strategy: { type: 'Linear', steps: [{ weight: 50, pause: '5 min' }, { weight: 20 }] }, color: 'red' }));
    const r = await call('POST', '/rollouts', bad);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe('ValidationFailed');
    expect(r.json.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining([
      'spec.targetDeployment', 'spec.canaryVersion', 'spec.strategy.steps[0].pause', 'spec.color',
    ]));
  });

  it('names the registered clusters for an unknown one', async () => {
    const r = await call('POST', '/rollouts', yamlOf(documentWith({ cluster: 'mars', targetDeployment: 'orbiter' })));
    expect(r.status).toBe(400);
    expect(r.json.error.details).toEqual([{ path: 'spec.cluster', message: 'must be one of: default, eu-prod' }]);
  });

  it('401 for a missing or wrong token, and nothing changes', async () => {
    const before = (await call('GET', '/rollouts?limit=200')).json.items.length;
    expect((await call('POST', '/rollouts', example('myapp'), { authorization: '' })).status).toBe(401);
    const wrong = await call('POST', '/rollouts', yamlOf(documentWith({ targetDeployment: 'sneaky' })), { authorization: 'Bearer not-the-token-at-all' });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe('Unauthorized');
    expect((await call('GET', '/rollouts?limit=200')).json.items.length).toBe(before);
    expect((await call('GET', '/rollouts', undefined, { authorization: '' })).status).toBe(401);
  });

  it('413 over 256 KiB, 415 for other content types, 400 with line and column for bad syntax', async () => {
    const big = await call('POST', '/rollouts', `# ${'x'.repeat(256 * 1024)}\n`);
    expect(big.status).toBe(413);
    expect((await call('POST', '/rollouts', 'a=1', { 'content-type': 'text/plain' })).status).toBe(415);
    const yaml = await call('POST', '/rollouts', 'metadata:\n  name: [oops\n');
    expect(yaml.status).toBe(400);
    expect(yaml.json.error.message).toMatch(/line \d+, column \d+/);
    const json = await call('POST', '/rollouts', '{"apiVersion": }', { 'content-type': 'application/json' });
    expect(json.status).toBe(400);
    expect(json.json.error.message).toMatch(/line 1, column 16/);
  });

  it('abort is applied once; a second abort is a 409 saying what happened', async () => {
    const created = await call('POST', '/rollouts', yamlOf(documentWith({ targetDeployment: 'abortable' }, { name: 'abortable' })));
    const first = await call('POST', `/rollouts/${created.json.id}/abort`, JSON.stringify({ comment: 'bad idea' }), { 'content-type': 'application/json' });
    expect(first.status, first.text).toBe(200);
    expect(first.json.phase).toBe('RollingBack');
    const second = await call('POST', `/rollouts/${created.json.id}/abort`);
    expect(second.status).toBe(409);
    expect(second.json.error.message).toMatch(/Aborted/);
    expect((await call('POST', `/rollouts/${created.json.id}/dance`)).status).toBe(404);
    expect((await call('GET', '/rollouts/ro_doesnotexist')).status).toBe(404);
  });
  it('takes a Release, shows its matrix, and pauses, resumes and cancels it', async () => {
    const release = {
      apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'Release', metadata: { name: 'later' },
      spec: {
        services: [{ targetDeployment: 'payments', namespace: 'shop', image: 'payments:2' }, { targetDeployment: 'orders', namespace: 'shop', image: 'orders:2' }],
        waves: [{ name: 'first', clusters: ['default'] }, { name: 'second', clusters: ['eu-prod'], approval: true }],
        schedule: { notBefore: '2099-01-01T00:00:00Z', windows: ['Mon-Fri 02:00-05:00 Europe/Berlin'] },
      },
    };
    const created = await call('POST', '/releases', yamlOf(release));
    expect(created.status, created.text).toBe(201);
    expect(created.json.phase).toBe('Pending');
    expect(created.json.message).toMatch(/starts after 2099/);
    expect(created.json.matrix.map((m: { service: string; cluster: string; phase: string }) => `${m.service}@${m.cluster}:${m.phase}`))
      .toEqual(['payments@default:Pending', 'orders@default:Pending', 'payments@eu-prod:Pending', 'orders@eu-prod:Pending']);
    const id = created.json.id;
    expect((await call('GET', `/releases/${id}`)).json.waves.map((w: { name: string }) => w.name)).toEqual(['first', 'second']);
    expect((await call('GET', '/releases')).json.items.some((r: { id: string }) => r.id === id)).toBe(true);
    expect((await call('POST', `/releases/${id}/pause`)).json.phase).toBe('Paused');
    expect((await call('POST', `/releases/${id}/resume`)).json.phase).toBe('Pending');
    const cancelled = await call('POST', `/releases/${id}/cancel`, JSON.stringify({ comment: 'not this week' }), { 'content-type': 'application/json' });
    expect(cancelled.json.phase).toBe('Cancelled');
    expect((await call('POST', `/releases/${id}/approve`)).status).toBe(409);
    const trail = (await call('GET', `/releases/${id}/events`)).json.items.map((e: { type: string }) => e.type);
    expect(trail).toEqual(['ReleaseCreated', 'ReleasePaused', 'ReleaseResumed', 'ReleaseCancelled']);
    const invalid = await call('POST', '/releases', yamlOf({ ...release, spec: { ...release.spec, waves: [{ name: 'x', clusters: ['mars'] }] } }));
    expect(invalid.status).toBe(400);
    expect(invalid.json.error.details[0].path).toBe('spec.waves[0].clusters[0]');
  });
});
