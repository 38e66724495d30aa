/**
 * Builds `helm` (v4) from the Go module proxy into a version-keyed cache folder, like the local Kubernetes
 * build (infra/local/kubernetes/build.ts): nothing prebuilt is downloaded, a static binary is compiled once per
 * machine with progress printed, and later calls return the cached binary at once.
 *
 * Usage: `npx tsx infra/local/helm/build.ts` or `const { helm } = await ensureHelm()`.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { capture, run, withLock } from '../go-build.js';

/** Pinned: the cache folder is keyed by it, so bumping it triggers a rebuild. Its go.mod asks for go 1.26.0. */
export const HELM_VERSION = 'v4.3.2';
const HELM_PACKAGE = 'helm.sh/helm/v4/cmd/helm';

const started = Date.now();
const log = (msg: string): void => {
  process.stderr.write(`[helm-build] +${((Date.now() - started) / 1000).toFixed(1)}s ${msg}\n`);
};

export function helmCacheDir(): string {
  const root = process.env.CODEDANCE_HELM_CACHE ?? join(homedir(), '.cache', 'codedance', 'helm');
  return join(root, HELM_VERSION);
}

/** Returns the path of the pinned helm binary, building it first when the cache lacks it. */
export async function ensureHelm(): Promise<{ helm: string; binDir: string }> {
  const dir = helmCacheDir();
  const binDir = join(dir, 'bin');
  const helm = join(binDir, 'helm');
  const marker = join(dir, 'complete.json');
  const complete = (): boolean => existsSync(marker) && existsSync(helm);
  if (complete()) return { helm, binDir };

  mkdirSync(binDir, { recursive: true });
  await withLock(log, join(dir, 'build.lock'), complete, async () => {
    log(`building helm ${HELM_VERSION} into ${binDir} (a first build takes several minutes on 2 cores)`);
    const t0 = Date.now();
    await goInstall(dir, binDir);
    const version = await capture(helm, ['version', '--short']);
    if (!version.startsWith(HELM_VERSION)) throw new Error(`helm reports "${version.trim()}", want ${HELM_VERSION}`);
    const seconds = Math.round((Date.now() - t0) / 1000);
    writeFileSync(marker, JSON.stringify({ helm: HELM_VERSION, buildSeconds: seconds, builtAt: new Date().toISOString() }));
    log(`done in ${seconds}s: helm ${version.trim()}`);
  });
  return { helm, binDir };
}

/**
 * `go install helm.sh/helm/v4/cmd/helm@<version>`: module mode from helm's own go.mod (no wrapper module is
 * needed, unlike k8s.io/kubernetes). GOBIN is a staging folder, moved into binDir only when the build succeeded.
 */
async function goInstall(dir: string, binDir: string): Promise<void> {
  const out = join(dir, `out-${Date.now()}`);
  mkdirSync(out, { recursive: true });
  const v = 'helm.sh/helm/v4/internal/version';
  // What helm's Makefile sets for a tagged release build, so `helm version` reports the real version.
  const ldflags = ['-s -w', `-X ${v}.version=${HELM_VERSION}`, `-X ${v}.metadata=`, `-X ${v}.gitTreeState=clean`];
  const env = { ...process.env, CGO_ENABLED: '0', GOBIN: out };
  const heartbeat = setInterval(() => log('still compiling...'), 60_000);
  try {
    await run(log, 'nice', ['-n', '10', 'go', 'install', '-trimpath', `-ldflags=${ldflags.join(' ')}`, `${HELM_PACKAGE}@${HELM_VERSION}`], dir, env);
  } finally {
    clearInterval(heartbeat);
  }
  for (const f of readdirSync(out)) renameSync(join(out, f), join(binDir, f));
  rmSync(out, { recursive: true, force: true });
  log(`built ${readdirSync(binDir).join(', ')}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  ensureHelm().then(
    ({ helm }) => { log(`helm at ${helm}`); },
    (err: unknown) => { log(`FAILED: ${err instanceof Error ? err.message : String(err)}`); process.exit(1); },
  );
}
