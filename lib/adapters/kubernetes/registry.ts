/**
 * The named clusters the engine may roll out to. Configuration is validated once at start-up; clients are
 * built on first use and cached, so a cold Lambda pays only for the clusters its tick touches.
 */
import { z } from 'zod';
import { DependencyError, UnknownClusterError } from '../../app/errors.js';
import type { RolloutSpec } from '../../domain/spec.js';
import type { ClusterRegistry } from '../../ports/cluster.js';
import { connect, createKubeClients, type ClusterAuth, type KubeClients } from './client.js';
import { KubernetesCluster } from './cluster.js';
import { mirrorStatus, type MirroredStatus } from './status-mirror.js';

const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label').max(63);
const timeoutMs = z.number().int().positive().optional();

/**
 * One cluster: a name and exactly one auth mode. In token mode give either `token` (already resolved) or
 * `tokenSecret`, the name resolveSecret looks up (an SSM parameter or Secrets Manager id).
 */
export const clusterConfigSchema = z.union([
  z.strictObject({ name, timeoutMs, kubeconfig: z.strictObject({ path: z.string().min(1), context: z.string().min(1).optional() }) }),
  z.strictObject({
    name, timeoutMs,
    token: z.strictObject({ server: z.url(), caData: z.string().min(1).optional(), token: z.string().min(1).optional(), tokenSecret: z.string().min(1).optional() })
      .refine((t) => (t.token === undefined) !== (t.tokenSecret === undefined), 'give exactly one of token, tokenSecret'),
  }),
  z.strictObject({ name, timeoutMs, eks: z.strictObject({ clusterName: z.string().min(1), region: z.string().min(1), server: z.url(), caData: z.string().min(1) }) }),
]);
export type ClusterConfig = z.infer<typeof clusterConfigSchema>;

export const clusterRegistryConfigSchema = z.array(clusterConfigSchema)
  .refine((cs) => new Set(cs.map((c) => c.name)).size === cs.length, 'cluster names must be unique');

/** ClusterRegistry plus the status mirror, which is not part of ClusterPort (see status-mirror.ts). */
export interface KubernetesClusterRegistry extends ClusterRegistry {
  get(name: string): KubernetesCluster;
  mirrorStatus(spec: RolloutSpec, status: MirroredStatus): Promise<void>;
}

async function authOf(config: ClusterConfig, resolveSecret?: (name: string) => Promise<string>): Promise<ClusterAuth> {
  if ('kubeconfig' in config) return { kubeconfig: config.kubeconfig };
  if ('eks' in config) return { eks: config.eks };
  const { server, caData, token, tokenSecret } = config.token;
  if (token !== undefined) return { token: { server, token, ...(caData ? { caData } : {}) } };
  if (!resolveSecret) throw new DependencyError('secrets', `cluster "${config.name}" names tokenSecret but no secret resolver is configured`, false);
  try {
    return { token: { server, token: await resolveSecret(tokenSecret ?? ''), ...(caData ? { caData } : {}) } };
  } catch (err) {
    // The secret's value never appears here: only its name and what the store said.
    throw new DependencyError('secrets', `could not resolve tokenSecret "${tokenSecret}" for cluster "${config.name}"`, true, { cause: err });
  }
}

export function createClusterRegistry(configs: ClusterConfig[], resolveSecret?: (name: string) => Promise<string>): KubernetesClusterRegistry {
  const byName = new Map(configs.map((c) => [c.name, c]));
  if (byName.size !== configs.length) throw new Error('createClusterRegistry: cluster names must be unique');
  const clients = new Map<string, Promise<KubeClients>>();
  const ports = new Map<string, KubernetesCluster>();

  const clientsFor = (config: ClusterConfig): Promise<KubeClients> => {
    let pending = clients.get(config.name);
    if (!pending) {
      pending = authOf(config, resolveSecret)
        .then((auth) => connect(auth, config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}))
        .then((conn) => createKubeClients(config.name, conn));
      // A failed resolution (secret store down) must not be cached: the next tick tries again.
      pending.catch(() => clients.delete(config.name));
      clients.set(config.name, pending);
    }
    return pending;
  };

  const registry: KubernetesClusterRegistry = {
    names: () => [...byName.keys()],
    get(clusterName) {
      const config = byName.get(clusterName);
      if (!config) throw new UnknownClusterError(clusterName, registry.names());
      let port = ports.get(clusterName);
      if (!port) {
        port = new KubernetesCluster(() => clientsFor(config));
        ports.set(clusterName, port);
      }
      return port;
    },
    async mirrorStatus(spec, status) {
      registry.get(spec.cluster); // unknown cluster → UnknownClusterError
      const config = byName.get(spec.cluster);
      if (config) await mirrorStatus(await clientsFor(config), spec, status);
    },
  };
  return registry;
}

