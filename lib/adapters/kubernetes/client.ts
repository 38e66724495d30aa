/**
 * The connection to one registered cluster, from one of three auth modes. The engine runs outside the
 * cluster (a Lambda), so it never uses in-cluster config or the default ~/.kube/config by accident.
 * Token and EKS modes are built here; kubeconfig mode (local runs, exec plugins) loads its reader and the
 * yaml parser only when a cluster is configured that way.
 */
import type { RequestOptions } from 'node:https';
import { eksToken } from './eks-token.js';
import type { ApiConnection } from './rest-client.js';

export { createKubeClients, type KubeClients } from './rest-client.js';

export type ClusterAuth =
  | { kubeconfig: { path: string; context?: string } }
  /** `token` is already resolved (SSM / Secrets Manager) by the caller; it is never logged. */
  | { token: { server: string; caData?: string; token: string } }
  | { eks: { clusterName: string; region: string; server: string; caData: string } };

/** A tick has a deadline: a hung apiserver must fail the call, not the Lambda. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** kubeconfig `certificate-authority-data` is base64 of the PEM; accept the PEM itself too. */
export const toPemCa = (caData: string): string =>
  caData.includes('-----BEGIN') ? caData : Buffer.from(caData.trim(), 'base64').toString('utf8');

export async function connect(auth: ClusterAuth, opts: { timeoutMs?: number } = {}): Promise<ApiConnection> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if ('kubeconfig' in auth) {
    const { kubeconfigConnection } = await import('./kubeconfig-connection.js');
    return kubeconfigConnection(auth.kubeconfig, timeoutMs);
  }
  if ('token' in auth) {
    const { server, caData, token } = auth.token;
    return bearerConnection(server, caData, timeoutMs, () => token);
  }
  const { clusterName, region, server, caData } = auth.eks;
  // A fresh presigned token per request: nothing to refresh or expire between ticks.
  return bearerConnection(server, caData, timeoutMs, () => eksToken({ clusterName, region }));
}

/** A verified TLS connection that sends `token()` as the bearer token on every request. */
function bearerConnection(server: string, caData: string | undefined, timeoutMs: number, token: () => string): ApiConnection {
  const tls: RequestOptions = { rejectUnauthorized: true, ...(caData ? { ca: toPemCa(caData) } : {}) };
  return { server, timeoutMs, requestOptions: async () => ({ ...tls, headers: { authorization: `Bearer ${token()}` } }) };
}
