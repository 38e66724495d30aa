/**
 * Builds the local Kubernetes control plane from Go modules (see shared docs: local-kubernetes.md):
 * kube-apiserver, kube-controller-manager, kube-scheduler, etcd and kwok, into a version-keyed cache folder.
 * Nothing prebuilt is downloaded: only the Go module proxy is reachable from here.
 *
 * Usage: `npx tsx infra/local/kubernetes/build.ts` or `await ensureKubernetesBinaries()`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { capture, run, withLock } from '../go-build.js';

/** Pinned versions: the cache folder is keyed by them, so bumping one triggers a rebuild. */
export const K8S_VERSION = 'v1.36.3';
export const ETCD_VERSION = 'v3.6.16';
export const KWOK_VERSION = 'v0.8.0'; // its go.mod asks for go 1.26.0, the machine's Go

export const BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'etcd', 'kwok'] as const;

const started = Date.now();
const log = (msg: string): void => {
  process.stderr.write(`[k8s-build] +${((Date.now() - started) / 1000).toFixed(1)}s ${msg}\n`);
};

export function cacheDir(): string {
  const root = process.env.CODEDANCE_K8S_CACHE ?? join(homedir(), '.cache', 'codedance', 'k8s');
  return join(root, `${K8S_VERSION}-etcd${ETCD_VERSION}-kwok${KWOK_VERSION}`);
}

/** Returns the folder holding all five binaries, building whatever is missing first. */
export async function ensureKubernetesBinaries(): Promise<{ binDir: string }> {
  const dir = cacheDir();
  const binDir = join(dir, 'bin');
  const marker = join(dir, 'complete.json');
  const complete = (): boolean => existsSync(marker) && BINARIES.every((b) => existsSync(join(binDir, b)));
  if (complete()) return { binDir };

  mkdirSync(binDir, { recursive: true });
  await withLock(log, join(dir, 'build.lock'), complete, async () => {
    log(`building into ${dir} (first build takes 15-25 minutes on 2 cores)`);
    await buildEtcd(dir, binDir);
    await buildKwok(dir, binDir);
    await buildKubernetes(dir, binDir);
    const version = await capture(join(binDir, 'kube-apiserver'), ['--version']);
    if (!version.includes(K8S_VERSION)) throw new Error(`kube-apiserver reports "${version.trim()}", want ${K8S_VERSION}`);
    writeFileSync(marker, JSON.stringify({ k8s: K8S_VERSION, etcd: ETCD_VERSION, kwok: KWOK_VERSION, builtAt: new Date().toISOString() }));
    log(`done: ${version.trim()}`);
  });
  return { binDir };
}

async function buildEtcd(dir: string, binDir: string): Promise<void> {
  if (existsSync(join(binDir, 'etcd'))) return log('etcd already built');
  // etcd's main package is the root of go.etcd.io/etcd/server/v3; a wrapper module pins it, no replaces needed.
  const src = join(dir, 'src', 'etcd');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'go.mod'), `module codedance.local/etcd\n\ngo 1.26\n\nrequire go.etcd.io/etcd/server/v3 ${ETCD_VERSION}\n\ntool go.etcd.io/etcd/server/v3\n`);
  log(`building etcd ${ETCD_VERSION}`);
  await goBuild(src, binDir, ['-o', 'OUT/etcd', 'go.etcd.io/etcd/server/v3'], ['-s -w']);
}

async function buildKwok(dir: string, binDir: string): Promise<void> {
  if (existsSync(join(binDir, 'kwok'))) return log('kwok already built');
  log(`building kwok ${KWOK_VERSION}`);
  // `go install pkg@version` builds in module mode from kwok's own go.mod; GOBIN points at a staging folder.
  await goBuild(dir, binDir, ['install', `sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}`], ['-s -w'], true);
}

async function buildKubernetes(dir: string, binDir: string): Promise<void> {
  const cmds = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];
  if (cmds.every((c) => existsSync(join(binDir, c)))) return log('kubernetes already built');
  const src = join(dir, 'src', 'kubernetes');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'go.mod'), await kubernetesWrapperGoMod());
  log(`building ${cmds.join(', ')} ${K8S_VERSION} (the long part)`);
  const [major, minor] = K8S_VERSION.slice(1).split('.');
  const x = (pkg: string) => [
    `-X ${pkg}.gitVersion=${K8S_VERSION}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`,
    `-X ${pkg}.gitTreeState=clean`, `-X ${pkg}.buildDate=${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
  ];
  const ldflags = ['-s -w', ...x('k8s.io/component-base/version'), ...x('k8s.io/client-go/pkg/version')];
  await goBuild(src, binDir, ['-o', 'OUT/', ...cmds.map((c) => `k8s.io/kubernetes/cmd/${c}`)], ldflags);
}

/**
 * k8s.io/kubernetes requires its staging modules at v0.0.0 (they are local replaces upstream), so a wrapper
 * module replaces each with its published v0.<minor>.<patch>. The list comes from upstream's go.mod.
 */
async function kubernetesWrapperGoMod(): Promise<string> {
  const info = JSON.parse(await capture('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${K8S_VERSION}`])) as { GoMod?: string; Error?: string };
  if (!info.GoMod) throw new Error(`go mod download k8s.io/kubernetes@${K8S_VERSION}: ${info.Error ?? 'no GoMod'}`);
  const upstream = readFileSync(info.GoMod, 'utf8');
  const staging = [...upstream.matchAll(/^\s*(k8s\.io\/[\w.-]+) v0\.0\.0\s*$/gm)].map((m) => m[1]);
  const godebug = upstream.match(/^godebug default=.*$/m)?.[0];
  if (staging.length < 20 || !godebug) throw new Error(`unexpected upstream go.mod at ${info.GoMod}`);
  const stagingVersion = K8S_VERSION.replace(/^v1\./, 'v0.');
  log(`wrapper go.mod: ${staging.length} staging modules at ${stagingVersion}`);
  return [
    'module codedance.local/kubernetes', '', 'go 1.26', '', godebug, '',
    `require k8s.io/kubernetes ${K8S_VERSION}`, '',
    'replace (', ...staging.map((m) => `\t${m} => ${m} ${stagingVersion}`), ')', '',
    'tool (', ...['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'].map((c) => `\tk8s.io/kubernetes/cmd/${c}`), ')', '',
  ].join('\n');
}

/** Runs one niced, static go build into a staging folder, then moves the results into binDir atomically. */
async function goBuild(cwd: string, binDir: string, args: string[], ldflags: string[], install = false): Promise<void> {
  const out = join(binDir, '..', `out-${Date.now()}`);
  mkdirSync(out, { recursive: true });
  const common = ['-trimpath', '-tags=selinux,notest,grpcnotrace', `-ldflags=${ldflags.join(' ')}`];
  const goArgs = install ? [args[0]!, ...common, ...args.slice(1)] : ['build', ...common, ...args.map((a) => a.replace('OUT', out))];
  const env = {
    ...process.env,
    CGO_ENABLED: '0',
    // -mod=mod lets go fill in go.sum for the wrapper modules; `go install pkg@version` rejects -mod.
    ...(install ? { GOBIN: out } : { GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=mod`.trim() }),
  };
  const heartbeat = setInterval(() => log('still compiling...'), 60_000);
  try {
    await run(log, 'nice', ['-n', '10', 'go', ...goArgs], cwd, env);
  } finally {
    clearInterval(heartbeat);
  }
  for (const f of readdirSync(out)) renameSync(join(out, f), join(binDir, f));
  rmSync(out, { recursive: true, force: true });
  log(`built ${readdirSync(binDir).join(', ')}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  ensureKubernetesBinaries().then(
    ({ binDir }) => { log(`binaries in ${binDir}`); },
    (err: unknown) => { log(`FAILED: ${err instanceof Error ? err.message : String(err)}`); process.exit(1); },
  );
}
