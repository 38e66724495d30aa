import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { localDynamoDb } from '../../infra/local/aws/clients.js';
import { startLocalApi, type LocalApi } from '../../infra/local/api-stack.js';
import { freePort } from '../../infra/local/child-processes.js';
import { seedDemoApp } from '../../infra/local/demo/seed.js';
import { startClusters, type LocalClusters } from '../../infra/local/kubernetes/launcher.js';
import { DynamoRolloutStore } from '../../lib/adapters/dynamodb/rollout-store.js';
import { rolloutIdFor } from '../../lib/app/sync-objects.js';
import type { RolloutState } from '../../lib/domain/state.js';
import { waitUntil } from '../support/engine-harness.js';
import { documentWith } from '../support/fixtures.js';

/**
 * The admission webhook push on the real local control plane: a kube-apiserver calls the engine's API
 * (serverless-offline over HTTPS, certificate from the local CA) through the ValidatingWebhookConfiguration
 * of infra/k8s/webhook/webhook.yaml, filled in with the real URL and caBundle. `kubectl apply` starts the
 * rollout inside the webhook call; a dry run and a wrong secret start nothing; `kubectl delete` aborts.
 *
 * serverless-offline also runs the scheduled cluster sync (every minute, on the minute). It is the safety
 * net, so it may start what the push missed; the assertions tell the two apart by the handlers' own log
 * lines ("admission sync" from the push, "cluster sync" from the pass) rather than by timing.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const CLUSTER = 'hooked';
const NAMESPACE = 'webhook-test';
const SECRET = randomBytes(24).toString('hex');
const WRONG_SECRET = randomBytes(24).toString('hex');
/** Objects with this label go only to the webhook whose URL carries the wrong secret. */
const ROUTE_LABEL = 'codedance.io/webhook-test';
const APPS = ['alpha', 'beta', 'gamma', 'dry', 'wrong', 'race'];

let local: LocalClusters;
let api: LocalApi;
let store: DynamoRolloutStore;
let baseDir = '';
let admin = '';
const output: string[] = [];
const samples: Array<{ app: string; rolloutMs: number; kubectlMs: number }> = [];
/** Objects the on-demand passes (POST /sync) started: they are sync passes too, and see every object. */
const onDemandStarted: string[] = [];

interface Ran { code: number | null; stdout: string; stderr: string }
function run(cmd: string, args: string[], input?: string): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += String(d); });
    child.stderr.on('data', (d) => { stderr += String(d); });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}
const kubectl = (args: string[], input?: string) => run('kubectl', ['--kubeconfig', admin, ...args], input);
async function ok(ran: Promise<Ran>, what: string): Promise<string> {
  const r = await ran;
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Over HTTPS, trusting only the local CA (as any client of the local API must). */
function callApi(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }> {
  return new Promise((done, fail) => {
    const req = httpsRequest(`${api.url}${path}`, {
      method, ca: api.tls?.caPem, timeout: 30_000,
      headers: { authorization: `Bearer ${api.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += String(d); });
      res.on('end', () => { try { done({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }); } catch (e) { fail(e); } });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** infra/k8s/webhook/webhook.yaml with its placeholders filled in, as a user would with envsubst. */
function webhookConfiguration(values: Record<string, string>): { metadata: { name: string }; webhooks: Array<Record<string, unknown>> } {
  const template = readFileSync(join(ROOT, 'infra/k8s/webhook/webhook.yaml'), 'utf8');
  const rendered = template.replace(/\$\{(\w+)\}/g, (_m, key: string) => {
    if (values[key] === undefined) throw new Error(`no value for the template's \${${key}}`);
    return values[key];
  });
  return parse(rendered);
}

function canary(app: string, labels: Record<string, string> = {}): string {
  const doc = documentWith({
    targetDeployment: app, canaryVersion: `${app}:v2`,
    // A long first pause: the rollout is still running when the test deletes its object.
    strategy: { type: 'Linear', steps: [{ weight: 20, pause: '1h' }, { weight: 100 }] },
    analysis: { interval: '30s', inconclusiveLimit: 100_000 },
  }, { name: app, namespace: NAMESPACE, labels });
  return JSON.stringify(doc);
}

const uidOf = async (name: string) => (await ok(kubectl(['get', 'canarydeployment', name, '-n', NAMESPACE, '-o', 'jsonpath={.metadata.uid}']), `get ${name}`)).trim();
const rolloutOf = (uid: string, generation = 1) => store.get(rolloutIdFor(CLUSTER, uid, generation));
/** Every rollout of the target in the store (any phase). */
const rolloutsFor = async (app: string): Promise<RolloutState[]> =>
  (await store.list({ cluster: CLUSTER, namespace: NAMESPACE, limit: 200 })).items.filter((s) => s.spec.targetDeployment === app);
/** The JSON log lines of the handlers, by message. */
const logLines = (msg: string): Array<Record<string, any>> => output.flatMap((line) => {
  const start = line.indexOf('{"level"');
  if (start < 0) return [];
  try {
    const parsed = JSON.parse(line.slice(start)) as Record<string, any>;
    return parsed.msg === msg ? [parsed] : [];
  } catch {
    return [];
  }
});
const pushed = (app: string) => logLines('admission sync').filter((l) => l.name === app);
const reviewed = (app: string) => logLines('admission review').filter((l) => l.name === app);
const passStarted = (app: string) => logLines('cluster sync').some((l) => (l.started ?? []).includes(`${NAMESPACE}/${app}`));

/** kubectl apply, and how long until the rollout of the object's first generation is in the store. */
async function applyAndTime(app: string): Promise<{ uid: string; rollout: RolloutState }> {
  const began = Date.now();
  let kubectlMs = 0;
  const applying = ok(kubectl(['apply', '-o', 'jsonpath={.metadata.uid}', '-f', '-'], canary(app)), `apply ${app}`).then((uid) => { kubectlMs = Date.now() - began; return uid.trim(); });
  const rollout = await waitUntil(`a rollout for ${app}`, async () => (await rolloutsFor(app)).find((s) => s.source?.name === app), 30_000, 50);
  samples.push({ app, rolloutMs: Date.now() - began, kubectlMs: (await applying, kubectlMs) });
  return { uid: await applying, rollout };
}

describe('admission webhook push on the local control plane', () => {
  beforeAll(async () => {
    baseDir = mkdtempSync(join(tmpdir(), 'codedance-webhook-'));
    local = await startClusters({ names: [CLUSTER], baseDir });
    const cluster = local.clusters[0]!;
    admin = cluster.kubeconfigPath;
    await Promise.all(APPS.map((app) => seedDemoApp({ kubeconfigPath: admin, namespace: NAMESPACE, app, image: `${app}:v1`, provider: 'istio' })));
    const port = await freePort();
    api = await startLocalApi({
      port, stage: `webhook${port}`, https: true,
      log: (line) => output.push(line), offlineOutput: (line) => output.push(line),
      env: {
        ...process.env,
        CODEDANCE_LOG_LEVEL: 'info',
        CODEDANCE_CLUSTERS: JSON.stringify([{ name: CLUSTER, kubeconfig: { path: cluster.engineKubeconfigPath }, webhookSecret: SECRET }]),
      },
    });
    store = new DynamoRolloutStore(localDynamoDb(api.dynamodbEndpoint), api.resources.tableName);

    // Two configurations from the template: the real one, and one whose URL carries a wrong secret; an
    // object selector sends each object to exactly one of them.
    const values = { API_HOST: api.url.replace(/^https:\/\//, ''), CLUSTER, CA_BUNDLE: api.tls!.caBundle };
    const right = webhookConfiguration({ ...values, WEBHOOK_SECRET: SECRET });
    right.webhooks[0]!.objectSelector = { matchExpressions: [{ key: ROUTE_LABEL, operator: 'NotIn', values: ['wrong-secret'] }] };
    const wrong = webhookConfiguration({ ...values, WEBHOOK_SECRET: WRONG_SECRET });
    wrong.metadata.name = 'codedance-engine-wrong-secret';
    Object.assign(wrong.webhooks[0]!, { name: 'wrong-secret.canarydeployments.deploy.codedance.io', objectSelector: { matchLabels: { [ROUTE_LABEL]: 'wrong-secret' } } });
    await ok(kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [right, wrong] })), 'apply the webhook configurations');
  }, 900_000);

  afterAll(async () => {
    // Measured on this run (see the report): kubectl apply → rollout in the store.
    if (samples.length) process.stderr.write(`[admission-webhook] apply → rollout: ${samples.map((s) => `${s.app} ${s.rolloutMs} ms (kubectl ${s.kubectlMs} ms)`).join(', ')}\n`);
    await api?.stop();
    await local?.stop();
    if (baseDir) rmSync(baseDir, { recursive: true, force: true });
  });

  it('a server-side dry run reaches the webhook and starts nothing', async () => {
    // The apiserver loads new webhook configurations within moments; until then a dry run is not sent to us.
    const uid = await waitUntil('the dry run to reach the webhook', async () => {
      const dry = await ok(kubectl(['apply', '--dry-run=server', '-o', 'jsonpath={.metadata.uid}', '-f', '-'], canary('dry')), 'dry-run apply');
      return (await waitUntil('review', async () => reviewed('dry').length > 0, 3_000, 100).catch(() => false)) && dry.trim();
    }, 60_000, 0);

    await new Promise((r) => setTimeout(r, 3_000));
    expect(reviewed('dry').every((l) => l.dryRun === true)).toBe(true);
    expect(pushed('dry')).toEqual([]);
    expect((await kubectl(['get', 'canarydeployment', 'dry', '-n', NAMESPACE])).code).not.toBe(0);
    expect(await rolloutOf(uid)).toBeUndefined();
    expect(await rolloutsFor('dry')).toEqual([]);
  });

  it('kubectl apply starts the rollout within the webhook call, without a sync pass', async () => {
    for (const app of ['alpha', 'beta', 'gamma']) {
      const { uid, rollout } = await applyAndTime(app);

      expect(rollout).toMatchObject({ source: { cluster: CLUSTER, namespace: NAMESPACE, name: app, uid, generation: 1 }, spec: { cluster: CLUSTER, targetDeployment: app } });
      // The handler logs after the store write; its line reaches us through serverless-offline a moment later.
      await waitUntil(`the push's log line for ${app}`, async () => pushed(app).length > 0, 10_000, 50);
      expect(pushed(app)).toEqual([expect.objectContaining({ cluster: CLUSTER, namespace: NAMESPACE, uid, started: [`${NAMESPACE}/${app}`] })]);
      expect(passStarted(app)).toBe(false);
    }
    expect(samples.every((s) => s.rolloutMs < 10_000), JSON.stringify(samples)).toBe(true);
    // The API answers its clients over the same HTTPS endpoint, trusting the local CA.
    const read = await callApi('GET', `/rollouts/${rolloutIdFor(CLUSTER, await uidOf('alpha'), 1)}`);
    expect(read).toMatchObject({ status: 200, json: { name: 'alpha', spec: { cluster: CLUSTER } } });
  });

  it('a webhook URL with a wrong secret is refused (403), the object is admitted anyway, and the push starts nothing', async () => {
    await ok(kubectl(['apply', '-f', '-'], canary('wrong', { [ROUTE_LABEL]: 'wrong-secret' })), 'apply wrong');
    const uid = await uidOf('wrong');
    await new Promise((r) => setTimeout(r, 5_000));

    const apiserverLog = readFileSync(join(baseDir, CLUSTER, 'kube-apiserver.log'), 'utf8');
    const failedOpen = apiserverLog.split('\n').filter((l) => l.includes('failing open wrong-secret.canarydeployments.deploy.codedance.io'));
    process.stderr.write(`[admission-webhook] apiserver: ${failedOpen[0]?.replace(WRONG_SECRET, '<wrong secret>')}\n`);
    expect(failedOpen.length).toBeGreaterThan(0);
    expect(failedOpen[0]).toContain('codedance: The webhook secret is not valid for this cluster');
    expect(reviewed('wrong')).toEqual([]);
    // Only the scheduled pass (the safety net) may have started it by now; never the push.
    if (!passStarted('wrong')) expect(await rolloutOf(uid)).toBeUndefined();
  });

  it('push, redelivered push and sync passes racing for one generation start exactly one rollout', async () => {
    const syncs = [0, 150, 400, 900].map((delay) => new Promise((r) => setTimeout(r, delay)).then(() => callApi('POST', '/sync')));
    await ok(kubectl(['apply', '-f', '-'], canary('race')), 'apply race');
    const uid = await uidOf('race');
    // What the apiserver would send again after a lost answer.
    const object = JSON.parse(await ok(kubectl(['get', 'canarydeployment', 'race', '-n', NAMESPACE, '-o', 'json']), 'get race'));
    const redelivered = await callApiAs(`/admission/${CLUSTER}/${SECRET}`, {
      apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      request: { uid: 'redelivered-0001', kind: { group: 'deploy.codedance.io', version: 'v1alpha1', kind: 'CanaryDeployment' }, operation: 'CREATE', namespace: NAMESPACE, name: 'race', object },
    });
    const passes = await Promise.all([...syncs, callApi('POST', '/sync')]);
    onDemandStarted.push(...passes.flatMap((p) => (p.json?.clusters ?? []).flatMap((c: { started?: string[] }) => c.started ?? [])));

    expect(redelivered).toEqual({ status: 200, json: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'redelivered-0001', allowed: true } } });
    expect(passes.map((p) => p.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await rolloutsFor('race')).map((s) => s.id)).toEqual([rolloutIdFor(CLUSTER, uid, 1)]);
  });

  it('kubectl delete aborts the running rollout at once', async () => {
    const uid = await uidOf('alpha');
    await ok(kubectl(['delete', 'canarydeployment', 'alpha', '-n', NAMESPACE, '--wait=false']), 'delete alpha');

    const aborted = await waitUntil('alpha aborted', async () => {
      const s = await rolloutOf(uid);
      return s && (s.phase === 'RollingBack' || (s.phase === 'Failed' && s.failure?.reason === 'Aborted')) ? s : undefined;
    }, 15_000, 50);
    expect(aborted.id).toBe(rolloutIdFor(CLUSTER, uid, 1));
    await waitUntil('the push\'s log line for the delete', async () => pushed('alpha').some((l) => (l.ended ?? []).length > 0), 10_000, 50);
    expect(pushed('alpha').some((l) => (l.ended ?? []).includes(aborted.id))).toBe(true);
  });

  it('the safety net: a sync pass starts what the wrong-secret push could not', async () => {
    const uid = await uidOf('wrong');
    // The scheduled pass (every minute), unless one of the racing on-demand passes above got there first.
    const started = await waitUntil('a sync pass to start wrong', async () => rolloutOf(uid), 80_000, 500);
    await waitUntil('the pass that started it', async () => passStarted('wrong') || onDemandStarted.includes(`${NAMESPACE}/wrong`), 10_000, 100);

    expect(started.source).toMatchObject({ name: 'wrong', generation: 1 });
    expect(pushed('wrong')).toEqual([]);
  }, 120_000);

  it('never prints the webhook secret', () => {
    expect(output.some((l) => l.includes('/admission/'))).toBe(true);
    expect(output.join('\n')).not.toContain(SECRET);
  });
});

/** A POST with no bearer token (the path secret is the credential), over HTTPS with the local CA. */
function callApiAs(path: string, body: unknown): Promise<{ status: number; json: any }> {
  return new Promise((done, fail) => {
    const req = httpsRequest(`${api.url}${path}`, { method: 'POST', ca: api.tls?.caPem, timeout: 30_000, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => { text += String(d); });
      res.on('end', () => { try { done({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }); } catch (e) { fail(e); } });
    });
    req.on('timeout', () => req.destroy(new Error(`POST ${path} timed out`)));
    req.on('error', fail);
    req.end(JSON.stringify(body));
  });
}
