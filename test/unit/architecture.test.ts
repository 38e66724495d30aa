import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The dependency rule as a test (our stand-in for a restricted-imports lint rule): functions → app →
 * domain, adapters → ports + domain. Only adapters may import the AWS SDK, the Kubernetes client or axios,
 * and the domain stays pure (no I/O modules, no environment, no clock).
 */
function sources(dir: string): Array<{ file: string; text: string }> {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: join(dir, f), text: readFileSync(join(dir, f), 'utf8') }));
}
const imports = (text: string): string[] => [...text.matchAll(/^import [^;]*? from '([^']+)';/gms)].map((m) => m[1]!);

describe('dependency rules', () => {
  it.each(['lib/domain', 'lib/app', 'lib/ports'])('%s imports no SDK, Kubernetes client or HTTP client', (dir) => {
    const offending = sources(dir).flatMap(({ file, text }) => imports(text).filter((i) => /^(@aws-sdk|@kubernetes\/client-node|axios)/.test(i)).map((i) => `${file}: ${i}`));
    expect(offending).toEqual([]);
  });

  it('lib/domain is pure: no adapters, app, I/O modules, environment or clock', () => {
    const offending = sources('lib/domain').flatMap(({ file, text }) => [
      ...imports(text).filter((i) => /\/(adapters|app|ports)\//.test(i) || /^node:(fs|net|http|https|child_process)/.test(i)).map((i) => `${file}: ${i}`),
      ...(/process\.env|Date\.now\(\)|new Date\(\)|Math\.random\(\)/.test(text) ? [`${file}: reads the environment, the clock or randomness`] : []),
    ]);
    expect(offending).toEqual([]);
  });

  it('lib/app depends on ports and domain, never on adapters', () => {
    const offending = sources('lib/app').flatMap(({ file, text }) => imports(text).filter((i) => i.includes('/adapters/')).map((i) => `${file}: ${i}`));
    expect(offending).toEqual([]);
  });
});
