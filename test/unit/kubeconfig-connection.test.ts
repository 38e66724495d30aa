/**
 * Kubeconfig mode without client-node: what each kubeconfig form turns into on a request (TLS material
 * and headers), exec plugins run and cached like kubectl does, and unsupported forms refused by name.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { kubeconfigConnection } from '../../lib/adapters/kubernetes/kubeconfig-connection.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'codedance-kubeconfig-test-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const b64 = (s: string) => Buffer.from(s).toString('base64');
function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = { 'certificate-authority-data': b64('CA PEM') }, extra: Record<string, unknown> = {}): string {
  const path = join(dir, 'config');
  writeFileSync(path, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'main',
    clusters: [{ name: 'c', cluster: { server: 'https://10.0.0.1:6443', ...cluster } }, { name: 'other', cluster: { server: 'https://10.0.0.2:6443' } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'main', context: { cluster: 'c', user: 'u' } }, { name: 'second', context: { cluster: 'other', user: 'u' } }],
    ...extra,
  }));
  return path;
}
const headersOf = async (path: string, context?: string) =>
  (await kubeconfigConnection({ path, ...(context ? { context } : {}) }, 5_000).requestOptions()).headers as Record<string, unknown>;

describe('kubeconfig connection', () => {
  it('turns a token, CA data and impersonation into TLS options and headers', async () => {
    const conn = kubeconfigConnection({ path: kubeconfig({ token: 'tok', as: 'alice', 'as-groups': ['ops', 'dev'] }) }, 5_000);
    const options = await conn.requestOptions();
    expect(conn.server).toBe('https://10.0.0.1:6443');
    expect(String(options.ca)).toBe('CA PEM');
    expect(options.rejectUnauthorized).toBe(true);
    expect(options.headers).toEqual({ authorization: 'Bearer tok', 'Impersonate-User': 'alice', 'Impersonate-Group': ['ops', 'dev'] });
  });

  it('reads certificate files relative to the kubeconfig and re-reads a tokenFile on every request', async () => {
    writeFileSync(join(dir, 'client.crt'), 'CERT');
    writeFileSync(join(dir, 'client.key'), 'KEY');
    writeFileSync(join(dir, 'token'), 'first\n');
    const conn = kubeconfigConnection({ path: kubeconfig({ 'client-certificate': 'client.crt', 'client-key': 'client.key', tokenFile: 'token' }, { 'insecure-skip-tls-verify': true }) }, 5_000);
    const first = await conn.requestOptions();
    writeFileSync(join(dir, 'token'), 'rotated\n');
    const second = await conn.requestOptions();
    expect([String(first.cert), String(first.key), first.rejectUnauthorized]).toEqual(['CERT', 'KEY', false]);
    expect([(first.headers as Record<string, unknown>).authorization, (second.headers as Record<string, unknown>).authorization]).toEqual(['Bearer first', 'Bearer rotated']);
  });

  it('uses the context asked for, and names a missing one', async () => {
    const path = kubeconfig({ token: 't' });
    expect(kubeconfigConnection({ path, context: 'second' }, 5_000).server).toBe('https://10.0.0.2:6443');
    expect(() => kubeconfigConnection({ path, context: 'nope' }, 5_000)).toThrow(`kubeconfig ${path}: has no context "nope"`);
    const noCurrent = kubeconfig({ token: 't' }, undefined, { 'current-context': undefined });
    expect(() => kubeconfigConnection({ path: noCurrent }, 5_000)).toThrow('no context given and no current-context');
  });

  it.each([
    ['auth-provider', { 'auth-provider': { name: 'gcp' } }, {}, 'users[u].user.auth-provider is not supported'],
    ['basic auth', { username: 'admin', password: 'x' }, {}, 'users[u].user.username is not supported'],
    ['a proxy', { token: 't' }, { 'proxy-url': 'http://proxy:3128' }, 'clusters[c].cluster.proxy-url is not supported'],
  ])('refuses %s by its field name', (_what, user, cluster, message) => {
    expect(() => kubeconfigConnection({ path: kubeconfig(user, cluster) }, 5_000)).toThrow(message);
  });

  it('names the field of a malformed kubeconfig', () => {
    const path = join(dir, 'bad');
    writeFileSync(path, stringify({ clusters: [{ name: 'c', cluster: { server: 'not a url' } }], contexts: [] }));
    expect(() => kubeconfigConnection({ path }, 5_000)).toThrow(/clusters\.0\.cluster\.server/);
  });

  it('runs an exec plugin once while its credential is valid, and again once it expires', async () => {
    const script = join(dir, 'plugin.mjs');
    const runs = join(dir, 'runs');
    writeFileSync(runs, '');
    // Prints a token valid for FOR_MS (env), and counts its runs.
    writeFileSync(script, `import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(runs)}, 'x');
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
const expirationTimestamp = new Date(Date.now() + Number(process.env.FOR_MS)).toISOString();
console.log(JSON.stringify({ apiVersion: info.apiVersion, kind: 'ExecCredential', status: { token: 'from-plugin-' + process.env.FOR_MS, expirationTimestamp } }));`);
    const exec = (forMs: number) => ({ apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [script], env: [{ name: 'FOR_MS', value: String(forMs) }] });

    const lasting = kubeconfigConnection({ path: kubeconfig({ exec: exec(3_600_000) }) }, 5_000);
    const headers = await Promise.all([lasting.requestOptions(), lasting.requestOptions(), lasting.requestOptions()]);
    expect(headers.map((o) => (o.headers as Record<string, unknown>).authorization)).toEqual(Array(3).fill('Bearer from-plugin-3600000'));
    expect(readFileSync(runs, 'utf8')).toBe('x');

    // Expires within the 10 s renewal margin: every request runs the plugin again.
    const expiring = kubeconfigConnection({ path: kubeconfig({ exec: exec(5_000) }) }, 5_000);
    await expiring.requestOptions();
    await expiring.requestOptions();
    expect(readFileSync(runs, 'utf8')).toBe('xxx');
  });

  it('says what a failing exec plugin printed', async () => {
    const script = join(dir, 'broken.mjs');
    writeFileSync(script, "console.error('no credentials configured'); process.exit(1);");
    const conn = kubeconfigConnection({ path: kubeconfig({ exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [script] } }) }, 5_000);
    await expect(conn.requestOptions()).rejects.toThrow(`exec plugin ${process.execPath} failed: no credentials configured`);
  });

  it('sends a token as the authorization header and nowhere else', async () => {
    expect(await headersOf(kubeconfig({ token: 'secret-token' }))).toEqual({ authorization: 'Bearer secret-token' });
  });
});
