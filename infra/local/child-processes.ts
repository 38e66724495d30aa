/**
 * Long-running children of the local stack (DynamoDB Local's java, osls offline). Each runs in its own
 * process group so stopping it also stops whatever it forked (npx → sh → node → esbuild), and so a Ctrl-C
 * in the terminal reaches only us: we then stop things in order instead of everything dying at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export interface Group {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string | null>;
  /** The last lines it printed, for error messages. */
  tail(): string;
}

/** Groups still running; SIGKILLed when Node exits so a crashed test run leaves no java behind. */
const live = new Set<number>();
process.on('exit', () => { for (const pid of live) killGroup(pid, 'SIGKILL'); });

/** Tracks an already spawned detached child (spawn it with `detached: true` and piped stdout/stderr). */
export function trackGroup(name: string, child: ChildProcess, onLine?: (line: string) => void): Group {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not start ${child.spawnfile}`);
  live.add(pid);
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      if (lines.length > 40) lines.shift();
      onLine?.(line);
    });
  }
  const exited = new Promise<number | string | null>((resolve) => {
    child.on('exit', (code, signal) => { live.delete(pid); resolve(code ?? signal); });
    child.on('error', () => { live.delete(pid); resolve('spawn-error'); });
  });
  return { name, child, exited, tail: () => lines.join('\n') };
}

export function spawnGroup(name: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; onLine?: (line: string) => void }): Group {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  return trackGroup(name, child, opts.onLine);
}

export const hasExited = (g: Group): boolean => g.child.exitCode !== null || g.child.signalCode !== null;

/** SIGTERM the group, wait up to `graceMs`, then SIGKILL it. */
export async function stopGroup(g: Group, graceMs = 5000): Promise<void> {
  const pid = g.child.pid;
  if (pid === undefined || hasExited(g)) return;
  killGroup(pid, 'SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, graceMs, 'timeout').unref());
  if ((await Promise.race([g.exited, timer])) === 'timeout') {
    killGroup(pid, 'SIGKILL');
    await g.exited;
  }
  // The leader may exit before the rest of its group; a group id is not reused while members live.
  if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
}

function groupAlive(pid: number): boolean {
  try { process.kill(-pid, 0); return true; } catch { return false; }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

/** A free loopback TCP port (the OS picks it; the small race until the child binds is fine locally). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

export function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', () => reject(new Error(`port ${port} on 127.0.0.1 is in use (choose another with --port)`)));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve()));
  });
}

/**
 * Polls `check` until it returns true. Fails at once, with the child's last output, if `watched` exits
 * meanwhile — a crashed child otherwise shows up as a confusing timeout.
 */
export async function waitFor(what: string, check: () => Promise<boolean>, watched: Group | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    if (watched && hasExited(watched)) {
      throw new Error(`${watched.name} exited (${watched.child.exitCode ?? watched.child.signalCode}) while waiting for ${what}:\n${watched.tail()}`);
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const tail = watched ? `\n${watched.name} said:\n${watched.tail()}` : '';
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}${tail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
