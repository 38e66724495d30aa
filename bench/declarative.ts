/**
 * The declarative door (issue 13): how soon `kubectl apply` of a CanaryDeployment becomes a rollout's first
 * tick, by push (admission webhook) and by the scheduled sync alone, and what one sync pass over 3 clusters
 * × 500 objects costs.
 *
 *   push  the API over HTTPS (serverless-offline, as test/integration/admission-webhook.test.ts runs it) on
 *         one local cluster with infra/k8s/webhook/webhook.yaml applied; targets seeded with seedDemoApp.
 *         Time from starting `kubectl apply` to the rollout's state having tickSeq ≥ 1 (polled every 50 ms).
 *   sync  the same API and cluster after deleting the webhook configuration: the scheduled cluster-sync
 *         function (rate(1 minute), run by serverless-offline) is the only trigger. Samples run one after
 *         another, each applied after a random 0–60 s wait, so each lands at a random point of the minute.
 *   pass  3 local clusters (a, b, c) × 500 CanaryDeployment objects (distinct targets that do not exist),
 *         the engine in this process on DynamoDB Local + local-aws-sqs. The first pass starts 1,500 rollouts
 *         (no tick consumer runs, so nothing touches the missing targets); the steady-state passes after it
 *         find every generation's rollout id in the store. Apiserver requests are counted per request at the
 *         connection (ApiConnection.requestOptions is called once per request sent), DynamoDB requests by an
 *         SDK middleware on the client the engine's store uses.
 */
import { execSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { localDynamoDb } from '../infra/local/aws/clients.js';
import { startDynamoDbLocal } from '../infra/local/aws/dynamodb.js';
import { createResourcesFromServerlessYml } from '../infra/local/aws/resources.js';
import { startSqsLocal } from '../infra/local/aws/sqs.js';
import { startLocalApi, type LocalApi } from '../infra/local/api-stack.js';
import { freePort } from '../infra/local/child-processes.js';
import { seedDemoApp } from '../infra/local/demo/seed.js';
import { startClusters, type LocalClusters } from '../infra/local/kubernetes/launcher.js';
import { DynamoRolloutStore } from '../lib/adapters/dynamodb/rollout-store.js';
import { KubernetesCanaryObjects } from '../lib/adapters/kubernetes/canary-objects.js';
import { connect, createKubeClients } from '../lib/adapters/kubernetes/client.js';
import { createClusterRegistry } from '../lib/adapters/kubernetes/registry.js';
import { syncAllClusters, type SyncReport } from '../lib/app/sync-objects.js';
import type { RolloutState } from '../lib/domain/state.js';
import { getDependencies, overrideDependencies, resetDependencies } from '../functions/wiring.js';
import { documentWith } from '../test/support/fixtures.js';
import { percentile, round } from './stats.js';

const ROOT = resolve(import.meta.dirname, '..');
const CLUSTER = 'hooked';
const NAMESPACE = 'bench-declarative';
export const DECLARATIVE_TARGETS = { pushP50Ms: 2_000, syncMaxMs: 60_000 } as const;

type Counts = Record<string, number>;
interface Dist { n: number; p50: number; p90: number; max: number; samplesMs: number[] }
export interface DeclarativeResult {
  push: Dist & { kubectlMs: Dist; coldFirstMs: number; startedBy: Counts };
  sync: Dist & { startedBy: Counts; period: string; applyOffsetsMs: number[] };
  pass: {
    clusters: number; objectsPerCluster: number;
    firstPass: { wallMs: number; started: number; apiserver: Counts; dynamodb: Counts };
    steadyPasses: Array<{ wallMs: number; started: number; apiserver: Counts; dynamodb: Counts }>;
  };
  load: { uptime: string; cores: number };
}

const dist = (samples: number[]): Dist => ({ n: samples.length, p50: percentile(samples, 50), p90: percentile(samples, 90), max: Math.max(...samples), samplesMs: samples });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const uptime = (): string => { try { return execSync('uptime', { encoding: 'utf8' }).trim(); } catch { return `load average ${loadavg().map((l) => round(l)).join(', ')}`; } };

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
async function ok(ran: Promise<Ran>, what: string): Promise<string> {
  const r = await ran;
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}: ${r.stderr || r.stdout}`);
  return r.stdout;
}
async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, everyMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function webhookConfiguration(values: Record<string, string>): unknown {
  const template = readFileSync(join(ROOT, 'infra/k8s/webhook/webhook.yaml'), 'utf8');
  return parse(template.replace(/\$\{(\w+)\}/g, (_m, key: string) => {
    if (values[key] === undefined) throw new Error(`no value for the template's \${${key}}`);
    return values[key];
  }));
}

/** A valid CanaryDeployment for a seeded app; a long first pause (only the first tick matters here). */
const canary = (app: string) => JSON.stringify(documentWith({
  targetDeployment: app, canaryVersion: `${app}:v2`,
  strategy: { type: 'Linear', steps: [{ weight: 20, pause: '1h' }, { weight: 100 }] },
  analysis: { interval: '30s', inconclusiveLimit: 100_000 },
}, { name: app, namespace: NAMESPACE }));

/** Part 1 and 2: one cluster, the API over HTTPS with serverless-offline. */
async function benchLatency(log: (line: string) => void, pushSamples: number, syncSamples: number): Promise<Pick<DeclarativeResult, 'push' | 'sync'>> {
  const baseDir = mkdtempSync(join(tmpdir(), 'codedance-bench-decl-'));
  const output: string[] = [];
  let local: LocalClusters | undefined;
  let api: LocalApi | undefined;
  try {
    log('[declarative] starting one local cluster ...');
    local = await startClusters({ names: [CLUSTER], baseDir, log: (l) => log(`[k8s] ${l}`) });
    const cluster = local.clusters[0]!;
    const kubectl = (args: string[], input?: string) => run('kubectl', ['--kubeconfig', cluster.kubeconfigPath, ...args], input);
    const pushApps = Array.from({ length: pushSamples + 1 }, (_, i) => `push-${i}`); // push-0: the cold first apply
    const syncApps = Array.from({ length: syncSamples }, (_, i) => `sync-${i}`);
    log(`[declarative] seeding ${pushApps.length + syncApps.length} demo apps ...`);
    for (const app of [...pushApps, ...syncApps]) await seedDemoApp({ kubeconfigPath: cluster.kubeconfigPath, namespace: NAMESPACE, app, image: `${app}:v1`, provider: 'istio' });
    const secret = randomBytes(24).toString('hex');
    const port = await freePort();
    log('[declarative] starting the API over HTTPS (serverless-offline) ...');
    api = await startLocalApi({
      port, stage: `bdecl${port}`, https: true, log: (l) => log(`[start-api] ${l}`), offlineOutput: (line) => output.push(line),
      env: { ...process.env, CODEDANCE_LOG_LEVEL: 'info', CODEDANCE_CLUSTERS: JSON.stringify([{ name: CLUSTER, kubeconfig: { path: cluster.engineKubeconfigPath }, webhookSecret: secret }]) },
    });
    const store = new DynamoRolloutStore(localDynamoDb(api.dynamodbEndpoint), api.resources.tableName);
    const rolloutFor = async (app: string): Promise<RolloutState | undefined> =>
      (await store.list({ cluster: CLUSTER, namespace: NAMESPACE, limit: 200 })).items.find((s) => s.spec.targetDeployment === app && s.source?.name === app);
    const logLines = (msg: string) => output.flatMap((line) => {
      const at = line.indexOf('{"level"');
      if (at < 0) return [];
      try { const p = JSON.parse(line.slice(at)) as Record<string, any>; return p.msg === msg ? [p] : []; } catch { return []; }
    });
    const startedBy = (apps: string[]): Counts => {
      const counts: Counts = {};
      for (const app of apps) {
        const push = logLines('admission sync').some((l) => (l.started ?? []).includes(`${NAMESPACE}/${app}`));
        const pass = logLines('cluster sync').some((l) => (l.started ?? []).includes(`${NAMESPACE}/${app}`));
        const by = push ? 'push' : pass ? 'scheduled pass' : 'unknown';
        counts[by] = (counts[by] ?? 0) + 1;
      }
      return counts;
    };
    /** kubectl apply → the rollout's state with tickSeq ≥ 1. */
    const applyToFirstTick = async (app: string, timeoutMs: number): Promise<{ ms: number; kubectlMs: number }> => {
      const began = performance.now();
      let kubectlMs = 0;
      const applying = ok(kubectl(['apply', '-f', '-'], canary(app)), `apply ${app}`).then(() => { kubectlMs = performance.now() - began; });
      await waitUntil(`first tick of ${app}`, async () => ((await rolloutFor(app))?.tickSeq ?? 0) >= 1, timeoutMs, 50);
      const ms = performance.now() - began;
      await applying;
      return { ms: Math.round(ms), kubectlMs: Math.round(kubectlMs) };
    };

    // Push.
    const hook = webhookConfiguration({ API_HOST: api.url.replace(/^https:\/\//, ''), CLUSTER, CA_BUNDLE: api.tls!.caBundle, WEBHOOK_SECRET: secret }) as { metadata: { name: string } };
    await ok(kubectl(['apply', '-f', '-'], JSON.stringify(hook)), 'apply the webhook configuration');
    // The apiserver loads a new webhook configuration within moments: wait until a dry run reaches us.
    await waitUntil('the webhook to be live', async () => {
      await ok(kubectl(['apply', '--dry-run=server', '-f', '-'], canary('push-0')), 'dry run');
      await sleep(300);
      return logLines('admission review').some((l) => l.name === 'push-0');
    }, 60_000, 200);
    log(`[declarative] push: webhook ${hook.metadata.name} live; ${pushApps.length} applies one after another (the first reported apart: cold handlers)`);
    const cold = await applyToFirstTick(pushApps[0]!, 60_000);
    const pushed: Array<{ ms: number; kubectlMs: number }> = [];
    for (const app of pushApps.slice(1)) {
      pushed.push(await applyToFirstTick(app, 60_000));
      log(`  ${app}: apply → first tick ${pushed.at(-1)!.ms} ms (kubectl apply returned after ${pushed.at(-1)!.kubectlMs} ms)`);
    }
    await sleep(1_000); // the handlers' log lines reach us through serverless-offline a moment later
    const push = { ...dist(pushed.map((p) => p.ms)), kubectlMs: dist(pushed.map((p) => p.kubectlMs)), coldFirstMs: cold.ms, startedBy: startedBy(pushApps.slice(1)) };

    // Sync only.
    await ok(kubectl(['delete', 'validatingwebhookconfiguration', hook.metadata.name]), 'delete the webhook configuration');
    await sleep(3_000);
    // One sample after another, each applied after a random 0–60 s wait: the previous sample ended just after
    // a pass, so each apply lands at an independent, uniformly random point of the schedule's minute.
    const window = 60_000;
    log(`[declarative] sync only: webhook configuration deleted; ${syncApps.length} samples one after another, each applied after a random 0–${window / 1000} s wait; the scheduled cluster-sync (rate(1 minute)) is the only trigger`);
    const offsets: number[] = [];
    const synced: number[] = [];
    for (const app of syncApps) {
      const offset = Math.round(Math.random() * window);
      offsets.push(offset);
      await sleep(offset);
      const r = await applyToFirstTick(app, 150_000);
      synced.push(r.ms);
      log(`  ${app}: applied after a ${round(offset / 1000, 1)} s wait, apply → first tick ${r.ms} ms`);
    }
    await sleep(1_000);
    const sync = { ...dist(synced), startedBy: startedBy(syncApps), period: 'the real schedule: rate(1 minute) run by serverless-offline', applyOffsetsMs: offsets };
    return { push, sync };
  } finally {
    await api?.stop();
    await local?.stop();
    rmSync(baseDir, { recursive: true, force: true });
  }
}

/** Part 3: 3 clusters × N objects, the engine in this process. */
async function benchPass(log: (line: string) => void, perCluster: number, steadyPasses: number): Promise<DeclarativeResult['pass']> {
  const names = ['a', 'b', 'c'];
  const baseDir = mkdtempSync(join(tmpdir(), 'codedance-bench-pass-'));
  let local: LocalClusters | undefined;
  const dynamo = await startDynamoDbLocal();
  const sqs = await startSqsLocal();
  try {
    log(`[declarative] pass: starting ${names.length} local clusters ...`);
    local = await startClusters({ names, baseDir, log: (l) => log(`[k8s] ${l}`) });
    const ns = 'bench-objects';
    await Promise.all(local.clusters.map(async (c) => {
      const kubectl = (args: string[], input?: string) => run('kubectl', ['--kubeconfig', c.kubeconfigPath, ...args], input);
      await ok(kubectl(['create', 'namespace', ns]), `create namespace on ${c.name}`);
      const items = Array.from({ length: perCluster }, (_, i) => ({
        apiVersion: 'deploy.codedance.io/v1alpha1', kind: 'CanaryDeployment', metadata: { name: `obj-${i}`, namespace: ns },
        spec: { targetDeployment: `target-${i}`, canaryVersion: `target-${i}:v2`, strategy: { type: 'Linear', steps: [{ weight: 20, pause: '1h' }, { weight: 100 }] } },
      }));
      const began = Date.now();
      await ok(kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items })), `create objects on ${c.name}`);
      log(`[declarative] pass: ${perCluster} CanaryDeployments created on ${c.name} in ${round((Date.now() - began) / 1000, 1)} s`);
    }));

    const res = await createResourcesFromServerlessYml({ stage: 'bench', dynamodbEndpoint: dynamo.endpoint, sqsEndpoint: sqs.endpoint, suffix: `-${randomBytes(4).toString('hex')}` });
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      CODEDANCE_TABLE: res.tableName, CODEDANCE_TICK_QUEUE_URL: res.tickQueueUrl,
      CODEDANCE_API_TOKEN: 'bench-token-0123456789abcdef', CODEDANCE_CALLBACK_SECRET: 'bench-callback-secret-0123456789',
    });
    const dynamodb: Counts = {};
    const apiserver: Counts = {};
    const client = localDynamoDb(dynamo.endpoint);
    client.middlewareStack.add((next, context) => async (args) => {
      const key = String(context.commandName).replace(/Command$/, '');
      dynamodb[key] = (dynamodb[key] ?? 0) + 1;
      return next(args);
    }, { step: 'initialize', name: 'benchDynamoCounter' });
    const store = new DynamoRolloutStore(client, res.tableName);
    const configs = local.clusters.map((c) => ({ name: c.name, kubeconfig: { path: c.engineKubeconfigPath } }));
    const registry = createClusterRegistry(configs);
    // The objects adapter on a connection that counts every request it sends (by method and path kind).
    const objects = new Map(local.clusters.map((c) => {
      const clients = connect({ kubeconfig: { path: c.engineKubeconfigPath } }).then((conn) => createKubeClients(c.name, {
        ...conn,
        requestOptions: () => { apiserver.total = (apiserver.total ?? 0) + 1; return conn.requestOptions(); },
      })).then((k) => {
        const wrap = <F extends (...a: any[]) => Promise<unknown>>(name: string, f: F): F => ((...a: unknown[]) => { apiserver[name] = (apiserver[name] ?? 0) + 1; return f(...a); }) as F;
        return { ...k, events: { create: wrap('events.create', k.events.create) }, custom: {
          read: wrap('custom.read(GET)', k.custom.read), list: wrap('custom.list(LIST)', k.custom.list), create: wrap('custom.create', k.custom.create),
          replace: wrap('custom.replace', k.custom.replace), patchStatus: wrap('custom.patchStatus', k.custom.patchStatus),
        } } as typeof k;
      });
      return [c.name, new KubernetesCanaryObjects(c.name, () => clients)] as const;
    }));
    resetDependencies();
    overrideDependencies({ store, audit: store, clusters: registry, canaryObjects: (cluster) => objects.get(cluster)! });
    const deps = getDependencies();

    const reset = (c: Counts) => { for (const k of Object.keys(c)) delete c[k]; };
    const pass = async () => {
      reset(apiserver); reset(dynamodb);
      const t0 = performance.now();
      const reports: SyncReport[] = await syncAllClusters(deps);
      const wallMs = Math.round(performance.now() - t0);
      const errors = reports.filter((r) => r.error).map((r) => `${r.cluster}: ${r.error}`);
      if (errors.length) throw new Error(`sync pass failed: ${errors.join('; ')}`);
      const objectsSeen = reports.reduce((n, r) => n + r.objects, 0);
      if (objectsSeen !== names.length * perCluster) throw new Error(`sync pass listed ${objectsSeen} objects, expected ${names.length * perCluster}`);
      return { wallMs, started: reports.reduce((n, r) => n + r.started.length, 0), apiserver: { ...apiserver }, dynamodb: { ...dynamodb } };
    };
    log(`[declarative] pass: first pass (starts a rollout per object; no tick consumer runs) ...`);
    const firstPass = await pass();
    log(`  first pass: ${firstPass.wallMs} ms, started ${firstPass.started}, apiserver ${JSON.stringify(firstPass.apiserver)}, DynamoDB ${JSON.stringify(firstPass.dynamodb)}`);
    const steady = [];
    for (let i = 0; i < steadyPasses; i++) {
      steady.push(await pass());
      log(`  steady pass ${i + 1}: ${steady.at(-1)!.wallMs} ms, started ${steady.at(-1)!.started}, apiserver ${JSON.stringify(steady.at(-1)!.apiserver)}, DynamoDB ${JSON.stringify(steady.at(-1)!.dynamodb)}`);
    }
    resetDependencies();
    return { clusters: names.length, objectsPerCluster: perCluster, firstPass, steadyPasses: steady };
  } finally {
    await local?.stop();
    await sqs.stop();
    await dynamo.stop();
    rmSync(baseDir, { recursive: true, force: true });
  }
}

export interface DeclarativeOptions { pushSamples?: number; syncSamples?: number; objectsPerCluster?: number; steadyPasses?: number; parts?: Array<'latency' | 'pass'> }

export async function benchDeclarative(log: (line: string) => void, o: DeclarativeOptions = {}): Promise<DeclarativeResult> {
  const parts = new Set(o.parts ?? ['latency', 'pass']);
  const empty = dist([]);
  const latency = parts.has('latency') ? await benchLatency(log, o.pushSamples ?? 10, o.syncSamples ?? 5)
    : { push: { ...empty, kubectlMs: empty, coldFirstMs: NaN, startedBy: {} }, sync: { ...empty, startedBy: {}, period: 'not run', applyOffsetsMs: [] } };
  const loadAfterLatency = uptime();
  log(`[declarative] machine load after push/sync: ${loadAfterLatency}`);
  const pass = parts.has('pass') ? await benchPass(log, o.objectsPerCluster ?? 500, o.steadyPasses ?? 3)
    : { clusters: 0, objectsPerCluster: 0, firstPass: { wallMs: NaN, started: 0, apiserver: {}, dynamodb: {} }, steadyPasses: [] };
  return { ...latency, pass, load: { uptime: `${loadAfterLatency} | after pass: ${uptime()}`, cores: cpus().length } };
}

export function printDeclarative(r: DeclarativeResult, say: (line: string) => void): void {
  const mark = (met: boolean) => (met ? 'met ' : 'MISS');
  const ms = (d: Dist) => `p50 ${d.p50} ms, p90 ${d.p90} ms, max ${d.max} ms (n=${d.n})`;
  say(`  ${mark(r.push.p50 <= DECLARATIVE_TARGETS.pushP50Ms)} push (admission webhook, HTTPS): kubectl apply → first tick ${ms(r.push)} (target p50 ≤ ${DECLARATIVE_TARGETS.pushP50Ms} ms)`);
  say(`       kubectl apply itself (webhook call included) ${ms(r.push.kubectlMs)}; cold first apply (not in the samples) ${r.push.coldFirstMs} ms; started by ${JSON.stringify(r.push.startedBy)}`);
  say(`  ${mark(r.sync.max <= DECLARATIVE_TARGETS.syncMaxMs)} sync only (${r.sync.period}): kubectl apply at a random point → first tick ${ms(r.sync)} (target within a minute); started by ${JSON.stringify(r.sync.startedBy)}`);
  const p = r.pass;
  say(`  sync pass over ${p.clusters} clusters × ${p.objectsPerCluster} objects:`);
  say(`       first pass (starts ${p.firstPass.started} rollouts): ${p.firstPass.wallMs} ms; apiserver ${JSON.stringify(p.firstPass.apiserver)}; DynamoDB ${JSON.stringify(p.firstPass.dynamodb)}`);
  for (const [i, s] of p.steadyPasses.entries()) say(`       steady-state pass ${i + 1}: ${s.wallMs} ms; started ${s.started}; apiserver ${JSON.stringify(s.apiserver)}; DynamoDB ${JSON.stringify(s.dynamodb)}`);
  say(`  machine (${r.load.cores} cores): ${r.load.uptime}`);
}
