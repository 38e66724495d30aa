/**
 * Cold start per function, measured on the artifacts deployment ships: `osls package` (serverless-esbuild,
 * one bundle per function, the plugins of infra/build/esbuild-plugins.mjs) is run in a scratch directory,
 * every `.serverless/<function>.zip` is unzipped, and each handler file is imported by a fresh `node`
 * (5 runs, median) with the function's environment set, `--enable-source-maps` included as serverless.yml
 * sets it. The tick loads the Kubernetes adapter lazily on its first tick, so its bundle is measured twice:
 * as packaged, and as packaged plus the adapter initialised (one bundle of both, same esbuild options and
 * plugins, shared dependencies counted once); the tick's target applies to the second.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { builtinsViaRequire, trimUnusedData } from '../infra/build/esbuild-plugins.mjs';
import { parse } from 'yaml';
import { z } from 'zod';
import { round } from './stats.js';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = 5;
export const TARGETS = { httpBundleKB: 600, httpImportMs: 150, tickImportMs: 250 } as const;

const serverlessYml = z.object({
  provider: z.object({ environment: z.record(z.string(), z.unknown()).default({}) }),
  custom: z.object({ esbuild: z.record(z.string(), z.unknown()) }),
  functions: z.record(z.string(), z.object({ handler: z.string(), events: z.array(z.record(z.string(), z.unknown())).default([]) })),
});

export interface FunctionColdStart {
  name: string;
  kind: 'http' | 'tick' | 'other';
  bundleKB: number;
  zipKB: number;
  importMs: number;
  importCpuMs: number;
  /** Against the HTTP targets (size and import) or the tick target (with its Kubernetes adapter); null: no target. */
  met: boolean | null;
}

export interface ColdStartResult {
  node: string;
  functions: FunctionColdStart[];
  /** The tick's bundle with the Kubernetes adapter initialised, as after its first tick's first cluster call. */
  tickWithAdapter: { bundleKB: number; importMs: number; importCpuMs: number };
  packageSeconds: number;
}

export async function benchColdStart(log: (line: string) => void = () => undefined): Promise<ColdStartResult> {
  // CloudFormation tags (!GetAtt ...) do not matter here; the yaml parser only needs them gone.
  const doc = serverlessYml.parse(parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8').replace(/!(GetAtt|Ref|Join|Sub)\b/g, '')));
  const dir = mkdtempSync(join(tmpdir(), 'codedance-coldstart-'));
  try {
    const started = performance.now();
    log('[bench] coldstart: osls package (serverless-esbuild, package individually) in a scratch directory ...');
    await packageService(dir);
    const packageSeconds = round((performance.now() - started) / 1000, 1);
    const env = functionEnv(doc.provider.environment);
    const functions: FunctionColdStart[] = [];
    const tickFn = Object.entries(doc.functions).find(([name]) => name === 'tick')?.[1];
    if (!tickFn) throw new Error('serverless.yml defines no function "tick"');
    const adapter = await tickWithAdapter(dir, doc.custom.esbuild, `${tickFn.handler.slice(0, tickFn.handler.lastIndexOf('.'))}.ts`, env);
    for (const [name, fn] of Object.entries(doc.functions)) {
      const zip = join(dir, '.serverless', `${name}.zip`);
      const out = join(dir, 'unzipped', name);
      mkdirSync(out, { recursive: true });
      execFileSync('unzip', ['-q', '-o', zip, '-d', out]);
      const file = join(out, `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.mjs`);
      const kind = fn.events.some((e) => 'httpApi' in e) ? 'http' : name === 'tick' ? 'tick' : 'other';
      const bundleKB = round(statSync(file).size / 1024, 1);
      const { wallMs: importMs, cpuMs: importCpuMs } = coldImport(file, env);
      const met = kind === 'http' ? bundleKB <= TARGETS.httpBundleKB && importMs <= TARGETS.httpImportMs
        : kind === 'tick' ? adapter.importMs <= TARGETS.tickImportMs : null;
      functions.push({ name, kind, bundleKB, zipKB: round(statSync(zip).size / 1024, 1), importMs, importCpuMs, met });
    }
    return { node: process.version, functions, tickWithAdapter: adapter, packageSeconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The code is linked, not copied, so osls's .esbuild/.serverless folders never disturb an `osls offline` in the repository. */
function packageService(dir: string): Promise<void> {
  for (const file of ['serverless.yml', 'package.json', 'tsconfig.json']) cpSync(join(ROOT, file), join(dir, file));
  for (const link of ['functions', 'lib', 'infra', 'node_modules']) symlinkSync(join(ROOT, link), join(dir, link));
  return new Promise((done, fail) => {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: process.env.HOME, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off',
      // osls wants credentials to exist; packaging never uses them.
      AWS_ACCESS_KEY_ID: 'packaging-only', AWS_SECRET_ACCESS_KEY: 'packaging-only',
    };
    const child = spawn(join(ROOT, 'node_modules/.bin/osls'), ['package', '--stage', 'bench'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += String(d); });
    child.stderr.on('data', (d) => { output += String(d); });
    child.on('error', fail);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`osls package exited ${code}:\n${output}`))));
  });
}

/** What Lambda sets: provider.environment with its ${...} references replaced by plausible values. */
function functionEnv(environment: Record<string, unknown>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'cold-start', AWS_SECRET_ACCESS_KEY: 'cold-start', CODEDANCE_LOG_LEVEL: 'error' };
  for (const [key, value] of Object.entries(environment)) env[key] = String(value).replace(/\$\{[^}]*\}/g, 'bench');
  return env;
}

/**
 * The tick handler and its lazily imported Kubernetes adapter in one bundle, with the deployment's esbuild
 * options: importing it pays what a cold tick pays by the end of its first cluster call.
 */
async function tickWithAdapter(dir: string, esbuildOptions: Record<string, unknown>, tickEntry: string, env: NodeJS.ProcessEnv): Promise<ColdStartResult['tickWithAdapter']> {
  const { outputFileExtension: _ext, exclude: _exclude, watch: _watch, plugins: _plugins, ...options } = esbuildOptions;
  const outfile = join(dir, 'tick-with-adapter', 'index.mjs');
  await build({
    ...(options as BuildOptions), sourcemap: 'linked', outfile, logLevel: 'warning', plugins: [trimUnusedData(), builtinsViaRequire()],
    stdin: { contents: `export * from './${tickEntry}';\nimport './lib/adapters/kubernetes/registry.ts';`, resolveDir: ROOT, sourcefile: 'tick-with-adapter.ts', loader: 'ts' },
  });
  const { wallMs, cpuMs } = coldImport(outfile, env);
  return { bundleKB: round(statSync(outfile).size / 1024, 1), importMs: wallMs, importCpuMs: cpuMs };
}

const importTiming = z.object({ wall: z.number(), cpu: z.number() });
export interface ImportTime { wallMs: number; cpuMs: number }

/**
 * Medians over fresh processes of `await import(file)`: what a Lambda cold start pays to load the code.
 * Wall time is the target's measure; CPU time (user + system of the process during the import) is
 * reported beside it because it barely moves when other work shares the machine's cores.
 */
function coldImport(file: string, env: NodeJS.ProcessEnv): ImportTime {
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(`file://${file}`)}); const w = performance.now() - t; const u = process.cpuUsage(c); console.log(JSON.stringify({ wall: w, cpu: (u.user + u.system) / 1000 }));`;
  const runs = Array.from({ length: RUNS }, () => importTiming.parse(JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' }).trim())));
  const median = (values: number[]): number => round(values.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!, 1);
  return { wallMs: median(runs.map((r) => r.wall)), cpuMs: median(runs.map((r) => r.cpu)) };
}

export function printColdStart(result: ColdStartResult, say: (line: string) => void): void {
  say(`  Node ${result.node}; osls package took ${result.packageSeconds} s; import = median of ${RUNS} fresh processes, NODE_OPTIONS as serverless.yml sets it`);
  say(`  ${'function'.padEnd(20)} ${'kind'.padEnd(5)} ${'bundle'.padStart(10)} ${'zip'.padStart(10)} ${'import'.padStart(10)} ${'(cpu)'.padStart(10)}  target`);
  for (const f of result.functions) {
    const target = f.kind === 'http' ? `≤ ${TARGETS.httpBundleKB} KB, ≤ ${TARGETS.httpImportMs} ms` : f.kind === 'tick' ? `with adapter ≤ ${TARGETS.tickImportMs} ms (below)` : '-';
    say(`  ${f.name.padEnd(20)} ${f.kind.padEnd(5)} ${`${f.bundleKB} KB`.padStart(10)} ${`${f.zipKB} KB`.padStart(10)} ${`${f.importMs} ms`.padStart(10)} ${`${f.importCpuMs} ms`.padStart(10)}  ${f.met === null ? '' : f.met ? 'met ' : 'MISS'} ${target}`);
  }
  const a = result.tickWithAdapter;
  say(`  ${a.importMs <= TARGETS.tickImportMs ? 'met ' : 'MISS'} tick with its Kubernetes adapter loaded (as after the first cluster call): ${a.bundleKB} KB, ${a.importMs} ms (cpu ${a.importCpuMs} ms); target ≤ ${TARGETS.tickImportMs} ms`);
}
