/**
 * What the local Go builds (the Kubernetes control plane, helm) share: running `go` with its progress
 * summarised, capturing a command's output, and one build per machine at a time.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';

export type Log = (msg: string) => void;

/** Runs a command, printing its stderr through `log` (go's many download lines counted, not printed). */
export function run(log: Log, cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 2, 'pipe'] /* go's stdout to our stderr: stdout is the CLI's result */ });
    const tail: string[] = [];
    let downloads = 0;
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        // "go: downloading" lines are hundreds; count them instead of flooding the log.
        if (line.startsWith('go: downloading')) { if (++downloads % 50 === 1) log(`go: downloading modules (${downloads})`); continue; }
        tail.push(line); if (tail.length > 40) tail.shift();
        log(`go: ${line}`);
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${tail.join('\n')}`)));
  });
}

/** A command's stdout; its stderr goes into the error when it fails. */
export function capture(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: homedir() });
    let out = '', err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    child.on('error', reject);
    child.on('exit', (code) => code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}${out}`)));
  });
}

/** One build per machine at a time: a second caller (test + CLI started together) waits for the first. */
export async function withLock(log: Log, lock: string, done: () => boolean, build: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(readFileSync(lock, 'utf8'));
      if (!holder || !alive(holder)) { rmSync(lock, { force: true }); continue; }
      log(`waiting for the build running in pid ${holder}`);
      while (alive(holder) && !done()) await new Promise((r) => setTimeout(r, 5000));
      if (done()) return;
    }
  }
  try {
    await build();
  } finally {
    rmSync(lock, { force: true });
  }
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}
