/**
 * The esbuild plugin that loads node:http, node:https and node:process through require(): the bundle
 * keeps no ES import of them (whose namespace facade costs a cold start about 30 ms), and default, named
 * and namespace imports still see the real modules.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { builtinsViaRequire } from '../../infra/build/esbuild-plugins.mjs';

describe('builtinsViaRequire', () => {
  it('bundles ES imports of node:http, node:https and node:process as require() calls that still work', async () => {
    const source = `
      import http from 'node:http';
      import { request, Agent } from 'https';
      import * as proc from 'node:process';
      import { env } from 'process';
      export const seen = {
        httpRequest: typeof http.request, httpsRequest: typeof request, agent: new Agent({ keepAlive: true }) instanceof Agent,
        pid: proc.pid === globalThis.process.pid, env: env === globalThis.process.env,
      };`;
    const out = await build({
      stdin: { contents: source, loader: 'js', resolveDir: process.cwd() }, bundle: true, write: false, format: 'esm', platform: 'node',
      banner: { js: "import { createRequire as __cdRequire } from 'module'; const require = __cdRequire(import.meta.url);" },
      plugins: [builtinsViaRequire()],
    });
    const code = out.outputFiles[0]!.text;
    expect(code).not.toMatch(/from\s*"(node:)?(http|https|process)"/);
    expect(code).toContain('require("node:http")');

    const dir = mkdtempSync(join(tmpdir(), 'codedance-plugin-'));
    try {
      writeFileSync(join(dir, 'bundle.mjs'), code);
      const { seen } = await import(pathToFileURL(join(dir, 'bundle.mjs')).href) as { seen: Record<string, unknown> };
      expect(seen).toEqual({ httpRequest: 'function', httpsRequest: 'function', agent: true, pid: true, env: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
