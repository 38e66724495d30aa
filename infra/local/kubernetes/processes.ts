/**
 * Child processes of the local control plane: each runs in its own process group (so stopping it also stops
 * anything it forked), logs to a file, and is killed when the Node process exits — even on SIGKILL, thanks
 * to a tiny shell watchdog that outlives us by at most a second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

export interface Proc {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string | null>;
}

export class StartupError extends Error {
  override name = 'StartupError';
}

/** Pids of process groups still to kill at exit, shared by every LocalClusters of this Node process. */
const live = new Set<number>();
process.on('exit', () => {
  for (const pid of live) killGroup(pid, 'SIGKILL');
});

export function startProcess(name: string, bin: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Proc {
  const fd = openSync(logFile, 'a');
  appendFileSync(logFile, `# ${bin} ${args.join(' ')}\n`);
  // detached: a new process group, so a Ctrl-C in the terminal reaches us, not the children directly.
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: true, env });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new StartupError(`${name}: could not spawn ${bin}`);
  live.add(pid);
  const exited = new Promise<number | string | null>((resolve) => {
    child.on('exit', (code, signal) => { live.delete(pid); resolve(code ?? signal); });
  });
  child.unref();
  return { name, child, logFile, exited };
}

/** SIGTERM the groups, wait up to `graceMs`, then SIGKILL whatever is left. */
export async function stopProcesses(procs: Proc[], graceMs = 5000): Promise<void> {
  const running = procs.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
  await Promise.all(running.map(async (p) => {
    // Children are unref'd while they run; without ref() the event loop could drain (and Node exit
    // silently) while we wait for them to go.
    p.child.ref();
    killGroup(p.child.pid!, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => { timer = setTimeout(r, graceMs, 'timeout'); });
    const outcome = await Promise.race([p.exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      killGroup(p.child.pid!, 'SIGKILL');
      await p.exited;
    }
  }));
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal); } catch { /* already gone */ }
}

/**
 * Watches our pid from a detached shell; when we are gone (even by SIGKILL, where no 'exit' handler runs)
 * it kills the process groups listed in `pidFile` and removes `dirs`. Returns the watchdog's own Proc.
 * (`kill -9 -PGID`, not `kill -KILL -- -PGID`: dash, Debian's sh, rejects the `--` form.)
 */
export function startWatchdog(pidFile: string, dirs: string[], logFile: string): Proc {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
for p in $(cat '${pidFile}' 2>/dev/null); do kill -9 -$p 2>/dev/null; done
rm -rf ${dirs.map((d) => `'${d}'`).join(' ')}`;
  const proc = startProcess('watchdog', 'sh', ['-c', script], logFile);
  live.delete(proc.child.pid!); // it must survive our exit handler to clean up after a hard kill
  return proc;
}

export function recordPids(pidFile: string, procs: Proc[]): void {
  appendFileSync(pidFile, procs.map((p) => `${p.child.pid}\n`).join(''));
}

/** Ports this process has handed out; the OS may offer one again once its probe socket is closed. */
const handedOut = new Set<number>();

/**
 * A free loopback TCP port that this process has not handed out before (the OS picks it; the tiny race
 * until the child binds is acceptable locally, but two of our own children must never be given one port:
 * the loser exits while the winner answers its health probe, and nobody notices).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await osFreePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function osFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function tailLog(file: string, lines = 30): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Polls `check` until it returns true. Fails early, with the tail of its log, if a process we depend on
 * exits meanwhile, and on timeout with the tail of the first watched process's log.
 */
export async function waitUntil(what: string, check: () => Promise<boolean>, watch: Proc[], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    const dead = watch.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (dead) {
      throw new StartupError(`${dead.name} exited (${dead.child.exitCode ?? dead.child.signalCode}) while waiting for ${what}; ${dead.logFile}:\n${tailLog(dead.logFile)}`);
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const p = watch[0];
      const tail = p ? `; ${p.logFile}:\n${tailLog(p.logFile)}` : '';
      throw new StartupError(`timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}${tail}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function removeDirs(dirs: string[]): void {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
