/**
 * KubeConfig for one registered cluster, from one of three auth modes. The engine runs outside the
 * cluster (a Lambda), so it never uses in-cluster config or the default ~/.kube/config by accident.
 */
import type { RequestContext, User } from '@kubernetes/client-node';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, NetworkingV1Api } from './client-node.js';
import { eksToken } from './eks-token.js';

export type ClusterAuth =
  | { kubeconfig: { path: string; context?: string } }
  /** `token` is already resolved (SSM / Secrets Manager) by the caller; it is never logged. */
  | { token: { server: string; caData?: string; token: string } }
  | { eks: { clusterName: string; region: string; server: string; caData: string } };

/** Typed API clients bound to one cluster; `cluster` names it in every error message. */
export interface KubeClients {
  cluster: string;
  apps: AppsV1Api;
  core: CoreV1Api;
  networking: NetworkingV1Api;
  custom: CustomObjectsApi;
}

/** A tick has a deadline: a hung apiserver must fail the call, not the Lambda. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * Adds a per-request timeout. client-node calls applySecurityAuthentication once per request, which
 * makes it the one hook where a fresh AbortSignal can be attached.
 */
class TimedKubeConfig extends KubeConfig {
  constructor(private readonly timeoutMs: number) { super(); }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setSignal(AbortSignal.timeout(this.timeoutMs));
  }
}

/** kubeconfig `certificate-authority-data` is base64 of the PEM; accept the PEM itself too. */
export const toBase64Ca = (caData: string): string =>
  caData.includes('-----BEGIN') ? Buffer.from(caData, 'utf8').toString('base64') : caData.trim();

export function buildKubeConfig(auth: ClusterAuth, opts: { timeoutMs?: number } = {}): KubeConfig {
  const kc = new TimedKubeConfig(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  if ('kubeconfig' in auth) {
    kc.loadFromFile(auth.kubeconfig.path);
    if (auth.kubeconfig.context) {
      if (!kc.getContextObject(auth.kubeconfig.context)) {
        throw new Error(`kubeconfig ${auth.kubeconfig.path} has no context "${auth.kubeconfig.context}"`);
      }
      kc.setCurrentContext(auth.kubeconfig.context);
    }
    return kc;
  }
  if ('token' in auth) {
    const { server, caData, token } = auth.token;
    kc.loadFromClusterAndUser(
      { name: 'cluster', server, skipTLSVerify: false, ...(caData ? { caData: toBase64Ca(caData) } : {}) },
      { name: 'engine', token },
    );
    return kc;
  }
  const { clusterName, region, server, caData } = auth.eks;
  const user: User = { name: `eks:${clusterName}` };
  kc.loadFromClusterAndUser({ name: clusterName, server, caData: toBase64Ca(caData), skipTLSVerify: false }, user);
  // A fresh presigned token per request: nothing to refresh or expire between ticks.
  kc.addAuthenticator({
    isAuthProvider: (u) => u.name === user.name,
    applyAuthentication: async (_u, reqOpts) => {
      reqOpts.headers = { ...reqOpts.headers, Authorization: `Bearer ${eksToken({ clusterName, region })}` };
    },
  });
  return kc;
}

export function createKubeClients(cluster: string, kc: KubeConfig): KubeClients {
  return {
    cluster,
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
  };
}
