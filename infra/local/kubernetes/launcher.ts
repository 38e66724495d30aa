/**
 * Starts real local Kubernetes control planes (no containers): one etcd, and per cluster a kube-apiserver
 * (own etcd prefix), kube-controller-manager, kube-scheduler and kwok with fake nodes. See
 * shared docs local-kubernetes.md for the recipe.
 *
 *   const { clusters, stop } = await startClusters({ names: ['east', 'west'] });
 *   // clusters[i].kubeconfigPath (admin), .engineKubeconfigPath (RBAC-limited user codedance-engine)
 *   await stop();
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyManifests, call, getJson, hasCondition, readManifests, type ApiTarget } from './api.js';
import { ensureKubernetesBinaries } from './build.js';
import { readServingCA, writeCredentials, ENGINE_USER } from './certs.js';
import { apiserverArgs, controllerManagerArgs, etcdArgs, kwokArgs, schedulerArgs } from './components.js';
import { writeKubeconfig } from './kubeconfig.js';
import { fakeNode, kwokConfigYaml } from './kwok-stages.js';
import { startPodResync, type PodResync } from './pod-resync.js';
import {
  freePort, recordPids, removeDirs, startProcess, startWatchdog, stopProcesses, tailLog, waitUntil, type Proc,
} from './processes.js';

export interface LocalCluster {
  name: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** PEM of the CA that signed the apiserver's serving certificate. */
  caData: string;
  /** Bearer token of a system:masters user. */
  adminToken: string;
  /** Bearer token of user `codedance-engine`, bound only to the ClusterRole in infra/k8s/engine-rbac.yaml. */
  engineToken: string;
  kubeconfigPath: string;
  engineKubeconfigPath: string;
}

export interface LocalClusters {
  clusters: LocalCluster[];
  /** Stops every process (idempotent) and removes the etcd data dir, and baseDir if the launcher made it. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Cluster names: DNS labels, unique. Each becomes an etcd prefix and a folder under baseDir. */
  names: string[];
  /** Where kubeconfigs, certs and logs go; default a fresh temp dir, removed by stop(). */
  baseDir?: string;
  /** Fake kwok nodes per cluster (default 3). */
  nodes?: number;
  /** Progress lines; default to stderr. */
  log?: (line: string) => void;
  /**
   * Install nothing of infra/k8s/ (no CRDs, no engine RBAC), for tests that install the cluster side
   * themselves (the Helm chart, `kubectl apply`). engineToken then authorizes nothing until they do.
   */
  bare?: boolean;
}

const MANIFESTS = fileURLToPath(new URL('../../k8s/', import.meta.url));
const STARTUP_TIMEOUT_MS = 180_000;

export async function startClusters(opts: StartOptions): Promise<LocalClusters> {
  const started = Date.now();
  const log = opts.log ?? ((line: string) => process.stderr.write(`[k8s] ${line}\n`));
  const say = (line: string) => log(`+${((Date.now() - started) / 1000).toFixed(1)}s ${line}`);
  validateNames(opts.names);
  const { binDir } = await ensureKubernetesBinaries();
  const bin = (name: string) => join(binDir, name);

  const ownBase = opts.baseDir === undefined;
  const baseDir = opts.baseDir ?? mkdtempSync(join(tmpdir(), 'codedance-k8s-'));
  mkdirSync(baseDir, { recursive: true });
  const shmDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'codedance-etcd-'));
  const tempDirs = ownBase ? [shmDir, baseDir] : [shmDir];
  const pidFile = join(baseDir, 'pids');
  writeFileSync(pidFile, '');
  const watchdog = startWatchdog(pidFile, tempDirs, join(baseDir, 'watchdog.log'));
  const procs: Proc[] = [];
  const resyncs: PodResync[] = [];
  let stopping: Promise<void> | undefined;
  const spawnLogged = (name: string, binary: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv) => {
    const p = startProcess(name, bin(binary), args, logFile, env);
    procs.push(p);
    recordPids(pidFile, [p]);
    // A component that dies later leaves pods Pending or Deployments unrolled with no error anywhere: say so.
    void p.exited.then((code) => {
      if (!stopping) say(`${name} exited unexpectedly (${code}); ${logFile}:\n${tailLog(logFile, 15)}`);
    });
    return p;
  };

  const stop = () => (stopping ??= (async () => {
    for (const r of resyncs) r.stop();
    const [etcd, ...rest] = procs;
    await stopProcesses(rest); // clients first, so nothing logs etcd connection errors on the way down
    await stopProcesses(etcd ? [etcd] : []);
    await stopProcesses([watchdog]);
    removeDirs(tempDirs);
  })());

  try {
    const ports = { client: await freePort(), peer: await freePort() };
    const etcd = spawnLogged('etcd', 'etcd', etcdArgs(join(shmDir, 'etcd'), ports), join(baseDir, 'etcd.log'));
    const etcdUrl = `http://127.0.0.1:${ports.client}`;
    await waitUntil('etcd /health', () => etcdHealthy(etcdUrl), [etcd], STARTUP_TIMEOUT_MS);
    say(`etcd ready at ${etcdUrl}`);
    const ctx = { baseDir, etcd, etcdUrl, nodes: opts.nodes ?? 3, bare: opts.bare ?? false, spawn: spawnLogged, say, resyncs };
    const clusters = await Promise.all(opts.names.map((name) => startCluster(name, ctx)));
    say(`${clusters.length} cluster(s) ready: ${clusters.map((c) => `${c.name}=${c.server}`).join(' ')}`);
    return { clusters, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface Ctx {
  baseDir: string;
  etcd: Proc;
  etcdUrl: string;
  nodes: number;
  bare: boolean;
  spawn: (name: string, binary: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv) => Proc;
  say: (line: string) => void;
  resyncs: PodResync[];
}

async function startCluster(name: string, ctx: Ctx): Promise<LocalCluster> {
  const dir = join(ctx.baseDir, name);
  mkdirSync(join(dir, 'certs'), { recursive: true });
  const creds = writeCredentials(dir);
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const apiserver = ctx.spawn(`${name}/kube-apiserver`, 'kube-apiserver',
    apiserverArgs({ name, dir, etcdUrl: ctx.etcdUrl, port, creds }), join(dir, 'kube-apiserver.log'));
  const deps = [apiserver, ctx.etcd];

  // Until /readyz answers, the serving cert may not exist yet, so this probe skips verification.
  await waitUntil(`${name} kube-apiserver /readyz`, async () => (await call({ server, token: creds.adminToken }, 'GET', '/readyz')).status === 200, deps, STARTUP_TIMEOUT_MS);
  const caData = readServingCA(join(dir, 'certs'));
  const admin: ApiTarget = { server, caData, token: creds.adminToken };
  const engine: ApiTarget = { server, caData, token: creds.engineToken };
  const kubeconfigPath = writeKubeconfig(join(dir, 'admin.kubeconfig'), { cluster: name, user: 'admin', server, caData, token: creds.adminToken });
  const engineKubeconfigPath = writeKubeconfig(join(dir, 'engine.kubeconfig'), { cluster: name, user: ENGINE_USER, server, caData, token: creds.engineToken });
  ctx.say(`${name}: kube-apiserver ready at ${server}`);

  const crds = ctx.bare ? [] : readdirSync(join(MANIFESTS, 'crds')).filter((f) => f.endsWith('.yaml')).flatMap((f) => readManifests(join(MANIFESTS, 'crds', f)));
  if (!ctx.bare) await applyManifests(admin, [...crds, ...readManifests(join(MANIFESTS, 'engine-rbac.yaml'))]);
  const nodeNames = Array.from({ length: ctx.nodes }, (_, i) => `kwok-node-${i}`);
  await applyManifests(admin, nodeNames.map(fakeNode));

  const [kcmPort, schedPort] = [await freePort(), await freePort()];
  writeFileSync(join(dir, 'kwok.yaml'), kwokConfigYaml());
  const components = [
    ctx.spawn(`${name}/kube-controller-manager`, 'kube-controller-manager', controllerManagerArgs(dir, kcmPort), join(dir, 'kube-controller-manager.log')),
    ctx.spawn(`${name}/kube-scheduler`, 'kube-scheduler', schedulerArgs(dir, schedPort), join(dir, 'kube-scheduler.log')),
    // HOME points into the cluster dir: kwok otherwise also loads ~/.kwok/kwok.yaml, whatever it holds.
    ctx.spawn(`${name}/kwok`, 'kwok', kwokArgs(dir), join(dir, 'kwok.log'), { ...process.env, HOME: dir }),
  ];
  const [kcm, scheduler, kwok] = components as [Proc, Proc, Proc];

  await Promise.all([
    waitUntil(`${name} CRDs Established`, async () => {
      const states = await Promise.all(crds.map(async (c) => hasCondition(await getJson(admin, `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${c.metadata.name}`), 'Established')));
      return states.every(Boolean);
    }, deps, STARTUP_TIMEOUT_MS),
    waitUntil(`${name} namespace default`, async () => (await call(admin, 'GET', '/api/v1/namespaces/default')).status === 200, deps, STARTUP_TIMEOUT_MS),
    // The binding is served from an informer cache: wait until the engine's token is really authorized.
    // Pods are listed by every tick (crash signals), so the least-privileged role always grants it.
    ctx.bare ? Promise.resolve() : waitUntil(`${name} engine RBAC`, async () => (await call(engine, 'GET', '/api/v1/pods?limit=1')).status === 200, deps, STARTUP_TIMEOUT_MS),
    waitUntil(`${name} kube-controller-manager /healthz`, async () => (await call({ server: `https://127.0.0.1:${kcmPort}` }, 'GET', '/healthz')).status === 200, [kcm, ...deps], STARTUP_TIMEOUT_MS),
    waitUntil(`${name} kube-scheduler /healthz`, async () => (await call({ server: `https://127.0.0.1:${schedPort}` }, 'GET', '/healthz')).status === 200, [scheduler, ...deps], STARTUP_TIMEOUT_MS),
    // kwok has no health endpoint here; its first visible work is marking the fake nodes Ready.
    waitUntil(`${name} kwok nodes Ready`, async () => {
      const list = await getJson(admin, '/api/v1/nodes') as { items?: unknown[] };
      const ready = (list.items ?? []).filter((n) => hasCondition(n, 'Ready'));
      return ready.length >= nodeNames.length;
    }, [kwok, ...deps], STARTUP_TIMEOUT_MS),
  ]);
  ctx.resyncs.push(startPodResync(admin, (line) => ctx.say(`${name}: ${line}`)));
  ctx.say(`${name}: controller-manager, scheduler, kwok (${ctx.nodes} nodes) ready`);
  return { name, server, caData, adminToken: creds.adminToken, engineToken: creds.engineToken, kubeconfigPath, engineKubeconfigPath };
}

function etcdHealthy(url: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/health`, { timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve(res.statusCode === 200 && body.includes('"true"')));
    });
    req.on('timeout', () => req.destroy(new Error('etcd /health timed out')));
    req.on('error', reject);
    req.end();
  });
}

function validateNames(names: string[]): void {
  if (names.length === 0) throw new Error('startClusters: at least one cluster name is needed');
  for (const n of names) {
    if (!/^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/.test(n)) throw new Error(`startClusters: "${n}" is not a DNS label`);
  }
  if (new Set(names).size !== names.length) throw new Error(`startClusters: duplicate names in ${names.join(',')}`);
}
