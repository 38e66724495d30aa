/**
 * Debian packages the local stack needs (Java for DynamoDB Local, later Prometheus and Chromium, Lua for
 * the Argo CD health check's test).
 * Installed on demand so a fresh machine needs nothing but Node; `apt-get update` runs at most once per
 * process because it is the slow part.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const log = (msg: string): void => { process.stderr.write(`[system-packages] ${msg}\n`); };

/** The absolute path of `binary` on PATH, or undefined. */
export function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch { /* not here */ }
  }
  return undefined;
}

let aptUpdated: Promise<void> | undefined;
const installing = new Map<string, Promise<void>>();

/** Makes sure `binary` is on PATH, installing Debian package `pkg` with apt-get when it is not. */
export async function ensureDebianPackage(binary: string, pkg: string): Promise<string> {
  const found = findOnPath(binary);
  if (found) return found;
  if (!findOnPath('apt-get')) throw new Error(`${binary} is missing and apt-get is not available: install ${pkg} (or an equivalent) yourself`);
  let install = installing.get(pkg);
  if (!install) {
    install = (async () => {
      aptUpdated ??= apt(['update']);
      // A failed update must not be remembered, or every later install in this process fails too.
      aptUpdated.catch(() => { aptUpdated = undefined; });
      await aptUpdated;
      log(`installing ${pkg} (for ${binary}) ...`);
      await apt(['install', '-y', '--no-install-recommends', pkg]);
    })();
    installing.set(pkg, install);
    install.catch(() => installing.delete(pkg));
  }
  await install;
  const installed = findOnPath(binary);
  if (!installed) throw new Error(`installed ${pkg} but ${binary} is still not on PATH`);
  log(`${binary} is ${installed}`);
  return installed;
}

/** Java 17 runs DynamoDB Local. */
export const ensureJava = (): Promise<string> => ensureDebianPackage('java', 'openjdk-17-jre-headless');

/** Lua 5.4 runs the Argo CD health check (infra/k8s/argocd-health.lua) in its tests, as Argo CD would. */
export const ensureLua = (): Promise<string> => ensureDebianPackage('lua5.4', 'lua5.4');

/** Runs apt-get (through sudo when we are not root), streaming its output to stderr as progress. */
function apt(args: string[]): Promise<void> {
  const asRoot = process.getuid?.() === 0;
  if (!asRoot && !findOnPath('sudo')) return Promise.reject(new Error(`apt-get ${args[0]} needs root and sudo is missing`));
  // Another local-stack process may be installing at the same moment: wait for dpkg's lock, don't fail on it.
  const aptArgs = ['-o', 'DPkg::Lock::Timeout=300', ...args];
  const [cmd, argv] = asRoot ? ['apt-get', aptArgs] : ['sudo', ['-n', 'apt-get', ...aptArgs]];
  log(`${cmd} ${argv.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', process.stderr, process.stderr], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`apt-get ${args.join(' ')} failed (${code ?? signal})`));
    });
  });
}
