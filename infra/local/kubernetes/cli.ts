/**
 * Local Kubernetes clusters from the command line (`npm run cluster -- up`):
 *
 *   npx tsx infra/local/kubernetes/cli.ts up [--clusters a,b,c] [--nodes 3]   # stays up until Ctrl-C or `down`
 *   npx tsx infra/local/kubernetes/cli.ts down
 *   npx tsx infra/local/kubernetes/cli.ts build
 *
 * `up` prints exactly one line per cluster to stdout, `<name> <admin kubeconfig path>`, so scripts can read it;
 * progress goes to stderr. The state file lets `down` (and other tools) find the running clusters.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureKubernetesBinaries } from './build.js';
import { startClusters } from './launcher.js';

export const STATE_FILE = join(homedir(), '.cache', 'codedance', 'run', 'clusters.json');

/** What `up` records for `down` and for other local tooling (e.g. the demo) to find the clusters. */
export interface ClusterState {
  pid: number;
  startedAt: string;
  clusters: Array<{ name: string; server: string; kubeconfig: string; engineKubeconfig: string }>;
}

const err = (line: string): void => { process.stderr.write(`[cluster] ${line}\n`); };

function readState(): ClusterState | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

async function up(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { clusters: { type: 'string', default: 'local' }, nodes: { type: 'string', default: '3' } } });
  const previous = readState();
  if (previous && alive(previous.pid)) throw new Error(`clusters already up (pid ${previous.pid}); run \`cli.ts down\` first`);

  const t0 = Date.now();
  const names = values.clusters.split(',').map((s) => s.trim()).filter(Boolean);
  const local = await startClusters({ names, nodes: Number(values.nodes) });
  err(`up in ${((Date.now() - t0) / 1000).toFixed(1)}s; stop with Ctrl-C or \`cli.ts down\``);

  const state: ClusterState = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    clusters: local.clusters.map((c) => ({ name: c.name, server: c.server, kubeconfig: c.kubeconfigPath, engineKubeconfig: c.engineKubeconfigPath })),
  };
  mkdirSync(dirname(STATE_FILE), { recursive: true });
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
  for (const c of local.clusters) process.stdout.write(`${c.name} ${c.kubeconfigPath}\n`);

  // The children are unref'd, so keep the event loop alive ourselves until told to stop.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    err(`${signal}: stopping`);
    local.stop().finally(() => {
      if (readState()?.pid === process.pid) rmSync(STATE_FILE, { force: true });
      clearInterval(keepAlive);
      err('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

async function down(): Promise<void> {
  const state = readState();
  if (!state || !alive(state.pid)) {
    rmSync(STATE_FILE, { force: true });
    return err('no clusters running');
  }
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  let killed = false;
  while (alive(state.pid)) {
    if (!killed && Date.now() > deadline) {
      killed = true;
      // Its watchdog still removes the children within a second of the pid going away.
      err(`pid ${state.pid} did not stop in 30s; killing it`);
      process.kill(state.pid, 'SIGKILL');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  rmSync(STATE_FILE, { force: true });
  err(`stopped pid ${state.pid}`);
}

// Only when run as a script, so other local tooling may import STATE_FILE and ClusterState.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [command, ...rest] = process.argv.slice(2);
  const commands: Record<string, () => Promise<unknown>> = {
    up: () => up(rest),
    down,
    build: async () => err(`binaries in ${(await ensureKubernetesBinaries()).binDir}`),
  };
  const run = command ? commands[command] : undefined;
  if (!run) {
    err('usage: cli.ts up [--clusters a,b,c] [--nodes N] | down | build');
    process.exit(2);
  }
  run().catch((e: unknown) => {
    err(e instanceof Error ? e.message : String(e));
    process.exit(1);
  });
}
