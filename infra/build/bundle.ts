/**
 * `npm run build`: bundles every function of serverless.yml with esbuild (the same options
 * serverless-esbuild uses for deployment) into .build/bundles/<function>/index.mjs and reports each
 * bundle's size and its cold import time on this Node (a fresh process per function).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { build } from 'esbuild';
import { parse } from 'yaml';
import { z } from 'zod';
import { builtinsViaRequire, handlerBase, KUBERNETES_FUNCTIONS, kubernetesOnlyWhereUsed, trimUnusedData } from './esbuild-plugins.mjs';

const serverlessFunctions = z.object({ functions: z.record(z.string(), z.object({ handler: z.string() })) });

export interface BundleReport { name: string; bytes: number; gzipBytes: number; importMs: number }

export async function bundleFunctions(outDir = '.build/bundles'): Promise<BundleReport[]> {
  // serverless.yml uses CloudFormation tags (!GetAtt ...); they do not matter for the function list.
  const text = readFileSync('serverless.yml', 'utf8').replace(/!(GetAtt|Ref|Join|Sub)\b/g, '');
  const { functions } = serverlessFunctions.parse(parse(text));
  const reports: BundleReport[] = [];
  // The same plugins serverless.yml gives serverless-esbuild, so these bundles match the deployed ones.
  const kubernetesHandlers = KUBERNETES_FUNCTIONS.flatMap((name) => (functions[name] ? [handlerBase(functions[name].handler)] : []));
  for (const [name, fn] of Object.entries(functions)) {
    const entry = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts`;
    const outfile = join(outDir, name, 'index.mjs');
    mkdirSync(join(outDir, name), { recursive: true });
    // Code splitting keeps lazily imported modules (the Kubernetes client) out of the cold-start path.
    await build({
      entryPoints: { index: entry }, outdir: join(outDir, name), splitting: true, outExtension: { '.js': '.mjs' },
      chunkNames: 'chunks/[name]-[hash]', bundle: true, minify: true, platform: 'node', target: 'node22', format: 'esm',
      mainFields: ['module', 'main'], sourcemap: false, logLevel: 'warning', metafile: false,
      plugins: [kubernetesOnlyWhereUsed(kubernetesHandlers), trimUnusedData(), builtinsViaRequire()],
      banner: { js: "import { createRequire as __cdRequire } from 'module'; const require = __cdRequire(import.meta.url);" },
    });
    const bytes = statSync(outfile).size;
    const gzipBytes = gzipSync(readFileSync(outfile)).length;
    reports.push({ name, bytes, gzipBytes, importMs: coldImportMs(outfile) });
  }
  return reports;
}

/** Median of three fresh-process imports: what a Lambda cold start pays for loading the code. */
function coldImportMs(file: string): number {
  const script = `const t=performance.now();await import(${JSON.stringify(`file://${process.cwd()}/${file}`)});console.log(performance.now()-t)`;
  const env = { ...process.env, CODEDANCE_LOG_LEVEL: 'error' };
  const runs = [0, 1, 2].map(() => Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' }).trim()));
  return Math.round(runs.sort((a, b) => a - b)[1]! * 10) / 10;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const reports = await bundleFunctions();
  const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`${'function'.padEnd(18)} ${'bundle'.padStart(11)} ${'gzip'.padStart(11)} ${'cold import'.padStart(12)}`);
  for (const r of reports) console.log(`${r.name.padEnd(18)} ${kb(r.bytes).padStart(11)} ${kb(r.gzipBytes).padStart(11)} ${`${r.importMs} ms`.padStart(12)}`);
  writeFileSync('.build/bundles/report.json', JSON.stringify(reports, null, 2));
}
