/**
 * Kubeconfig mode: reads a kubeconfig file into an ApiConnection. It covers what engines are registered
 * with: a CA (file or data) or insecure-skip-tls-verify, a bearer token (inline or tokenFile), a client
 * certificate and key (files or data), an exec credential plugin (client.authentication.k8s.io, e.g.
 * `aws eks get-token`), and impersonation (`as`, `as-groups`). Legacy auth-provider plugins, basic auth
 * and proxy-url are refused by name rather than ignored.
 *
 * Why not client-node's KubeConfig: its module imports the generated API layer and undici, which put
 * about 1 MB back into every tick bundle, even for clusters registered by token or EKS. Loaded only by
 * connect() for a kubeconfig-mode cluster.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { RequestOptions } from 'node:https';
import { dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { ApiConnection } from './rest-client.js';

const clusterSchema = z.looseObject({
  server: z.url(),
  'certificate-authority': z.string().optional(),
  'certificate-authority-data': z.string().optional(),
  'insecure-skip-tls-verify': z.boolean().optional(),
  'tls-server-name': z.string().optional(),
  'proxy-url': z.string().optional(),
});

const execSchema = z.looseObject({
  apiVersion: z.string(),
  command: z.string().min(1),
  args: z.array(z.string()).nullish(),
  env: z.array(z.object({ name: z.string(), value: z.string() })).nullish(),
});

const userSchema = z.looseObject({
  token: z.string().optional(),
  tokenFile: z.string().optional(),
  'client-certificate': z.string().optional(),
  'client-certificate-data': z.string().optional(),
  'client-key': z.string().optional(),
  'client-key-data': z.string().optional(),
  as: z.string().optional(),
  'as-groups': z.array(z.string()).optional(),
  exec: execSchema.optional(),
  'auth-provider': z.unknown().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
});

const kubeconfigSchema = z.looseObject({
  'current-context': z.string().optional(),
  clusters: z.array(z.looseObject({ name: z.string(), cluster: clusterSchema })),
  users: z.array(z.looseObject({ name: z.string(), user: userSchema.nullish() })).nullish(),
  contexts: z.array(z.looseObject({ name: z.string(), context: z.looseObject({ cluster: z.string(), user: z.string().optional() }) })),
});

type User = z.infer<typeof userSchema>;

/** The ExecCredential a credential plugin prints on stdout. */
const execCredentialSchema = z.object({
  status: z.object({
    token: z.string().optional(),
    clientCertificateData: z.string().optional(),
    clientKeyData: z.string().optional(),
    expirationTimestamp: z.string().optional(),
  }),
});

export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

export function kubeconfigConnection(source: { path: string; context?: string }, timeoutMs: number): ApiConnection {
  const { path } = source;
  const fail = (what: string): never => { throw new KubeconfigError(`kubeconfig ${path}: ${what}`); };
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new KubeconfigError(`kubeconfig ${path}: cannot be read: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const parsed = kubeconfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  const config = parsed.data;
  const contextName = source.context ?? config['current-context'] ?? fail('no context given and no current-context');
  const context = config.contexts.find((c) => c.name === contextName)?.context ?? fail(`has no context "${contextName}"`);
  const cluster = config.clusters.find((c) => c.name === context.cluster)?.cluster ?? fail(`context "${contextName}" names cluster "${context.cluster}", which is not in clusters`);
  const user: User = context.user === undefined ? {} : ((config.users ?? []).find((u) => u.name === context.user) ?? fail(`context "${contextName}" names user "${context.user}", which is not in users`)).user ?? {};

  for (const field of ['auth-provider', 'username', 'password'] as const) {
    if (user[field] !== undefined) fail(`users[${context.user}].user.${field} is not supported: use a token, a client certificate or an exec plugin, or register the cluster in token or eks mode`);
  }
  if (cluster['proxy-url'] !== undefined) fail(`clusters[${context.cluster}].cluster.proxy-url is not supported: the engine connects to the apiserver directly`);

  const file = (p: string) => readFileSync(isAbsolute(p) ? p : join(dirname(path), p));
  const either = (fileField: string | undefined, data: string | undefined) =>
    data !== undefined ? Buffer.from(data, 'base64') : fileField !== undefined ? file(fileField) : undefined;
  const tls: RequestOptions = {
    rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
    ...optional('ca', either(cluster['certificate-authority'], cluster['certificate-authority-data'])),
    ...optional('cert', either(user['client-certificate'], user['client-certificate-data'])),
    ...optional('key', either(user['client-key'], user['client-key-data'])),
    ...optional('servername', cluster['tls-server-name']),
  };
  const impersonation: Record<string, string | string[]> = {
    ...optional('Impersonate-User', user.as),
    ...(user['as-groups']?.length ? { 'Impersonate-Group': user['as-groups'] } : {}),
  };
  const plugin = user.exec ? execPlugin(user.exec, timeoutMs) : undefined;

  return {
    server: cluster.server,
    timeoutMs,
    async requestOptions() {
      // A tokenFile is re-read on every request: projected tokens rotate under a running process.
      const token = user.token ?? (user.tokenFile !== undefined ? file(user.tokenFile).toString('utf8').trim() : undefined);
      const fromPlugin = plugin ? await plugin() : {};
      const bearer = fromPlugin.token ?? token;
      return {
        ...tls,
        ...(fromPlugin.cert ? { cert: fromPlugin.cert, key: fromPlugin.key } : {}),
        headers: { ...impersonation, ...optional('authorization', bearer && `Bearer ${bearer}`) },
      };
    },
  };
}

const optional = <K extends string, V>(key: K, value: V | undefined | '') =>
  (value === undefined || value === '' ? {} : { [key]: value }) as Partial<Record<K, V>>;

interface PluginCredential { token?: string; cert?: Buffer; key?: Buffer }

/** Runs the plugin when there is no unexpired credential; one run at a time, whatever the concurrency. */
function execPlugin(exec: z.infer<typeof execSchema>, timeoutMs: number): () => Promise<PluginCredential> {
  let cached: { credential: PluginCredential; expiresAt: number } | undefined;
  let running: Promise<PluginCredential> | undefined;
  const run = () => new Promise<PluginCredential>((resolve, reject) => {
    const env = { ...process.env, ...Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])), KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion: exec.apiVersion, kind: 'ExecCredential', spec: { interactive: false } }) };
    execFile(exec.command, exec.args ?? [], { env, timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (err) return reject(new KubeconfigError(`exec plugin ${exec.command} failed: ${stderr.trim() || err.message}`, { cause: err }));
      let status: z.infer<typeof execCredentialSchema>['status'];
      try {
        status = execCredentialSchema.parse(JSON.parse(stdout)).status;
      } catch (parseErr) {
        return reject(new KubeconfigError(`exec plugin ${exec.command} printed no ExecCredential with a status`, { cause: parseErr }));
      }
      const credential: PluginCredential = {
        ...optional('token', status.token),
        ...(status.clientCertificateData && status.clientKeyData ? { cert: Buffer.from(status.clientCertificateData), key: Buffer.from(status.clientKeyData) } : {}),
      };
      // Renew 10 s early so no request leaves with a credential that expires in flight.
      const expiresAt = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) - 10_000 : Number.POSITIVE_INFINITY;
      cached = { credential, expiresAt };
      resolve(credential);
    });
  });
  return async () => {
    if (cached && Date.now() < cached.expiresAt) return cached.credential;
    running ??= run().finally(() => { running = undefined; });
    return running;
  };
}
